"""A real MQTT subscriber that records every message it receives."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties


class Subscriber:
    """Subscribes to `topic` on a broker and keeps (topic, payload text, retained) in arrival order.

    With `session_expiry_s` > 0 (and a fixed `client_id`) the broker keeps the
    subscription and queues messages while the subscriber is away (e.g. across
    a broker restart with persistence). `tls` is (ca file, cert file, key file).
    The client reconnects by itself after the broker comes back.
    """

    def __init__(
        self,
        host: str,
        port: int,
        topic: str = "footfall/v1/#",
        *,
        client_id: str = "",
        session_expiry_s: int = 0,
        tls: tuple[Path, Path, Path] | None = None,
    ) -> None:
        self.messages: list[tuple[str, str, bool]] = []
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        if tls is not None:
            ca, cert, key = tls
            self._client.tls_set(ca_certs=str(ca), certfile=str(cert), keyfile=str(key))
        self._client.reconnect_delay_set(1, 2)
        self._client.on_connect = lambda c, _u, _f, _r, _p: c.subscribe(topic, qos=1)
        self._client.on_subscribe = lambda *_args: self._subscribed.set()
        self._client.on_message = self._on_message
        properties = None
        if session_expiry_s:
            properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            properties.SessionExpiryInterval = session_expiry_s
        self._client.connect(
            host, port, keepalive=30, clean_start=not session_expiry_s, properties=properties
        )
        self._client.loop_start()
        if not self._subscribed.wait(10):
            raise RuntimeError(f"could not subscribe to {topic} on {host}:{port}")

    def _on_message(self, _c: mqtt.Client, _u: object, message: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.messages.append((message.topic, message.payload.decode(), bool(message.retain)))

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        """Parsed payloads of topics ending in `/kind`, in arrival order."""
        with self._lock:
            return [json.loads(text) for topic, text, _ in self.messages if topic.endswith("/" + kind)]

    def wait_for(self, kind: str, count: int, timeout_s: float = 30.0) -> list[dict[str, Any]]:
        """Wait until at least `count` payloads of `kind` arrived; return them all."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = self.of_kind(kind)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        return self.of_kind(kind)

    def close(self) -> None:
        """Disconnect."""
        self._client.loop_stop()
        self._client.disconnect()
