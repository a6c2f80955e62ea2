"""Config section of the runtime: how often a failing stage may be restarted."""

from __future__ import annotations

from pydantic import Field

from agent.config_base import Section


class SupervisorConfig(Section):
    """Restart budget of the pipeline's stages (capture, processing).

    A stage that raises is restarted after `restart_delay_s`, up to
    `max_restarts` times within any `window_s`; one more failure within the
    window stops the agent with exit status 1, so systemd restarts the whole
    service (a fresh process clears whatever state the stage kept failing on).
    """

    max_restarts: int = Field(
        default=5, ge=0, le=1000, description="Restarts allowed within `window_s`; 0 = exit at the first."
    )
    window_s: float = Field(
        default=600.0, gt=0, le=86_400, description="The budget's sliding window, seconds."
    )
    restart_delay_s: float = Field(
        default=1.0, ge=0, le=60, description="Pause before restarting a failed stage, seconds."
    )
