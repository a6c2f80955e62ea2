"""One way to build a paho client from the `[mqtt]` section: protocol, credentials and TLS.

The publisher, the doctor's broker check and the calibration page's status
announcement all connect as the device; building the client in one place
keeps their TLS and login identical.
"""

from __future__ import annotations

import ssl

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from agent.config import DeviceConfig
from agent.credentials import MQTT_PASSWORD, TLS_KEY_PASSPHRASE, read_secret
from agent.publish.config import MqttConfig

FROM_CREDENTIALS = "\x00from-credentials"  # `new_client`'s default: read the password as the agent does


def new_client(config: MqttConfig, client_id: str, password: str | None = FROM_CREDENTIALS) -> mqtt.Client:
    """A paho client set up for `config`, not yet connected.

    `password` goes with `config.username`: by default it is read from the
    agent's credentials (`read_secret`); None sends none. TLS files are
    loaded here.

    Raises:
        SecretError: a password or key passphrase that is needed cannot be read.
        OSError, ssl.SSLError: a TLS certificate or key file cannot be loaded.
    """
    protocol = mqtt.MQTTv5 if config.protocol == "5" else mqtt.MQTTv311
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=protocol)
    if config.username is not None:
        if password == FROM_CREDENTIALS:
            password = read_secret(MQTT_PASSWORD)
        client.username_pw_set(config.username, password)
    tls = config.tls
    if tls is not None:
        client.tls_set(
            ca_certs=str(tls.ca_file),
            certfile=str(tls.cert_file) if tls.cert_file else None,
            keyfile=str(tls.key_file) if tls.key_file else None,
            cert_reqs=ssl.CERT_REQUIRED,
            keyfile_password=read_secret(TLS_KEY_PASSPHRASE),
        )
    return client


def status_topic(config: MqttConfig, device: DeviceConfig) -> str:
    """The device's retained status topic, `{prefix}/{site}/{device}/status`."""
    return f"{config.topic_prefix}/{device.site}/{device.id}/status"
