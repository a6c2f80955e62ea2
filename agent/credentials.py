"""Secrets (MQTT password, TLS key passphrase), never read from the config file.

A secret comes from an environment variable, or from a file of the same
lower-case name in systemd's `$CREDENTIALS_DIRECTORY` (`LoadCredential=`), in
that order. The environment is read when asked, not at import.
"""

from __future__ import annotations

import os
from pathlib import Path

from agent.errors import SecretError

MQTT_PASSWORD = "FOOTFALL_MQTT_PASSWORD"
TLS_KEY_PASSPHRASE = "FOOTFALL_TLS_KEY_PASSPHRASE"


def read_secret(env_var: str) -> str | None:
    """The secret named `env_var`, or None when neither source has it.

    Looks at the environment variable `env_var`, then at the file
    `$CREDENTIALS_DIRECTORY/<env_var lower-cased>`; a trailing newline is removed.

    Raises:
        SecretError: the credentials file exists but cannot be read.
    """
    value = os.environ.get(env_var)
    if value is not None:
        return value
    directory = os.environ.get("CREDENTIALS_DIRECTORY")
    if not directory:
        return None
    path = Path(directory) / env_var.lower()
    if not path.exists():
        return None
    try:
        return path.read_text(encoding="utf-8").rstrip("\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise SecretError(f"{path}: cannot read credential {env_var}: {exc}") from None
