"""`footfall listen`: print the reports a broker holds for footfall devices.

For installers checking a device counts right, and for the demo. Every
payload is validated against the wire-contract models; an invalid one is
printed with what is wrong and makes the exit code non-zero.
"""

from __future__ import annotations

import json
import queue
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from pydantic import ValidationError

from agent.publish.schemas import WIRE_MODELS


@dataclass
class ListenResult:
    """What `listen` saw: messages, invalid ones, and in/out totals per line over all `counts`."""

    received: int = 0
    invalid: int = 0
    line_totals: dict[str, list[int]] = field(default_factory=dict)


def listen(
    host: str,
    port: int,
    topic: str,
    *,
    max_messages: int | None,
    timeout_s: float,
    until_offline: bool = False,
    emit: Callable[[str], None] = print,
) -> ListenResult:
    """Subscribe to `topic` and print each message as `topic payload`.

    Stops after `max_messages`, after `timeout_s` seconds, or (with `until_offline`)
    when a device's live status says "offline" (a retained one from before does not count).

    Raises:
        OSError: the broker cannot be reached.
    """
    inbox: queue.Queue[tuple[str, bytes, bool]] = queue.Queue()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.on_connect = lambda c, _u, _f, _r, _p: c.subscribe(topic, qos=1)
    client.on_message = lambda _c, _u, message: inbox.put(
        (message.topic, bytes(message.payload), bool(message.retain))
    )
    client.connect(host, port, keepalive=30)
    client.loop_start()
    result = ListenResult()
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline and (max_messages is None or result.received < max_messages):
            try:
                message_topic, raw, retained = inbox.get(
                    timeout=min(0.2, max(0.0, deadline - time.monotonic()))
                )
            except queue.Empty:
                continue
            result.received += 1
            text = raw.decode("utf-8", errors="replace")
            problem = validate_payload(message_topic, text)
            if problem:
                result.invalid += 1
                emit(f"{message_topic} INVALID ({problem}): {text}")
                continue
            emit(f"{message_topic} {text}")
            payload = json.loads(text)
            if payload.get("kind") == "counts":
                for line in payload["lines"]:
                    totals = result.line_totals.setdefault(line["line"], [0, 0])
                    totals[0] += line["in"]
                    totals[1] += line["out"]
            if (
                until_offline
                and not retained
                and payload.get("kind") == "status"
                and payload["state"] == "offline"
            ):
                break
    finally:
        client.loop_stop()
        client.disconnect()
    return result


def validate_payload(topic: str, text: str) -> str | None:
    """None if `text` is a valid payload for the kind named by `topic`'s last level, else why not."""
    kind = topic.rsplit("/", 1)[-1]
    model = WIRE_MODELS.get(kind)
    if model is None:
        return f"unknown report kind {kind!r}, expected one of {', '.join(WIRE_MODELS)}"
    try:
        model.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
    return None
