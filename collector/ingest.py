"""The MQTT side of the collector: a shared subscription, a writer thread, acknowledgements after commit.

Several collector processes subscribe to `$share/<group>/<prefix>/#` with one
group name, so the broker hands each report to exactly one of them. Retained
messages are never sent on a shared subscription (MQTT 5, 4.8.2), so every
process also subscribes, unshared, to the low-volume retained topics
`status` and `layout`; storing those is idempotent, so receiving them in
several processes is harmless.

Messages are acknowledged by hand (QoS 1 PUBACK) only after the transaction
that stores them commits: a collector that dies mid-batch leaves the reports
unacknowledged, and the broker sends them again (to this client id when it
reconnects with its persistent session). Nothing is acknowledged that is not
stored, and a re-delivery is harmless because storage is idempotent.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError

from collector.messages import MessageReader
from collector.store.writer import BatchResult, ReportWriter

log = logging.getLogger("footfall.collector")


@dataclass(frozen=True)
class IngestSettings:
    """Where to subscribe and how to batch. Times in seconds."""

    host: str = "localhost"
    port: int = 1883
    group: str = "footfall-collectors"
    client_id: str = "footfall-collector"
    prefix: str = "footfall/v1"
    session_expiry_s: int = 3600
    receive_maximum: int = 1000
    batch_max: int = 500
    batch_wait_s: float = 0.05
    username: str | None = None
    password: str | None = None

    def __post_init__(self) -> None:
        for name in ("batch_max", "receive_maximum"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} is {getattr(self, name)}, should be >= 1")
        if any(c in self.group for c in "/+#"):
            raise ValueError(f"group is {self.group!r}; a shared subscription group may not contain / + or #")


@dataclass(frozen=True)
class _Received:
    topic: str
    payload: bytes
    mid: int
    qos: int


@dataclass
class IngestTotals:
    """Running totals of one collector process."""

    received: int = 0
    stored: int = 0
    duplicates: int = 0
    health: int = 0
    dead: int = 0
    failed_batches: int = 0


class Ingest:
    """Subscribes, validates, stores and acknowledges until `stop()`."""

    def __init__(self, settings: IngestSettings, reader: MessageReader, writer: ReportWriter) -> None:
        self.settings = settings
        self.totals = IngestTotals()
        self._reader = reader
        self._writer = writer
        self._queue: queue.Queue[_Received] = queue.Queue()
        self._stop = threading.Event()
        self._subscribed = threading.Event()
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=settings.client_id,
            protocol=mqtt.MQTTv5,
            manual_ack=True,
        )
        if settings.username:
            self._client.username_pw_set(settings.username, settings.password)
        self._client.reconnect_delay_set(1, 10)
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = lambda *_: self._subscribed.set()
        self._client.on_message = self._on_message
        self._thread = threading.Thread(target=self._run, name="collector-writer", daemon=True)

    @property
    def topics(self) -> list[str]:
        """The subscriptions: the shared one, then the unshared retained ones."""
        prefix = self.settings.prefix
        return [f"$share/{self.settings.group}/{prefix}/#", f"{prefix}/+/+/status", f"{prefix}/+/+/layout"]

    def start(self, timeout_s: float = 10.0) -> None:
        """Connect, subscribe and start the writer thread.

        Raises:
            ConnectionError: the broker did not accept the subscription within `timeout_s` (names it).
        """
        properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        properties.SessionExpiryInterval = self.settings.session_expiry_s
        properties.ReceiveMaximum = self.settings.receive_maximum
        self._client.connect(
            self.settings.host, self.settings.port, keepalive=30, clean_start=False, properties=properties
        )
        self._client.loop_start()
        self._thread.start()
        if not self._subscribed.wait(timeout_s):
            self.stop()
            raise ConnectionError(
                f"no subscription on {self.settings.host}:{self.settings.port} within {timeout_s} s "
                f"(topics {self.topics})"
            )
        log.info("subscribed to %s on %s:%d", self.topics, self.settings.host, self.settings.port)

    def stop(self) -> None:
        """Store what is queued, then disconnect."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(30)
        self._client.disconnect()
        self._client.loop_stop()

    def _on_connect(
        self, client: mqtt.Client, _userdata: object, _flags: object, reason: ReasonCode, _props: object
    ) -> None:
        if reason.is_failure:
            log.error("broker refused the connection: %s", reason)
            return
        client.subscribe([(topic, 1) for topic in self.topics])

    def _on_message(self, _client: mqtt.Client, _userdata: object, message: mqtt.MQTTMessage) -> None:
        self._queue.put(_Received(message.topic, bytes(message.payload), message.mid, message.qos))

    def _next_batch(self) -> list[_Received]:
        batch: list[_Received] = []
        try:
            batch.append(self._queue.get(timeout=0.2))
        except queue.Empty:
            return batch
        deadline = time.monotonic() + self.settings.batch_wait_s
        while len(batch) < self.settings.batch_max:
            remaining = deadline - time.monotonic()
            try:
                batch.append(
                    self._queue.get(timeout=max(remaining, 0)) if remaining > 0 else self._queue.get_nowait()
                )
            except queue.Empty:
                break
        return batch

    def _run(self) -> None:
        while not (self._stop.is_set() and self._queue.empty()):
            batch = self._next_batch()
            if batch:
                self._store(batch)

    def _store(self, batch: list[_Received]) -> None:
        messages = [self._reader.read(r.topic, r.payload) for r in batch]
        delay_s = 0.2
        while True:
            try:
                result = self._writer.write(messages)
                break
            except (OperationalError, InterfaceError) as error:
                # The database is unreachable. Nothing was acknowledged: keep trying; the broker
                # keeps the messages meanwhile.
                self.totals.failed_batches += 1
                log.error(
                    "database unavailable, %d messages wait, retrying in %.1f s: %s",
                    len(batch),
                    delay_s,
                    error,
                )
                if self._stop.wait(delay_s) and delay_s >= 5:
                    return
                delay_s = min(delay_s * 2, 5.0)
            except SQLAlchemyError as error:
                # The database is up but refused something in the batch: store one by one so
                # that only the offending message becomes a dead letter.
                self.totals.failed_batches += 1
                log.error("batch of %d refused (%s); storing one by one", len(batch), error)
                result = self._writer.write_each(messages)
                break
        for received in batch:
            if received.qos > 0:
                self._client.ack(received.mid, received.qos)
        self._count(len(batch), result)

    def _count(self, received: int, result: BatchResult) -> None:
        totals = self.totals
        totals.received += received
        totals.stored += result.stored
        totals.duplicates += result.duplicates
        totals.health += result.health
        totals.dead += result.dead
        for reason in result.dead_reasons:
            log.warning("dead letter: %s", reason)
        log.debug("batch of %d: %s", received, result)
