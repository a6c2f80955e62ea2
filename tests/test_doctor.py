"""`footfall doctor` against real parts: a private Mosquitto (plain, TLS, with passwords), the shipped
ONNX model, the bundled clip, a pseudo-terminal serial sensor and real SQLite files.

Each failing case checks the named check, what the detail says and that the fix
names the key or command to use.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import tomlkit

from agent.cli import main
from agent.doctor import CHECKS, CheckResult, run_doctor
from agent.doctor.result import run_with_deadline
from agent.doctor.source_check import describe_source
from agent.sources.serial_protocol import CounterEvent, encode
from tests.helpers.broker import MosquittoBroker
from tests.helpers.pty_device import PtyDevice

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "config" / "example.toml"
MODEL = ROOT / "models" / "footfall_head_int8.onnx"
CLIP = ROOT / "sim_videos" / "doorway.avi"


def write_config(path: Path, changes: dict[str, Any], removals: tuple[str, ...] = ()) -> Path:
    """config/example.toml with dotted `changes` set (tables replace whole sections) and keys removed."""
    document = tomlkit.parse(EXAMPLE.read_text())
    for dotted, value in changes.items():
        *parents, key = dotted.split(".")
        node: Any = document
        for part in parents:
            node = node.setdefault(part, tomlkit.table())
        node[key] = value
    for dotted in removals:
        *parents, key = dotted.split(".")
        node = document
        for part in parents:
            node = node[part]
        del node[key]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(tomlkit.dumps(document))
    return path


def good_changes(tmp_path: Path, port: int) -> dict[str, Any]:
    """The example with absolute paths, the shipped ONNX model and a private broker and outbox."""
    return {
        "source.path": str(CLIP),
        "detector": {"type": "onnx", "model": str(MODEL)},
        "mqtt.host": "127.0.0.1",
        "mqtt.port": port,
        "outbox.path": str(tmp_path / "state" / "outbox.db"),
    }


def by_name(results: list[CheckResult]) -> dict[str, CheckResult]:
    assert [r.check for r in results] == list(CHECKS)
    return {r.check: r for r in results}


@pytest.fixture
def good_config(tmp_path: Path, broker: MosquittoBroker) -> Path:
    return write_config(tmp_path / "footfall.toml", good_changes(tmp_path, broker.port))


def test_doctor_passes_on_a_good_config(good_config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--config", str(good_config), "--timeout", "3"]) == 0
    table = capsys.readouterr().out
    assert "footfall doctor: all checks passed" in table
    results = by_name(run_doctor(good_config, timeout_s=3))
    for name in ("config", "calibration", "source", "broker", "disk", "outbox"):
        assert results[name].status == "ok", results[name]
    # The shipped INT8 model has 7-bit weights: no warning on any CPU (see the test below).
    assert results["model"].status == "ok", results["model"]
    assert results["clock"].status in ("ok", "warn")  # containers and fresh Pis may lack NTP
    assert "warm-up inference ran" in results["model"].detail
    assert "first frame 320x240" in results["source"].detail
    assert "CONNACK Success" in results["broker"].detail


def test_doctor_leaves_the_outbox_as_it_found_it(good_config: Path, tmp_path: Path) -> None:
    run_doctor(good_config, timeout_s=3)
    assert not (tmp_path / "state").exists(), "the doctor must not create the outbox"


def test_a_stopped_broker_fails_as_unreachable(
    good_config: Path, broker: MosquittoBroker, capsys: pytest.CaptureFixture[str]
) -> None:
    broker.stop()
    assert main(["doctor", "--config", str(good_config), "--timeout", "2"]) == 1
    out = capsys.readouterr().out
    assert "footfall doctor: 1 failed (broker)" in out
    broker_result = by_name(run_doctor(good_config, timeout_s=2))["broker"]
    assert broker_result.status == "fail"
    assert f"127.0.0.1:{broker.port}: unreachable" in broker_result.detail
    assert f"mqtt.port ({broker.port})" in broker_result.fix


def test_a_broker_that_never_answers_fails_within_the_timeout(tmp_path: Path) -> None:
    with socket.socket() as silent:  # accepts TCP (the kernel's backlog), never speaks MQTT
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        config = write_config(tmp_path / "footfall.toml", good_changes(tmp_path, silent.getsockname()[1]))
        result = by_name(run_doctor(config, timeout_s=0.5))["broker"]
    assert result.status == "fail"
    assert "no CONNACK within 0.5 s" in result.detail
    assert "[mqtt.tls]" in result.fix


def test_a_missing_model_file_is_named(tmp_path: Path, broker: MosquittoBroker) -> None:
    changes = good_changes(tmp_path, broker.port)
    changes["detector"] = {"type": "onnx", "model": str(tmp_path / "nowhere.onnx")}
    results = by_name(run_doctor(write_config(tmp_path / "footfall.toml", changes), timeout_s=2))
    assert results["model"].status == "fail"
    assert f"{tmp_path / 'nowhere.onnx'}: model file not found" in results["model"].detail
    assert "detector.model" in results["model"].fix
    assert results["broker"].status == "ok", "one failure does not stop the other checks"


def test_a_bad_key_fails_the_config_and_skips_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path / "footfall.toml", {"mqtt.prot": 1883})
    assert main(["doctor", "--config", str(config)]) == 1
    out = capsys.readouterr().out
    assert "mqtt.prot: unknown key (misspelled?)" in out
    assert f"footfall config check {config}" in out
    results = by_name(run_doctor(config))
    assert results["config"].status == "fail"
    assert {r.status for name, r in results.items() if name != "config"} == {"skip"}


def serial_changes(tmp_path: Path, port: str) -> dict[str, Any]:
    return {
        "source": {"type": "counter_serial", "port": port},
        "outbox.path": str(tmp_path / "state" / "outbox.db"),
    }


def test_a_serial_port_that_does_not_exist_is_named(tmp_path: Path) -> None:
    port = str(tmp_path / "ttyUSB-missing")
    config = write_config(
        tmp_path / "footfall.toml", serial_changes(tmp_path, port), ("detector", "calibration")
    )
    results = by_name(run_doctor(config, timeout_s=1))
    assert results["source"].status == "fail"
    assert f"serial port {port}: cannot open" in results["source"].detail
    assert "source.port" in results["source"].fix and "/dev/serial/by-id/" in results["source"].fix
    assert results["calibration"].status == results["model"].status == "skip"


def test_a_serial_sensor_that_speaks_passes(tmp_path: Path) -> None:
    device = PtyDevice(tmp_path / "ttyCNT")
    done = threading.Event()

    def speak() -> None:  # pyserial flushes input at open, so keep talking as a counter would
        seq = 0
        while not done.wait(0.05):
            device.send(encode(CounterEvent(seq, "in")))
            seq += 1

    talker = threading.Thread(target=speak)
    talker.start()
    try:
        changes = serial_changes(tmp_path, str(device.path))
        config = write_config(tmp_path / "footfall.toml", changes, ("detector", "calibration"))
        result = by_name(run_doctor(config, timeout_s=3))["source"]
    finally:
        done.set()
        talker.join()
        device.close()
    assert result.status == "ok", result
    assert "CounterEvent" in result.detail


def test_a_budget_bigger_than_the_disk_fails(tmp_path: Path, broker: MosquittoBroker) -> None:
    changes = {**good_changes(tmp_path, broker.port), "outbox.max_bytes": 2**62}
    result = by_name(run_doctor(write_config(tmp_path / "footfall.toml", changes), timeout_s=2))["disk"]
    assert result.status == "fail"
    assert "budget does not fit" in result.detail
    free_hint = int(result.fix.split("at most ")[1].split(" ")[0])
    assert 0 < free_hint < shutil.disk_usage(tmp_path).free
    assert "outbox.max_bytes" in result.fix


def test_a_damaged_outbox_fails(tmp_path: Path, broker: MosquittoBroker) -> None:
    changes = good_changes(tmp_path, broker.port)
    outbox = Path(changes["outbox.path"])
    outbox.parent.mkdir()
    outbox.write_bytes(b"not a database" * 100)
    result = by_name(run_doctor(write_config(tmp_path / "footfall.toml", changes), timeout_s=2))["outbox"]
    assert result.status == "fail"
    assert "cannot read as an outbox database" in result.detail
    assert outbox.read_bytes() == b"not a database" * 100, "the doctor only looks"


def test_json_output(good_config: Path, broker: MosquittoBroker, capsys: pytest.CaptureFixture[str]) -> None:
    broker.stop()
    assert main(["doctor", "--config", str(good_config), "--json", "--timeout", "1"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["ok"] is False
    assert [c["check"] for c in document["checks"]] == list(CHECKS)
    broker_check = next(c for c in document["checks"] if c["check"] == "broker")
    assert broker_check["status"] == "fail" and broker_check["fix"]


def test_a_check_that_hangs_is_failed_at_its_deadline() -> None:
    release = threading.Event()
    try:
        result = run_with_deadline(
            "source", lambda: (release.wait(), CheckResult("source", "ok", ""))[1], 0.2
        )
    finally:
        release.set()
    assert result.status == "fail"
    assert result.detail == "no answer within 0.2 s"


# -- credentials ----------------------------------------------------------------------------------


def start_password_broker(directory: Path, user: str, password: str) -> MosquittoBroker:
    """A private Mosquitto that lets in only `user` with `password`."""
    if shutil.which("mosquitto_passwd") is None:
        pytest.skip("mosquitto_passwd is not installed")
    directory.mkdir(parents=True, exist_ok=True)
    passwords = directory / "passwd"
    subprocess.run(["mosquitto_passwd", "-b", "-c", str(passwords), user, password], check=True)
    passwords.chmod(0o644)  # mosquitto may drop to its own user
    run_as_root = "user root\n" if os.geteuid() == 0 else ""
    config = f"{run_as_root}listener {{port}} 127.0.0.1\nallow_anonymous false\npassword_file {passwords}\n"
    instance = MosquittoBroker(directory / "mosquitto", config_text=config)
    instance.start()
    return instance


@pytest.fixture
def password_broker(tmp_path: Path) -> Iterator[MosquittoBroker]:
    instance = start_password_broker(tmp_path / "broker", "cam-1", "right-pw")
    yield instance
    instance.stop()


@pytest.mark.parametrize(("password", "status"), [("right-pw", "ok"), ("wrong-pw", "fail")])
def test_the_provisioned_password_is_used_and_refusal_is_told_apart(
    tmp_path: Path,
    password_broker: MosquittoBroker,
    monkeypatch: pytest.MonkeyPatch,
    password: str,
    status: str,
) -> None:
    monkeypatch.delenv("FOOTFALL_MQTT_PASSWORD", raising=False)
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    config = write_config(
        tmp_path / "etc" / "footfall.toml",
        {**good_changes(tmp_path, password_broker.port), "mqtt.username": "cam-1"},
    )
    (tmp_path / "etc" / "credentials").mkdir()
    (tmp_path / "etc" / "credentials" / "mqtt_password").write_text(password)
    result = by_name(run_doctor(config, timeout_s=3))["broker"]
    assert result.status == status, result
    if status == "fail":
        assert "authentication refused" in result.detail
        assert str(tmp_path / "etc" / "credentials" / "mqtt_password") in result.detail
        assert "wrong-pw" not in result.detail + result.fix
        assert "--password-stdin" in result.fix


# -- TLS ------------------------------------------------------------------------------------------


def make_ca(out: Path) -> Path:
    subprocess.run(
        ["sh", str(ROOT / "deploy" / "make-dev-ca.sh"), str(out), "127.0.0.1", "door-cam-1"],
        check=True,
        capture_output=True,
    )
    return out


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    return make_ca(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def tls_broker(tmp_path: Path, pki: Path) -> Iterator[MosquittoBroker]:
    tls = f"cafile {pki / 'ca.crt'}\ncertfile {pki / 'broker.crt'}\nkeyfile {pki / 'broker.key'}\n"
    if os.geteuid() == 0:
        tls = "user root\n" + tls  # mosquitto would drop to a user who cannot read pytest's folders
    instance = MosquittoBroker(tmp_path / "mosquitto", tls)
    instance.start()
    yield instance
    instance.stop()


def tls_config(tmp_path: Path, broker: MosquittoBroker, ca_file: Path, pki: Path) -> Path:
    changes = good_changes(tmp_path, broker.port)
    changes["mqtt.tls"] = {
        "ca_file": str(ca_file),
        "cert_file": str(pki / "door-cam-1.crt"),
        "key_file": str(pki / "door-cam-1.key"),
    }
    return write_config(tmp_path / "footfall.toml", changes)


def test_tls_broker_with_the_right_ca_passes(tmp_path: Path, pki: Path, tls_broker: MosquittoBroker) -> None:
    result = by_name(run_doctor(tls_config(tmp_path, tls_broker, pki / "ca.crt", pki), timeout_s=3))["broker"]
    assert result.status == "ok", result
    assert "(TLS): connected" in result.detail


def test_tls_broker_with_a_wrong_ca_fails_as_tls(
    tmp_path: Path, pki: Path, tls_broker: MosquittoBroker
) -> None:
    other = make_ca(tmp_path / "other-pki")
    result = by_name(run_doctor(tls_config(tmp_path, tls_broker, other / "ca.crt", pki), timeout_s=3))[
        "broker"
    ]
    assert result.status == "fail"
    assert "TLS failure: the broker's certificate is not trusted" in result.detail
    assert "mqtt.tls.ca_file" in result.fix


def test_tls_to_a_plain_port_fails_as_tls(tmp_path: Path, pki: Path, broker: MosquittoBroker) -> None:
    result = by_name(run_doctor(tls_config(tmp_path, broker, pki / "ca.crt", pki), timeout_s=3))["broker"]
    assert result.status == "fail"
    assert "TLS failure" in result.detail


def test_a_missing_height_model_is_named_with_the_way_out(tmp_path: Path) -> None:
    overrides = [
        f"calibration.height_model='{tmp_path / 'gone.onnx'}'",
        f"outbox.path='{tmp_path / 'outbox.db'}'",
    ]
    result = by_name(run_doctor(ROOT / "config" / "scenarios" / "entrance.toml", overrides, timeout_s=1))[
        "calibration"
    ]
    assert result.status == "fail"
    assert "gone.onnx: no such height model" in result.detail
    assert "remove calibration.height_model" in result.fix


# -- sources --------------------------------------------------------------------------------------

SCENARIO = ROOT / "config" / "scenarios" / "entrance.toml"


@pytest.mark.parametrize(("size", "status"), [("640x480", "ok"), ("320x240", "fail")])
def test_a_simulated_store_is_checked_against_its_calibration(tmp_path: Path, size: str, status: str) -> None:
    overrides = [f"source.size='{size}'", f"outbox.path='{tmp_path / 'outbox.db'}'"]
    results = by_name(run_doctor(SCENARIO, overrides, timeout_s=1))
    assert results["calibration"].status == "ok"
    assert "lens 640x480 px" in results["calibration"].detail
    assert (
        "heights read by" in results["calibration"].detail
        and "footfall_height.onnx" in results["calibration"].detail
    )
    assert results["source"].status == status, results["source"]
    if status == "fail":
        assert (
            "gives 320x240 frames, but the calibration file was made for 640x480" in results["source"].detail
        )
        assert "footfall calibrate" in results["source"].fix


def test_a_stream_password_is_never_shown() -> None:
    camera = SimpleNamespace(type="camera", url="rtsp://admin:hunter2@192.0.2.10:554/stream1")
    assert describe_source(camera) == "stream rtsp://192.0.2.10:554/stream1"


@pytest.mark.parametrize(
    ("model", "machine", "flags", "status"),
    [
        ("int8 with 8-bit weights", "x86_64", "fpu sse2 avx2 fma", "warn"),
        ("int8 with 8-bit weights", "x86_64", "fpu sse2 avx2 avx512f avx512_vnni", "ok"),
        ("int8 with 8-bit weights", "x86_64", "fpu sse2 avx2 avx_vnni", "ok"),
        ("int8 with 8-bit weights", "aarch64", "fp asimd", "ok"),  # a Raspberry Pi: no such saturation
        ("footfall_head_int8.onnx", "x86_64", "fpu sse2 avx2 fma", "ok"),  # shipped: 7-bit weights
        ("footfall_head_fp32.onnx", "x86_64", "fpu sse2 avx2 fma", "ok"),
    ],
)
def test_an_int8_model_on_an_x86_cpu_without_vnni_is_a_warning(
    tmp_path: Path, model: str, machine: str, flags: str, status: str
) -> None:
    """The CPU is read from a cpuinfo file (the OS's interface), so every case runs on any machine.

    "int8 with 8-bit weights" is the shipped INT8 file without its `weight_bits = 7` mark, as a model
    quantised with ONNX Runtime's defaults (8-bit weights) reads.
    """
    import onnx

    from agent.config import load_config
    from agent.doctor.pipeline_checks import check_model

    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(f"processor\t: 0\nflags\t\t: {flags}\n\nprocessor\t: 1\nflags\t\t: {flags}\n")
    path = ROOT / "models" / model
    if model == "int8 with 8-bit weights":
        proto = onnx.load(str(ROOT / "models" / "footfall_head_int8.onnx"))
        kept = [(p.key, p.value) for p in proto.metadata_props if p.key != "weight_bits"]
        del proto.metadata_props[:]
        onnx.helper.set_model_props(proto, dict(kept))
        path = tmp_path / "eight_bit_int8.onnx"
        onnx.save(proto, str(path))
    config = write_config(tmp_path / "footfall.toml", good_changes(tmp_path, 1883))
    installed = load_config(config, [f'detector.model="{path}"'])
    result = check_model(installed, cpuinfo, machine)
    assert result.status == status, result
    if status == "warn":
        assert str(cpuinfo) in result.detail and "FP32" in result.fix and "7-bit" in result.fix


def test_the_model_check_times_a_frame_with_the_model_and_its_other_precision_twin(tmp_path: Path) -> None:
    """The installer learns what a frame costs on this device, with either of the shipped files."""
    from agent.config import load_config
    from agent.doctor.pipeline_checks import check_model, precision_twin

    config = write_config(tmp_path / "footfall.toml", good_changes(tmp_path, 1883))
    result = check_model(load_config(config))
    assert result.status == "ok", result
    assert re.search(
        r"one 640x480 frame takes \d+\.\d ms here, footfall_head_fp32.onnx beside it \d+\.\d ms",
        result.detail,
    )
    assert precision_twin(MODEL) == MODEL.with_name("footfall_head_fp32.onnx")
    assert precision_twin(MODEL.with_name("footfall_head_fp32.onnx")) == MODEL
    lone = tmp_path / "mine_int8.onnx"
    shutil.copy(MODEL, lone)
    assert precision_twin(lone) is None  # no mine_fp32.onnx beside it
    assert precision_twin(ROOT / "models" / "other.onnx") is None


@pytest.mark.parametrize(
    ("twin", "mine_ms", "twin_ms", "advice"),
    [
        ("footfall_head_fp32.onnx", 8.4, 6.8, "footfall_head_fp32.onnx (a little more accurate) suits it"),
        ("footfall_head_fp32.onnx", 8.4, 8.4, "footfall_head_fp32.onnx (a little more accurate) suits it"),
        ("footfall_head_fp32.onnx", 1.3, 2.6, ""),  # a VNNI CPU: INT8 is the faster, keep it
        ("footfall_head_int8.onnx", 2.6, 1.3, "INT8 is faster on this CPU, so footfall_head_int8.onnx"),
        ("footfall_head_int8.onnx", 6.8, 6.0, ""),  # barely faster: FP32's accuracy is worth more
    ],
)
def test_the_file_that_suits_this_cpu_is_named(
    twin: str, mine_ms: float, twin_ms: float, advice: str
) -> None:
    from agent.doctor.pipeline_checks import precision_advice

    said = precision_advice(Path(twin), mine_ms, twin_ms)
    assert (advice in said) if advice else said == ""
