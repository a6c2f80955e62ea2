"""Must show 5: the shipped fleet broker config, with certificates from the shipped dev-CA script.

The private Mosquitto runs `deploy/mosquitto/footfall.conf` and `acl` as
shipped (only paths and the port are changed). The agent connects with its
client certificate; a device cannot publish under another device's topic;
a client without a certificate is turned away.
"""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from tests.helpers.broker import MosquittoBroker
from tests.helpers.subscriber import Subscriber
from tests.publish.agent_process import ROOT, agent_args, render_short_clip, start_agent

DEPLOY = ROOT / "deploy"
SITE, DEVICE = "demo-street-1", "door-cam-1"  # as in config/example.toml


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    out = tmp_path_factory.mktemp("pki")
    subprocess.run(
        [
            "sh",
            str(DEPLOY / "make-dev-ca.sh"),
            str(out),
            "127.0.0.1",
            DEVICE,
            "other-cam",
            "footfall-central",
        ],
        check=True,
        capture_output=True,
    )
    shutil.copy(DEPLOY / "mosquitto" / "acl", out / "acl")
    return out


@pytest.fixture
def fleet_broker(tmp_path: Path, pki: Path) -> Iterator[MosquittoBroker]:
    shipped = (DEPLOY / "mosquitto" / "footfall.conf").read_text()
    assert "listener 8883\n" in shipped and "/etc/mosquitto/footfall/" in shipped
    config = (
        shipped.replace("/etc/mosquitto/footfall/", f"{pki}/")
        .replace("listener 8883\n", "listener {port} 127.0.0.1\n")
        .replace("/var/lib/mosquitto/", "{directory}/")
    )
    if os.geteuid() == 0:
        # Mosquitto started as root drops to user `mosquitto`, who cannot enter pytest's
        # private temporary folders; on a real broker the files live in /etc/mosquitto.
        config = "user root\n" + config
    broker = MosquittoBroker(tmp_path / "mosquitto", config_text=config)
    broker.start()
    yield broker
    broker.stop()


def _device_client(pki: Path, name: str | None) -> mqtt.Client:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    if name is None:
        client.tls_set(ca_certs=str(pki / "ca.crt"))
    else:
        client.tls_set(
            ca_certs=str(pki / "ca.crt"), certfile=str(pki / f"{name}.crt"), keyfile=str(pki / f"{name}.key")
        )
    return client


def _publish_as(pki: Path, broker: MosquittoBroker, name: str, topic: str) -> ReasonCode:
    """Publish QoS 1 as device `name`; return the reason code of the broker's PUBACK."""
    client = _device_client(pki, name)
    acked = threading.Event()
    reasons: list[ReasonCode] = []

    def on_publish(_c: mqtt.Client, _u: object, _mid: int, reason: ReasonCode, _p: object) -> None:
        reasons.append(reason)
        acked.set()

    client.on_publish = on_publish
    client.connect(broker.host, broker.port, keepalive=10)
    client.loop_start()
    try:
        info = client.publish(topic, json.dumps({"probe": name}), qos=1)
        assert info.rc == mqtt.MQTT_ERR_SUCCESS
        assert acked.wait(10), "no PUBACK"
    finally:
        client.loop_stop()
        client.disconnect()
    return reasons[0]


@pytest.mark.slow
def test_agent_publishes_with_its_client_certificate(
    tmp_path: Path, pki: Path, fleet_broker: MosquittoBroker
) -> None:
    central = (pki / "ca.crt", pki / "footfall-central.crt", pki / "footfall-central.key")
    subscriber = Subscriber(fleet_broker.host, fleet_broker.port, tls=central)
    clip = render_short_clip(tmp_path / "clip.avi")
    outbox, log = tmp_path / "state" / "outbox.db", tmp_path / "agent.log"
    overrides = (
        f"mqtt.tls.ca_file='{pki / 'ca.crt'}'",
        f"mqtt.tls.cert_file='{pki / (DEVICE + '.crt')}'",
        f"mqtt.tls.key_file='{pki / (DEVICE + '.key')}'",
    )
    agent = start_agent(agent_args(clip, outbox, fleet_broker.port, *overrides, duration_s=2.0), log)
    try:
        assert agent.wait(60) == 0, log.read_text()[-3000:]
        counts = subscriber.wait_for("counts", 10)
        statuses = subscriber.wait_for("status", 2)
    finally:
        subscriber.close()
    assert "0 still pending" in log.read_text(), log.read_text()[-2000:]
    assert len(counts) >= 10
    assert {s["state"] for s in statuses} >= {"online", "offline"}


@pytest.mark.slow
def test_a_device_cannot_publish_under_another_devices_topic(
    pki: Path, fleet_broker: MosquittoBroker
) -> None:
    central = (pki / "ca.crt", pki / "footfall-central.crt", pki / "footfall-central.key")
    subscriber = Subscriber(fleet_broker.host, fleet_broker.port, tls=central)
    try:
        own = _publish_as(pki, fleet_broker, DEVICE, f"footfall/v1/{SITE}/{DEVICE}/counts")
        other = _publish_as(pki, fleet_broker, DEVICE, f"footfall/v1/{SITE}/other-cam/counts")
        received = subscriber.wait_for("counts", 2, timeout_s=3)
    finally:
        subscriber.close()
    assert not own.is_failure
    assert other.is_failure and other.getName() == "Not authorized", str(other)
    assert [json.loads(t) for topic, t, _ in subscriber.messages if "other-cam" in topic] == []
    assert len(received) == 1, "only the device's own topic got through"


@pytest.mark.slow
def test_a_client_without_certificate_is_refused(pki: Path, fleet_broker: MosquittoBroker) -> None:
    client = _device_client(pki, None)
    with pytest.raises((ssl.SSLError, OSError)):
        client.connect(fleet_broker.host, fleet_broker.port, keepalive=10)
        # TLS 1.3 may report the missing certificate only at the first read.
        for _ in range(50):
            if client.loop(timeout=0.1) != mqtt.MQTT_ERR_SUCCESS:
                raise OSError("connection closed by the broker")
