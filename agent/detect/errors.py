"""The error a detector raises for a model file it cannot use."""

from __future__ import annotations

from agent.errors import FootfallError


class ModelError(FootfallError):
    """A model file is missing, not ONNX, or has inputs or outputs no adapter understands.

    The message names the file and what was found, and says what was expected.
    """
