"""Config sections of delivery: the MQTT broker and the outbox."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from agent.config_base import Section


class TlsConfig(Section):
    """TLS to the broker. The key passphrase comes from the credentials, never from here."""

    ca_file: Path
    cert_file: Path | None = None
    key_file: Path | None = None

    @model_validator(mode="after")
    def _cert_and_key_together(self) -> TlsConfig:
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("cert_file and key_file must be given together (client certificate and its key)")
        return self


class MqttConfig(Section):
    """The broker the reports go to. The password comes from the credentials, never from here."""

    host: str = "localhost"
    port: int = Field(default=1883, ge=1, le=65535)
    protocol: Literal["5", "3.1.1"] = "5"
    keepalive_s: int = Field(default=30, ge=5, le=3600)
    username: str | None = None
    topic_prefix: str = Field(default="footfall/v1", pattern=r"^[^#+]+[^/#+]$")
    tls: TlsConfig | None = None


class OutboxConfig(Section):
    """The SQLite outbox every report is written to before it is sent."""

    path: Path = Path("state/outbox.db")
    synchronous: Literal["FULL", "NORMAL"] = "FULL"
    inflight_max: int = Field(default=20, ge=1, le=1000, description="Unacknowledged publishes at once.")
