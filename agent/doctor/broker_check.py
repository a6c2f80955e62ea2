"""Doctor check of the broker: connect as the agent would (TLS, username, password) and wait for CONNACK.

Unreachable, TLS failure and refused credentials are told apart, because
each has a different fix: the network or `mqtt.host`/`mqtt.port`; the CA
file, certificate or port; the username or the credentials file. The
doctor connects with its own client id, so it never kicks a running
agent's session off the broker, and without a last will, so it never
publishes anything.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import time
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.reasoncodes import ReasonCode

from agent.config import AgentConfig
from agent.credentials import MQTT_PASSWORD, read_secret
from agent.doctor.result import CheckResult
from agent.errors import SecretError
from agent.provision import password_path
from agent.publish.mqtt_client import new_client

_TLS_FIX = (
    "check that mqtt.tls.ca_file is the CA that signed the broker's certificate, that mqtt.host is the "
    "name in that certificate, and that mqtt.port is the broker's TLS listener (usually 8883)"
)
_CLIENT_CERT_FIX = (
    "the broker may require a client certificate: set mqtt.tls.cert_file and key_file to the device's "
    "certificate and key (signed by the broker's CA, with the device id as CN)"
)
# MQTT 5 reason codes (and their 3.1.1 equivalents) meaning "who you are was not accepted".
_AUTH_REASONS = {"Not authorized", "Bad user name or password", "Client identifier not valid", "Banned"}


@dataclass(frozen=True)
class MqttPassword:
    """The MQTT password the agent would use, and where it came from (never the value in messages)."""

    value: str | None = field(repr=False)
    origin: str


def find_password(config_path: Path) -> MqttPassword:
    """The password as the agent reads it, else the provisioned credentials file beside the config.

    Under systemd the agent gets the password through `$CREDENTIALS_DIRECTORY`;
    the doctor is usually run from a shell, where only the file that
    `footfall provision` wrote (`<config dir>/credentials/mqtt_password`) is there.

    Raises:
        SecretError: a credentials file exists but cannot be read.
    """
    value = read_secret(MQTT_PASSWORD)
    if value is not None:
        return MqttPassword(value, f"{MQTT_PASSWORD} or $CREDENTIALS_DIRECTORY")
    beside = password_path(config_path.parent)
    if beside.is_file():
        try:
            return MqttPassword(beside.read_text(encoding="utf-8").rstrip("\n"), str(beside))
        except (OSError, UnicodeDecodeError) as exc:
            raise SecretError(f"{beside}: cannot read the MQTT password: {exc}") from None
    return MqttPassword(None, f"nowhere (not in {MQTT_PASSWORD}, $CREDENTIALS_DIRECTORY or {beside})")


def check_broker(config: AgentConfig, config_path: Path, timeout_s: float) -> CheckResult:
    """Connect to `mqtt.host:mqtt.port` (with TLS when `[mqtt.tls]` is set) and wait for a CONNACK.

    The TCP connect, the TLS handshake and the wait for CONNACK each end
    after `timeout_s` seconds.
    """
    mqtt_config = config.mqtt
    where = f"{mqtt_config.host}:{mqtt_config.port}" + (" (TLS)" if mqtt_config.tls else "")
    password = MqttPassword(None, "not needed")
    try:
        if mqtt_config.username is not None:
            password = find_password(config_path)
        client = new_client(
            mqtt_config,
            f"footfall-doctor-{config.device.site}-{config.device.id}",
            password.value,
        )
        client.connect_timeout = timeout_s
    except SecretError as exc:
        return CheckResult(
            "broker", "fail", str(exc), "make the credentials file readable (mode 0600, owner root)"
        )
    except (OSError, ssl.SSLError, ValueError) as exc:
        return CheckResult(
            "broker",
            "fail",
            f"{where}: TLS failure: cannot load the certificate files: {exc}",
            _tls_files_fix(config),
        )
    return _connect(client, config, where, password, timeout_s)


def _tls_files_fix(config: AgentConfig) -> str:
    tls = config.mqtt.tls
    files = ", ".join(str(p) for p in (tls.ca_file, tls.cert_file, tls.key_file) if p) if tls else ""
    return f"check that these files exist and are PEM: {files} (mqtt.tls.ca_file, cert_file, key_file)"


def _close(client: mqtt.Client) -> None:
    """Say goodbye if connected and close the socket; a broken connection may fail either step."""
    with contextlib.suppress(Exception):
        client.disconnect()
        client.loop(timeout=0.05)
    with contextlib.suppress(Exception):
        sock = client.socket()
        if sock is not None:
            sock.close()


def _unreachable_fix(config: AgentConfig) -> str:
    return (
        f"check mqtt.host ({config.mqtt.host}) and mqtt.port ({config.mqtt.port}), the network "
        "(`ping`, Wi-Fi) and that the broker runs (`systemctl status mosquitto` on the broker)"
    )


def _probe_tcp(config: AgentConfig, where: str, timeout_s: float) -> CheckResult | None:
    """A plain TCP connect first, so that "unreachable" never hides a TLS or MQTT problem."""
    try:
        with socket.create_connection((config.mqtt.host, config.mqtt.port), timeout=timeout_s):
            return None
    except socket.gaierror as exc:
        detail = f"{where}: unreachable: cannot resolve host {config.mqtt.host!r}: {exc.strerror or exc}"
    except OSError as exc:
        detail = f"{where}: unreachable: {exc.strerror or exc}"
    return CheckResult("broker", "fail", detail, _unreachable_fix(config))


def _connect(
    client: mqtt.Client, config: AgentConfig, where: str, password: MqttPassword, timeout_s: float
) -> CheckResult:
    name = "broker"
    unreachable = _probe_tcp(config, where, timeout_s)
    if unreachable is not None:
        return unreachable
    reasons: list[ReasonCode] = []

    def on_connect(_c: mqtt.Client, _u: object, _f: object, reason: ReasonCode, _p: object) -> None:
        reasons.append(reason)

    client.on_connect = on_connect
    tls = config.mqtt.tls is not None
    try:
        client.connect(config.mqtt.host, config.mqtt.port, keepalive=max(5, int(timeout_s) + 5))
        deadline = time.monotonic() + timeout_s
        while not reasons and time.monotonic() < deadline:
            code = client.loop(timeout=0.05)
            if code not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_AGAIN) and not reasons:
                if tls:  # TLS 1.3 reports a refused client certificate only at the first read
                    detail = f"{where}: TLS failure: the broker closed the connection after the handshake"
                    return CheckResult(name, "fail", detail, _CLIENT_CERT_FIX)
                return CheckResult(
                    name,
                    "fail",
                    f"{where}: the broker closed the connection before answering",
                    "if the broker expects TLS, add [mqtt.tls] with ca_file; " + _unreachable_fix(config),
                )
    except ssl.SSLCertVerificationError as exc:
        detail = f"{where}: TLS failure: the broker's certificate is not trusted ({exc.verify_message})"
        return CheckResult(name, "fail", detail, _TLS_FIX)
    except (ssl.SSLError, OSError) as exc:
        # TCP got through above, so a failure here is the TLS handshake (or the broker dropped us).
        kind = "TLS failure" if tls else "connection dropped"
        detail = f"{where}: {kind}: {getattr(exc, 'reason', None) or exc.strerror or exc}"
        return CheckResult(name, "fail", detail, _TLS_FIX if tls else _unreachable_fix(config))
    finally:
        _close(client)
    if not reasons:
        return CheckResult(
            name,
            "fail",
            f"{where}: connected but no CONNACK within {timeout_s:g} s",
            "the port may be a TLS listener: add [mqtt.tls] with ca_file; " + _unreachable_fix(config),
        )
    reason = reasons[0]
    if reason.is_failure:
        user = config.mqtt.username
        credentials = f"username {user!r}, password from {password.origin}" if user else "no username"
        kind = "authentication refused" if str(reason) in _AUTH_REASONS else "connection refused"
        return CheckResult(
            name,
            "fail",
            f"{where}: {kind}: {reason} ({credentials})",
            "rerun `footfall provision` with --username NAME --password-stdin (it sets mqtt.username and "
            "writes credentials/mqtt_password), or fix the user on the broker (mosquitto_passwd, acl)",
        )
    return CheckResult(name, "ok", f"{where}: connected, CONNACK {reason}")
