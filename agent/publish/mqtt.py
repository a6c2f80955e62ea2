"""The MQTT publisher: drains the outbox to the broker at QoS 1, in its own thread.

Why a fresh paho client for every connection: paho keeps unacknowledged
QoS 1 messages only in memory and restarts its message ids with each
connection. The outbox is the only queue we trust, so each connection starts
clean, re-sends every stored row oldest first, and maps paho's message id to
our own sequence number for that connection only. A row is deleted when its PUBACK
arrives, never before. The pipeline never waits on the network: it only
writes to the outbox.
"""

from __future__ import annotations

import logging
import random
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import paho.mqtt.client as mqtt
from paho.mqtt.reasoncodes import ReasonCode

from agent.publish.config import MqttConfig
from agent.publish.mqtt_client import new_client
from agent.publish.outbox import Outbox, OutboxError

log = logging.getLogger(__name__)

_BACKOFF_START_S = 0.5
_BACKOFF_MAX_S = 30.0
_CONNECT_TIMEOUT_S = 10.0
_LOOP_TIMEOUT_S = 0.05
# At stop, how long to wait for a connection before leaving the rest for the next start.
_DRAIN_UNCONNECTED_S = 1.0


@dataclass
class _Connection:
    """State of one broker connection; thrown away when it drops."""

    client: mqtt.Client
    connected: threading.Event = field(default_factory=threading.Event)
    failed: threading.Event = field(default_factory=threading.Event)
    inflight: dict[int, int] = field(default_factory=dict)  # paho mid -> report seq
    acked: list[int] = field(default_factory=list)  # seqs acknowledged, to delete
    last_sent_seq: int = -1
    status_due_mono_s: float = 0.0


class MqttPublisher:
    """Publishes outbox rows to the broker and deletes them on acknowledgement.

    At most `inflight_max` publishes wait for acknowledgement at once, so a
    long backlog drains in order without flooding the broker.
    `status_payload(state)` builds the retained status text for "online"
    (at every connect and every `status_interval_s`), "offline" (clean stop)
    and "will" (the broker's last will, an `offline` written at connect).
    `retained` (topic, payload) pairs, such as the layout, are published
    retained at every connect.
    """

    def __init__(
        self,
        config: MqttConfig,
        outbox: Outbox,
        *,
        client_id: str,
        status_topic: str,
        status_payload: Callable[[str], str],
        stop: threading.Event,
        inflight_max: int = 20,
        retained: Sequence[tuple[str, str]] = (),
    ) -> None:
        if inflight_max < 1:
            raise ValueError(f"inflight_max is {inflight_max}, should be >= 1")
        self._inflight_max = inflight_max
        self._config = config
        self._outbox = outbox
        self._client_id = client_id
        self._status_topic = status_topic
        self._status_payload = status_payload
        self._retained = list(retained)
        self._stop = stop
        self._wake = threading.Event()
        self._connected = threading.Event()
        self._hold_run_id: str | None = None
        self._unacked_deletes: list[int] = []  # acknowledged, but the disk refused the delete
        self._thread = threading.Thread(target=self._run, name="mqtt-publisher", daemon=True)
        self.published = 0
        self.acknowledged = 0

    def start(self) -> None:
        """Start the publisher thread."""
        self._thread.start()

    def notify(self) -> None:
        """New rows are in the outbox: send them without waiting for the next poll."""
        self._wake.set()

    @property
    def connected(self) -> bool:
        """Whether a broker connection is up right now."""
        return self._connected.is_set()

    def hold(self, run_id: str) -> None:
        """Do not send the unsynchronised reports of run `run_id` (they wait to be re-stamped)."""
        self._hold_run_id = run_id

    def release_hold(self) -> None:
        """Send held reports (after they were re-stamped, or when waiting longer is pointless)."""
        self._hold_run_id = None
        self._wake.set()

    def drain(self, timeout_s: float) -> bool:
        """Wait until the outbox is empty or `timeout_s` passes; True if it emptied.

        Gives up after about a second when there is no broker connection: what is left
        stays in the outbox for the next start.

        Raises:
            OutboxError: the outbox cannot be read.
        """
        start = time.monotonic()
        deadline = start + timeout_s
        while time.monotonic() < deadline:
            if self._outbox.depth() == 0:
                return True
            if not self.connected and time.monotonic() - start > _DRAIN_UNCONNECTED_S:
                return False
            self._wake.set()
            time.sleep(0.05)
        return self._outbox.depth() == 0

    def join(self, timeout_s: float) -> None:
        """Wait for the thread to end after the stop event is set."""
        self._wake.set()
        self._thread.join(timeout_s)

    def _make_client(self) -> _Connection:
        client = new_client(self._config, self._client_id)
        connection = _Connection(client)
        client.will_set(self._status_topic, self._status_payload("will"), qos=1, retain=True)

        def on_connect(_c: mqtt.Client, _u: object, _f: object, reason: ReasonCode, _p: object) -> None:
            if reason.is_failure:
                log.warning(
                    "broker %s:%s refused the connection: %s", self._config.host, self._config.port, reason
                )
                connection.failed.set()
            else:
                connection.connected.set()

        def on_disconnect(_c: mqtt.Client, _u: object, _f: object, reason: ReasonCode, _p: object) -> None:
            connection.failed.set()

        def on_publish(_c: mqtt.Client, _u: object, mid: int, reason: ReasonCode, _p: object) -> None:
            seq = connection.inflight.pop(mid, None)
            if seq is None:
                return  # the status message, which is not an outbox row
            if reason.is_failure:
                log.warning("broker refused report seq %d: %s; it stays in the outbox", seq, reason)
                connection.failed.set()  # reconnect and resend in order
                return
            connection.acked.append(seq)

        client.on_connect = on_connect
        client.on_disconnect = on_disconnect
        client.on_publish = on_publish
        return connection

    def _run(self) -> None:
        backoff_s = _BACKOFF_START_S
        while not self._stop.is_set():
            connection = self._make_client()
            try:
                if self._serve(connection):
                    backoff_s = _BACKOFF_START_S
            except (OSError, ssl.SSLError) as exc:
                log.warning("broker %s:%s unreachable: %s", self._config.host, self._config.port, exc)
            except OutboxError as exc:
                log.error("%s; retrying after back-off", exc)
            except Exception:
                # The publisher must outlive any surprise: nothing is lost, the outbox keeps all.
                log.exception("publisher error; reconnecting after back-off")
            finally:
                self._connected.clear()
                self._close(connection)
            # Jitter spreads a fleet's reconnects after a broker restart.
            self._stop.wait(backoff_s * random.uniform(0.5, 1.0))
            backoff_s = min(_BACKOFF_MAX_S, backoff_s * 2)

    def _serve(self, connection: _Connection) -> bool:
        """Connect and publish until the connection drops or stop is set; True if it connected."""
        client = connection.client
        client.connect(self._config.host, self._config.port, keepalive=self._config.keepalive_s)
        deadline = time.monotonic() + _CONNECT_TIMEOUT_S
        while not connection.connected.is_set():
            if connection.failed.is_set() or self._stop.is_set() or time.monotonic() > deadline:
                return False
            client.loop(timeout=_LOOP_TIMEOUT_S)
        log.info("connected to broker %s:%s", self._config.host, self._config.port)
        self._connected.set()
        for topic, payload in self._retained:  # e.g. the layout: state, not reports, so not outbox rows
            client.publish(topic, payload, qos=1, retain=True)
        while not self._stop.is_set() and not connection.failed.is_set():
            if time.monotonic() >= connection.status_due_mono_s:
                client.publish(self._status_topic, self._status_payload("online"), qos=1, retain=True)
                connection.status_due_mono_s = time.monotonic() + self._config.status_interval_s
            sent = self._send_pending(connection)
            client.loop(timeout=_LOOP_TIMEOUT_S)
            self._delete_acknowledged(connection)
            if not sent and not connection.inflight:
                # Nothing to send: sleep until the pipeline stores more (or 0.2 s for keepalive).
                self._wake.wait(0.2)
                self._wake.clear()
        if self._stop.is_set() and not connection.failed.is_set():
            self._say_goodbye(connection)
        return True

    def _send_pending(self, connection: _Connection) -> int:
        """Publish the next stored rows, up to the in-flight window; return how many were sent."""
        room = self._inflight_max - len(connection.inflight)
        if room <= 0:
            return 0
        rows = self._outbox.take(connection.last_sent_seq, room, hold_run_id=self._hold_run_id)
        for count, row in enumerate(rows):
            info = connection.client.publish(row.topic, row.payload, qos=1)
            if info.rc != mqtt.MQTT_ERR_SUCCESS:
                connection.failed.set()
                return count
            connection.inflight[info.mid] = row.seq
            connection.last_sent_seq = row.seq
            self.published += 1
        return len(rows)

    def _delete_acknowledged(self, connection: _Connection) -> None:
        """Delete acknowledged rows in one transaction; if the disk refuses, retry next time."""
        if connection.acked:
            self._unacked_deletes.extend(connection.acked)
            self.acknowledged += len(connection.acked)
            connection.acked.clear()
        if not self._unacked_deletes:
            return
        try:
            self._outbox.acknowledge(self._unacked_deletes)
        except OutboxError as exc:
            # The rows stay; if the agent stops now they are sent again (same bytes, same key).
            log.warning("%s; will retry", exc)
            return
        self._unacked_deletes.clear()

    def _say_goodbye(self, connection: _Connection) -> None:
        """Publish the final offline status and wait (bounded) for it and pending acks."""
        info = connection.client.publish(
            self._status_topic, self._status_payload("offline"), qos=1, retain=True
        )
        deadline = time.monotonic() + 2.0
        while (connection.inflight or not info.is_published()) and time.monotonic() < deadline:
            connection.client.loop(timeout=_LOOP_TIMEOUT_S)
            self._delete_acknowledged(connection)

    @staticmethod
    def _close(connection: _Connection) -> None:
        try:
            connection.client.disconnect()
            connection.client.loop(timeout=_LOOP_TIMEOUT_S)
        except (OSError, ssl.SSLError):
            pass  # the socket is already gone; nothing to tell the broker
