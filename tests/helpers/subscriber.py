"""A real MQTT subscriber that records every message it receives."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion


class Subscriber:
    """Subscribes to `topic` on a broker and keeps (topic, payload text, retained) in arrival order."""

    def __init__(self, host: str, port: int, topic: str = "footfall/v1/#") -> None:
        self.messages: list[tuple[str, str, bool]] = []
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self._client.on_connect = lambda c, _u, _f, _r, _p: c.subscribe(topic, qos=1)
        self._client.on_subscribe = lambda *_args: self._subscribed.set()
        self._client.on_message = self._on_message
        self._client.connect(host, port, keepalive=30)
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
