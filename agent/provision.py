"""`footfall provision`: give a freshly flashed device its identity, broker and credentials.

Writes two files into the device's config folder (`/etc/footfall`, or a boot
partition folder), in the layout `systemd/footfall.service` expects:

    <target>/footfall.toml              the config: only device.site, device.id, mqtt.host,
                                        mqtt.port, mqtt.username and [mqtt.tls] are changed
    <target>/credentials/mqtt_password  the MQTT password, mode 0600, loaded by the unit's
                                        LoadCredential=footfall_mqtt_password:...

The config starts from the one already in the target, else from `--from`,
else from the device template `systemd/footfall.toml`; it is edited with
tomlkit, so every comment stays. A file is written only when its bytes
change (a rerun with the same arguments is a no-op), atomically, and only
after the new config passed the same validation as `footfall config check`.
A different identity already in the target is never overwritten without `force`.
"""

from __future__ import annotations

import difflib
import os
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

import tomlkit
import tomlkit.items

from agent.config import AgentConfig, parse_config
from agent.errors import FootfallError

DEFAULT_TARGET = Path("/etc/footfall")
CONFIG_NAME = "footfall.toml"
CREDENTIALS_FOLDER = "credentials"
# systemd/footfall.service: LoadCredential=footfall_mqtt_password:/etc/footfall/credentials/mqtt_password,
# and agent.credentials reads it back as $CREDENTIALS_DIRECTORY/footfall_mqtt_password.
PASSWORD_NAME = "mqtt_password"
CONFIG_MODE, SECRET_MODE, SECRET_FOLDER_MODE = 0o640, 0o600, 0o700
MQTT_TLS_PORT, MQTT_PORT = 8883, 1883


class ProvisionError(FootfallError):
    """Provisioning refused or impossible (names the file and what to do)."""


def config_path(target: Path) -> Path:
    """Where the config lives in a device config folder."""
    return target / CONFIG_NAME


def password_path(target: Path) -> Path:
    """Where the MQTT password lives in a device config folder (the unit's LoadCredential source)."""
    return target / CREDENTIALS_FOLDER / PASSWORD_NAME


def device_template() -> Path:
    """The device config template in the footfall source tree (what `systemd/install.sh` installs)."""
    return Path(__file__).resolve().parents[1] / "systemd" / "footfall.toml"


@dataclass(frozen=True)
class BrokerSettings:
    """Where the device sends its reports. `tls` None keeps what the base config has, unless
    certificate files are given, which switch TLS on.

    `port` None means the MQTT default for the transport: 8883 with TLS, 1883 without.
    Paths are as seen on the device; relative ones are relative to the config folder.
    """

    host: str
    port: int | None = None
    tls: bool | None = None
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    username: str | None = None


@dataclass(frozen=True)
class ProvisionRequest:
    """Everything `footfall provision` was asked to write. `password` None keeps the stored one."""

    target: Path
    site: str
    device_id: str
    broker: BrokerSettings
    password: str | None = None
    base: Path | None = None
    force: bool = False


@dataclass(frozen=True)
class PlannedFile:
    """One file provisioning would write: its new bytes, its mode and whether they differ from disk.

    `before` is what a dry run compares with: the file on disk, else the base config it starts from.
    """

    path: Path
    content: bytes
    mode: int
    secret: bool
    changed: bool
    before: bytes
    before_label: str


def _read_base(request: ProvisionRequest) -> tuple[Path, str]:
    existing = config_path(request.target)
    base = request.base or (existing if existing.is_file() else device_template())
    try:
        return base, base.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProvisionError(
            f"{base}: cannot read the base config: {exc.strerror or exc}; pass --from FILE "
            "(e.g. systemd/footfall.toml from the footfall source)"
        ) from None


def _check_identity(request: ProvisionRequest) -> None:
    """Refuse to turn a provisioned device into another one, unless forced."""
    existing = config_path(request.target)
    if request.force or not existing.is_file():
        return
    try:
        device = tomllib.loads(existing.read_text(encoding="utf-8")).get("device", {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ProvisionError(
            f"{existing}: cannot read the current identity ({exc}); pass --force to replace it"
        ) from None
    old = (device.get("site"), device.get("id"))
    if old != (request.site, request.device_id):
        raise ProvisionError(
            f"{existing}: this device is already {old[0]}/{old[1]}, not {request.site}/{request.device_id}; "
            "pass --force to re-provision it under the new identity (its counts then go to new topics)"
        )


def _table(parent: tomlkit.items.Table | tomlkit.TOMLDocument, key: str) -> tomlkit.items.Table:
    if key not in parent:
        parent[key] = tomlkit.table()
    table = parent[key]
    if not isinstance(table, tomlkit.items.Table):
        raise ProvisionError(f"[{key}] is not a table in the base config")
    return table


def _set(table: tomlkit.items.Table, key: str, value: str | int) -> None:
    """Set `table[key]`, keeping a trailing comment in its column."""
    old = table.value.item(key) if key in table else None
    table[key] = value
    new = table.value.item(key)
    if isinstance(old, tomlkit.items.Item) and isinstance(new, tomlkit.items.Item) and old.trivia.comment:
        column = len(old.as_string()) + len(old.trivia.comment_ws)
        new.trivia.comment_ws = " " * max(1, column - len(new.as_string()))


def _edit(text: str, base: Path, request: ProvisionRequest) -> str:
    """The base config text with only the identity and broker keys changed."""
    try:
        document = tomlkit.parse(text)
    except tomlkit.exceptions.ParseError as exc:
        raise ProvisionError(f"{base}: not valid TOML: {exc}") from None
    device = _table(document, "device")
    _set(device, "site", request.site)
    _set(device, "id", request.device_id)
    mqtt = _table(document, "mqtt")
    broker = request.broker
    _set(mqtt, "host", broker.host)
    if broker.username is not None:
        _set(mqtt, "username", broker.username)
    files_given = any(f is not None for f in (broker.ca_file, broker.cert_file, broker.key_file))
    if broker.tls is False and files_given:
        raise ProvisionError(
            "--no-tls contradicts --ca-file, --cert-file and --key-file: drop one or the other"
        )
    if broker.tls is True or files_given:
        if broker.ca_file is None:
            raise ProvisionError("TLS needs the CA that signed the broker's certificate: pass --ca-file PATH")
        if (broker.cert_file is None) != (broker.key_file is None):
            raise ProvisionError(
                "a client certificate needs its key: pass --cert-file and --key-file together"
            )
        tls = tomlkit.table()
        tls["ca_file"] = broker.ca_file
        if broker.cert_file is not None and broker.key_file is not None:
            tls["cert_file"] = broker.cert_file
            tls["key_file"] = broker.key_file
        tls.add(tomlkit.nl())
        mqtt["tls"] = tls
    elif broker.tls is False and "tls" in mqtt:
        del mqtt["tls"]
    tls_on = "tls" in mqtt
    _set(mqtt, "port", broker.port or (MQTT_TLS_PORT if tls_on else MQTT_PORT))
    if request.password is not None and "username" not in mqtt:
        raise ProvisionError(
            "a password is only sent with a username: pass --username (mqtt.username) as well"
        )
    return tomlkit.dumps(document)


def validate_config_text(text: str, path: Path) -> AgentConfig:
    """Validate config text as `footfall config check` would a file at `path`.

    Raises:
        ConfigError: invalid keys (file, key path, value, expectation).
        CalibrationError: the calibration file it names exists but does not load.
    """
    from agent.geometry.projector import build_projector

    config = parse_config(tomllib.loads(text), path)
    calibration = config.calibration
    not_calibrated_yet = (
        calibration is not None and calibration.type == "file" and not calibration.path.exists()
    )
    if calibration is not None and not not_calibrated_yet:  # provisioning comes before calibrating
        build_projector(calibration)
    return config


def _planned(path: Path, content: bytes, mode: int, *, secret: bool, base: Path | None = None) -> PlannedFile:
    if path.is_file():
        old = path.read_bytes()
        # A secret must also have its mode; a config's mode is the installer's choice and kept.
        wrong_mode = secret and (path.stat().st_mode & 0o777) != mode
        return PlannedFile(path, content, mode, secret, old != content or wrong_mode, old, str(path))
    before = base.read_bytes() if base is not None else b""
    return PlannedFile(path, content, mode, secret, True, before, str(base or "/dev/null"))


def plan_provision(request: ProvisionRequest) -> list[PlannedFile]:
    """The files provisioning would write, validated; nothing is written.

    Raises:
        ProvisionError: another identity is already there (without `force`), the base config
            cannot be read, or the arguments contradict each other.
        ConfigError, CalibrationError: the resulting config would not pass `footfall config check`.
    """
    _check_identity(request)
    base, text = _read_base(request)
    new_text = _edit(text, base, request)
    target_config = config_path(request.target)
    validate_config_text(new_text, target_config)
    existing_mode = target_config.stat().st_mode & 0o777 if target_config.is_file() else CONFIG_MODE
    files = [_planned(target_config, new_text.encode("utf-8"), existing_mode, secret=False, base=base)]
    if request.password is not None:
        secret = request.password.encode("utf-8")
        files.append(_planned(password_path(request.target), secret, SECRET_MODE, secret=True))
    return files


def _write_atomically(path: Path, content: bytes, mode: int) -> None:
    """Write `content` to a temporary file beside `path` (created 0600), set `mode`, fsync, rename."""
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def apply_plan(files: list[PlannedFile]) -> list[Path]:
    """Write the changed files of a plan; return the paths written.

    Raises:
        ProvisionError: a folder or file cannot be written (names it and why).
    """
    written = []
    for planned in files:
        if not planned.changed:
            continue
        folder = planned.path.parent
        try:
            folder.mkdir(mode=SECRET_FOLDER_MODE if planned.secret else 0o755, parents=True, exist_ok=True)
            if planned.secret:
                folder.chmod(SECRET_FOLDER_MODE)
            _write_atomically(planned.path, planned.content, planned.mode)
        except OSError as exc:
            raise ProvisionError(f"{planned.path}: cannot write: {exc.strerror or exc}") from None
        written.append(planned.path)
    return written


def describe_plan(files: list[PlannedFile]) -> list[str]:
    """What a plan would write, for `--dry-run`: a diff of the config; a secret only by its length."""
    lines = []
    for planned in files:
        mode = f"mode {planned.mode:04o}"
        if not planned.changed:
            lines.append(f"unchanged: {planned.path}")
        elif planned.secret:
            lines.append(
                f"would write {planned.path} ({mode}, {len(planned.content)} bytes; the secret is not shown)"
            )
        else:
            lines.append(f"would write {planned.path} ({mode}), changes from {planned.before_label}:")
            old = planned.before.decode("utf-8", errors="replace").splitlines(keepends=True)
            new = planned.content.decode("utf-8").splitlines(keepends=True)
            diff = difflib.unified_diff(old, new, fromfile=planned.before_label, tofile=str(planned.path))
            lines.extend(line.rstrip("\n") for line in diff)
    return lines
