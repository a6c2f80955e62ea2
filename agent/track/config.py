"""Config sections of the trackers, one model per `tracker.type`."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from agent.config_base import Section


class NearestTrackerConfig(Section):
    """Greedy nearest-neighbour tracker: cheap, for sparse scenes and ToF sensors."""

    type: Literal["nearest"] = "nearest"
    max_distance_m: float = Field(default=0.8, gt=0, description="Gate: farther detections never match.")
    min_hits: int = Field(default=3, ge=1, description="Detections needed before a track counts.")
    max_age_s: float = Field(default=1.0, gt=0, description="A track unseen this long is ended.")


class KalmanTrackerConfig(Section):
    """ByteTrack-style Kalman tracker with two-stage association, for cameras and crowds."""

    type: Literal["kalman"]
    max_distance_m: float = Field(default=0.8, gt=0, description="Gate: farther detections never match.")
    min_hits: int = Field(default=3, ge=1, description="Matches needed before a track counts.")
    max_age_s: float = Field(
        default=1.0, gt=0, description="A track unseen this long (while detecting) ends."
    )
    high_score: float = Field(default=0.5, ge=0, le=1, description="Only detections this sure start tracks.")
    low_score: float = Field(default=0.1, ge=0, le=1, description="Weaker detections are ignored.")
    accel_m_s2: float = Field(default=2.0, gt=0, description="How hard people may change speed (std dev).")
    measurement_m: float = Field(
        default=0.08,
        gt=0,
        description="Detection position noise (std dev): 0.08 for foot points of boxes, 0.05 for the "
        "shipped head model seen from above.",
    )
    min_separation_m: float = Field(
        default=0.0,
        ge=0,
        description="Overhead cameras: a spare detection this close to a tracked person is that person "
        "(about 0.3 for heads: a child at a parent's hand is farther); 0 = off, for side views.",
    )
    show_missed: int = Field(
        default=1,
        ge=0,
        description="Detections in a row a person may be missed and still be reported where the filter "
        "predicts them, while that is inside the floor where people have been seen; 0 = off.",
    )
    weak_confirm_apart_m: float = Field(
        default=0.0,
        ge=0,
        description="Overhead cameras: a weak detection (low_score to high_score) this far from everyone "
        "matched in the same update keeps a track that is not confirmed yet going, so someone the model "
        "scores weakly is confirmed, and counted, before they are past a line; nearer, it may be a pram, "
        "bag or shoulder beside a person (0.6 for the shipped head model); 0 = off: only confident "
        "detections feed new tracks, as in ByteTrack.",
    )
    faint_apart_m: float = Field(
        default=0.0,
        ge=0,
        description="Overhead cameras: a faint detection (under low_score, which the detector's "
        "score_threshold must let through) at least this far from every other detection and from "
        "everyone matched, and inside the picture (at its edge only ahead of a walking track), moves a "
        "confirmed track that missed its person, "
        "without renewing it (it still ends max_age_s after its last clear detection), so someone the "
        "model scores low for a moment is still followed, and counted, across a line (0.6 for the "
        "shipped head model, with low_score 0.4 and the detector's score_threshold 0.15); 0 = off.",
    )
    relink_speed_m_s: float = Field(
        default=0.0,
        ge=0,
        description="A track confirmed where a confirmed track, missed now and looking alike (colours "
        "at most 0.2 apart when both are known), could have walked at this speed since its last match "
        "takes that track's id: someone the detector lost in a crowd for a few frames keeps their "
        "identity, visit and routes (0 = off; 1.5 in the installer's configs for the shipped head model, "
        "benchmarks/RESULTS.md).",
    )
    relink_memory_s: float = Field(
        default=0.0,
        ge=0,
        description="With relink_speed_m_s: how long a confirmed track that timed out (max_age_s) in "
        "the picture keeps its id for a new track to take, as relink_speed_m_s says, before it ends. "
        "Unmatched and unreported meanwhile, it moves nothing; someone the detector scored faint for "
        "longer than max_age_s (in a crowd, where no faint detection moves a track) keeps their "
        "identity and their side of each line when found again (0 = off).",
    )
    hidden_within_m: float = Field(
        default=0.0,
        ge=0,
        description="Overhead cameras: a confirmed track that missed its person while predicted this "
        "close to someone tracked in the same update is taken to be hidden behind them on the camera's "
        "line of sight (a child walking behind a parent) and ends max_hidden_s after its last match "
        "instead of max_age_s, so that with relink_speed_m_s the person keeps their track, and their "
        "side of each line, when the two part. A steady track walking with the one it hides behind "
        "rides with it meanwhile, and is reported there: the two cross lines together; 0 = off.",
    )
    max_hidden_s: float = Field(
        default=2.5,
        gt=0,
        description="How long a hidden track (hidden_within_m) may go unseen before it ends.",
    )
    min_track_score: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="A confirmed track is reported (to lines, zones and the heatmap) only while the "
        "moving average of its detections' scores is at least this, so a false track the detector "
        "feeds for a few frames running (a trolley's basket, a shoulder) counts nothing; 0 = off. 0.6 "
        "in the installer's configs for the shipped head model at two views (a fisheye), off at one "
        "(benchmarks/RESULTS.md).",
    )
    appearance_weight_m: float = Field(
        default=0.0,
        ge=0,
        description="Overhead cameras (head points, a camera calibration): metres of distance one unit "
        "of colour difference (the hair and shoulders where they are seen, 0-1) weighs when matching "
        "detections to tracks, so neighbours in a crowd keep their tracks (2 for the shipped head "
        "model); 0 = off.",
    )

    body_within_m: float = Field(
        default=0.0,
        ge=0,
        description="Overhead cameras (a camera calibration): a track every detection of which lies "
        "this near the body line of one person walking, as the camera sees it (where their body "
        "0.2-1.5 m up is placed at the detections' point height), is a peak on their body, not a "
        "person: a fisheye draws a body long at the picture's rim. It is not reported, and crosses "
        "no line, until a detection lies off that line (0.25 for the shipped head model); 0 = off.",
    )

    tentative_wait_within_m: float = Field(
        default=0.0,
        ge=0,
        description="Overhead cameras: a track not confirmed yet that misses one detection while "
        "predicted this near someone tracked waits for the next detection instead of ending, so "
        "that a person the model finds one frame in two beside or behind someone (a child behind "
        "a parent) is confirmed, and counted, before they are past a line (0.6 for the shipped head "
        "model); 0 = off: a tentative track that misses ends, as in ByteTrack.",
    )

    @model_validator(mode="after")
    def _scores_ordered(self) -> KalmanTrackerConfig:
        if self.low_score > self.high_score:
            raise ValueError(f"low_score ({self.low_score}) must not exceed high_score ({self.high_score})")
        return self


TrackerConfig = Annotated[NearestTrackerConfig | KalmanTrackerConfig, Field(discriminator="type")]
