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
    status_interval_s: int = Field(
        default=60, ge=5, le=3600, description="Seconds between retained `online` status refreshes."
    )


# 256 MiB: a one-minute `counts` report takes about 0.4 KiB in the file (see
# benchmarks/bench_delivery.py), so this holds well over 30 days of one-minute
# buckets of every report kind on a Raspberry Pi SD card, and about a year of
# `counts` alone. 90 days: older reports are of little use to a store.
DEFAULT_MAX_BYTES = 256 * 1024 * 1024
DEFAULT_MAX_AGE_S = 90 * 24 * 3600
MIN_MAX_BYTES = 256 * 1024


class OutboxConfig(Section):
    """The SQLite outbox every report is written to before it is sent.

    `synchronous = "FULL"` (default) loses nothing on power loss. `"NORMAL"`
    (WAL mode) writes faster but a power cut (not a crash of the agent) can
    lose the transactions committed since the last checkpoint: at most
    about one WAL's worth, i.e. the last few buckets before the cut.
    """

    path: Path = Path("state/outbox.db")
    synchronous: Literal["FULL", "NORMAL"] = "FULL"
    inflight_max: int = Field(default=20, ge=1, le=1000, description="Unacknowledged publishes at once.")
    max_bytes: int = Field(
        default=DEFAULT_MAX_BYTES,
        ge=MIN_MAX_BYTES,
        description="Size budget of the database and its WAL file, bytes; oldest reports are evicted "
        "(and counted) beyond it.",
    )
    max_age_s: int = Field(
        default=DEFAULT_MAX_AGE_S,
        ge=3600,
        description="Age budget, seconds: reports with a synchronised bucket start older than this "
        "are evicted (and counted).",
    )
    hold_unsynced_s: float = Field(
        default=300.0,
        ge=0,
        description="While the clock is not yet synchronised, hold this run's reports this long "
        "waiting for NTP, so they are re-stamped with the right time before they are sent.",
    )
