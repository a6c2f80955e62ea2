"""The wire contract: one pydantic model per MQTT payload under `footfall/v1/{site}/{device}/`.

These models are the single source of the JSON Schemas in `schemas/`
(`footfall schemas write` regenerates them; a test fails when they differ).
Every model rejects unknown fields. Every bucket report carries the schema
version, the device, the bucket start (ISO 8601 UTC) and length, a
per-device sequence number and whether the device clock was synchronised, so
a subscriber can store it idempotently on (device, kind, bucket start).

Nothing here can hold a track id, a trajectory or a per-person time: only
aggregates (DESIGN.md rule 2).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, PlainSerializer, field_validator

SCHEMA_VERSION: Literal[1] = 1

_ID = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"


def _utc_text(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


UtcTime = Annotated[AwareDatetime, PlainSerializer(_utc_text, return_type=str, when_used="json")]


class Payload(BaseModel):
    """Base of every payload: immutable, unknown fields rejected, `schema` version first."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    schema_version: Literal[1] = Field(default=SCHEMA_VERSION, alias="schema")
    kind: str = Field(description="The report kind; also the last level of the topic.")
    site: str = Field(pattern=_ID)
    device: str = Field(pattern=_ID)

    def to_json(self) -> str:
        """The exact text that is published (stable field order, no spaces)."""
        return self.model_dump_json(by_alias=True)


class BucketReport(Payload):
    """Fields shared by every time-bucket report."""

    bucket_start: UtcTime = Field(description="Start of the bucket, ISO 8601 UTC, whole seconds.")
    bucket_s: int = Field(ge=1, description="Nominal bucket length in seconds.")
    observed_s: float = Field(
        ge=0, description="Seconds of the bucket the device actually observed (less at start and stop)."
    )
    seq: int = Field(ge=0, description="Per-device sequence number, monotonic, survives restarts.")
    clock_synced: bool = Field(description="Whether the device clock was NTP-synchronised.")

    @field_validator("bucket_start")
    @classmethod
    def _whole_seconds(cls, value: datetime) -> datetime:
        if value.microsecond:
            raise ValueError(f"bucket_start must be whole seconds, got {value.isoformat()}")
        return value


class LineCount(BaseModel):
    """People who crossed one line in each direction during the bucket."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    line: str = Field(pattern=_ID)
    people_in: int = Field(ge=0, alias="in")
    people_out: int = Field(ge=0, alias="out")


class CountsReport(BucketReport):
    """`counts`: line crossings per line. Published as they are (no suppression)."""

    kind: Literal["counts"] = "counts"
    lines: list[LineCount]


class ZoneOccupancy(BaseModel):
    """People in one zone during the bucket, sampled every frame."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    zone: str = Field(pattern=_ID)
    mean_people: float | None = Field(ge=0, description="Null for a presence sensor, which cannot count.")
    max_people: int | None = Field(ge=0, description="Null for a presence sensor, which cannot count.")
    occupied_s: float | None = Field(
        default=None, ge=0, description="Seconds with someone present (presence sensors)."
    )


class OccupancyReport(BucketReport):
    """`occupancy`: how full each zone was. Published as it is (no suppression)."""

    kind: Literal["occupancy"] = "occupancy"
    zones: list[ZoneOccupancy]


class DwellBin(BaseModel):
    """People whose stay in a zone ended in this bucket and lasted [min_s, max_s) seconds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_s: float = Field(ge=0)
    max_s: float | None = Field(gt=0, description="None for the open last bin.")
    people: int = Field(ge=0)


class ZoneDwell(BaseModel):
    """Dwell-time histogram of one zone; bins under the privacy threshold are withheld."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    zone: str = Field(pattern=_ID)
    bins: list[DwellBin]
    withheld_bins: int = Field(ge=0, description="Bins left out because fewer than k people were in them.")


class DwellReport(BucketReport):
    """`dwell`: how long people stayed in each zone."""

    kind: Literal["dwell"] = "dwell"
    min_people_k: int = Field(ge=1)
    zones: list[ZoneDwell]


class HeatmapCell(BaseModel):
    """One floor grid cell: distinct people seen in it and person-seconds spent in it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ix: int = Field(ge=0)
    iy: int = Field(ge=0)
    people: int = Field(ge=0)
    person_s: float = Field(ge=0)


class HeatmapReport(BucketReport):
    """`heatmap`: floor grid cells; cells seen by fewer than k people are withheld."""

    kind: Literal["heatmap"] = "heatmap"
    cell_m: float = Field(gt=0)
    origin_m: tuple[float, float]
    min_people_k: int = Field(ge=1)
    cells: list[HeatmapCell]
    withheld_cells: int = Field(ge=0)


class Flow(BaseModel):
    """People who walked from one zone to another within the bucket."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    from_zone: str = Field(pattern=_ID)
    to_zone: str = Field(pattern=_ID)
    people: int = Field(ge=0)


class FlowsReport(BucketReport):
    """`flows`: zone-to-zone transitions; flows of fewer than k people are withheld."""

    kind: Literal["flows"] = "flows"
    min_people_k: int = Field(ge=1)
    flows: list[Flow]
    withheld_flows: int = Field(ge=0)


class OutboxReset(BaseModel):
    """The outbox file was unreadable (corrupt) and was moved aside; a fresh one was started."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    at: UtcTime = Field(description="Device wall time of the reset.")
    moved_to: str = Field(description="File name the damaged database was kept under, for inspection.")
    reason: str = Field(description="What SQLite said about the damaged file.")


class OutboxHealth(BaseModel):
    """State of the on-device outbox."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pending: int = Field(ge=0, description="Reports written but not yet acknowledged by the broker.")
    evicted: int = Field(
        ge=0, description="Reports dropped over the device's lifetime to keep within budget."
    )
    unsaved: int = Field(
        default=0,
        ge=0,
        description="Reports held in memory because the disk refused the write (full or failing).",
    )
    write_error: str | None = Field(
        default=None, description="The last write error while writes are failing; null when writes work."
    )
    resets: list[OutboxReset] = Field(
        default_factory=list, description="The most recent times a corrupt outbox was moved aside."
    )


class SerialLinkHealth(BaseModel):
    """A serial sensor's link since start: valid and rejected lines, reopens after unplugs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    connected: bool
    good_lines: int = Field(ge=0)
    bad_lines: int = Field(ge=0, description="Lines dropped: bad CRC, malformed, cut short.")
    reopens: int = Field(ge=0, description="Times the port came back after disappearing.")
    diagnosis: str | None = Field(default=None, description="e.g. a wrong baud rate; null when all is well.")


class FrameHealth(BaseModel):
    """Frames since start (camera, file and sim sources) and the processing speed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    frames_in: int = Field(ge=0, description="Frames the capture thread received from the source.")
    frames_processed: int = Field(ge=0, description="Frames the processing thread counted people in.")
    frames_dropped: int = Field(
        ge=0,
        description="Frames replaced by a newer one before processing took them (processing slower "
        "than the camera); always 0 for a file read as fast as possible.",
    )
    detector_ms: float | None = Field(
        default=None,
        ge=0,
        description="Detector time per frame, milliseconds: exponentially weighted moving average "
        "(weight 0.05, about the last 20 frames the detector ran on; frames the motion gate skipped "
        "are left out). Null before the first detection.",
    )
    processing_ms: float | None = Field(
        default=None,
        ge=0,
        description="Whole per-frame processing time (detection, projection, tracking, counting), "
        "milliseconds: exponentially weighted moving average over about the last 20 frames.",
    )


class CameraLinkHealth(BaseModel):
    """A camera's (or looping file's) link since start: reopens after frames stopped."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    connected: bool = Field(description="Whether frames are coming now (false while reopening).")
    reopens: int = Field(ge=0, description="Times the camera was reopened after its frames stopped.")
    last_error: str | None = Field(
        default=None, description="Why frames last stopped, or why the last reopen failed; null if never."
    )


class CalibrationPageStatus(BaseModel):
    """The installer's calibration page (`footfall calibrate serve`), which shows the live camera."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    open: bool = Field(description="True while the page runs; the agent is stopped then.")
    lan: bool = Field(description="Reachable from the local network, not only from the device itself.")
    since: UtcTime = Field(description="Device wall time when the page was started.")


class StatusReport(Payload):
    """`status` (retained): online/offline and health. The broker's last will says `offline`."""

    kind: Literal["status"] = "status"
    state: Literal["online", "offline"]
    sent_at: UtcTime | None = Field(default=None, description="Device wall time when sent.")
    clock_synced: bool | None = None
    agent_version: str | None = None
    uptime_s: float | None = Field(default=None, ge=0)
    outbox: OutboxHealth | None = None
    serial: SerialLinkHealth | None = Field(default=None, description="Only for serial sensors.")
    frames: FrameHealth | None = Field(default=None, description="Only for camera, file and sim sources.")
    camera: CameraLinkHealth | None = Field(default=None, description="Only for camera and file sources.")
    stage_restarts: int | None = Field(
        default=None,
        ge=0,
        description="Times a failed capture or processing stage was restarted since start.",
    )
    cpu_temperature_c: float | None = Field(
        default=None, description="CPU temperature, degrees Celsius; null when the board reports none."
    )
    calibration_page: CalibrationPageStatus | None = Field(
        default=None, description="Only from the calibration page: it is open (or has just closed)."
    )


REPORT_MODELS: dict[str, type[Payload]] = {
    "status": StatusReport,
    "counts": CountsReport,
    "occupancy": OccupancyReport,
    "dwell": DwellReport,
    "heatmap": HeatmapReport,
    "flows": FlowsReport,
}
