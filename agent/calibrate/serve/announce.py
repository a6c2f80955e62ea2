"""Tells the central server, on the device's retained status topic, that the calibration page is open.

While `footfall calibrate serve` runs, the agent is stopped and the camera is
shown live to whoever has the page's token; the server should know. At
start a retained `online` status with `calibration_page.open = true` is
published; at the end an `offline` one with `open = false` (and the broker's
last will says `offline` if the process dies). Only this status text is sent,
never a frame. A broker that cannot be reached never holds up the page: the
connection is made in the background and the closing message gets a few
seconds at most.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import paho.mqtt.client as mqtt

from agent import __version__
from agent.config import AgentConfig
from agent.errors import SecretError
from agent.publish.mqtt_client import new_client, status_topic
from agent.publish.payloads import CalibrationPageStatus, StatusReport

log = logging.getLogger(__name__)

_CLOSE_WAIT_S = 3.0


class PageAnnouncer:
    """Publishes the page's open and closed status for the device in `config` (QoS 1, retained)."""

    def __init__(self, config: AgentConfig, lan: bool) -> None:
        self._config = config
        self._topic = status_topic(config.mqtt, config.device)
        self._since = datetime.now(UTC).replace(microsecond=0)
        self._lan = lan
        self._client: mqtt.Client | None = None

    def _status(self, is_open: bool) -> str:
        device = self._config.device
        return StatusReport(
            site=device.site,
            device=device.id,
            state="online" if is_open else "offline",
            sent_at=datetime.now(UTC).replace(microsecond=0),
            agent_version=__version__,
            calibration_page=CalibrationPageStatus(open=is_open, lan=self._lan, since=self._since),
        ).to_json()

    def open(self) -> None:
        """Connect in the background and publish that the page is open; logs (never raises) on failure."""
        device = self._config.device
        try:
            client = new_client(self._config.mqtt, f"footfall-calibrate-{device.site}-{device.id}")
        except (SecretError, OSError, ValueError) as exc:
            log.warning("calibration page: status not published (%s)", exc)
            return
        offline = StatusReport(site=device.site, device=device.id, state="offline").to_json()
        client.will_set(self._topic, offline, qos=1, retain=True)
        client.connect_async(self._config.mqtt.host, self._config.mqtt.port, keepalive=30)
        client.loop_start()
        client.publish(self._topic, self._status(True), qos=1, retain=True)
        self._client = client

    def close(self) -> None:
        """Publish that the page has closed, wait up to a few seconds for the broker, disconnect."""
        client, self._client = self._client, None
        if client is None:
            return
        message = client.publish(self._topic, self._status(False), qos=1, retain=True)
        try:  # paho raises RuntimeError for a message it could not queue (never connected)
            message.wait_for_publish(_CLOSE_WAIT_S)
            delivered = message.is_published()
        except (RuntimeError, ValueError):
            delivered = False
        if not delivered:
            log.warning(
                "calibration page: broker %s:%s did not acknowledge the closing status",
                self._config.mqtt.host,
                self._config.mqtt.port,
            )
        client.disconnect()
        client.loop_stop()
