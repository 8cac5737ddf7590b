"""The binding's runtime behaviour: the GIL is released while hubsign works, calls from several
threads run at once and stay independent, Ctrl-C interrupts a pull cleanly, and the `hubsign`
command the wheel installs is the CLI."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import hubsign
from conftest import tree, write_files


def big_model(root: Path, files: int = 8, size: int = 16 << 20) -> Path:
    block = os.urandom(1 << 20)
    for i in range(files):
        write_files(root, {f"shard-{i}.bin": block * (size >> 20)})
    return root


def test_the_gil_is_released_while_a_model_is_hashed(tmp_path, private_key, public_key):
    model = big_model(tmp_path / "m")
    hubsign.sign(model, private_key=private_key)
    done = threading.Event()
    span: list[float] = []

    def verify() -> None:
        start = time.perf_counter()
        try:
            hubsign.verify(model, public_key=public_key)
        finally:
            span.append(time.perf_counter() - start)
            done.set()

    worker = threading.Thread(target=verify)
    worker.start()
    # This thread keeps running Python while the other one is inside hubsign: the longest pause
    # between two of its steps stays far below the call's length. With the GIL held for the
    # whole call, one pause would be the call itself.
    longest, last = 0.0, time.perf_counter()
    while not done.is_set():
        now = time.perf_counter()
        longest, last = max(longest, now - last), now
    worker.join()
    assert span[0] > 0.02, f"the call took {span[0]:.3f} s: too short to tell"
    assert longest < span[0] / 2, (longest, span[0])


def test_calls_from_several_threads_keep_their_own_results(tmp_path, private_key, public_key,
                                                          other_public_key):
    models = [big_model(tmp_path / f"m{i}", files=2, size=4 << 20) for i in range(4)]
    for m in models:
        hubsign.sign(m, private_key=private_key)
    (models[1] / "shard-0.bin").write_bytes(b"tampered")
    results: dict[int, object] = {}

    def work(i: int) -> None:
        key = other_public_key if i == 3 else public_key
        try:
            results[i] = hubsign.verify(models[i], public_key=key)
        except hubsign.Error as e:  # each thread gets its own verdict, never another's
            results[i] = e

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert isinstance(results[0], hubsign.Verification) and results[0].files == 2
    assert isinstance(results[2], hubsign.Verification)
    assert isinstance(results[1], hubsign.VerificationError) and results[1].modified == ["shard-0.bin"]
    assert isinstance(results[3], hubsign.VerificationError) and results[3].modified == []


def test_ctrl_c_interrupts_a_pull_and_caches_nothing(tmp_path, private_key, public_key, local_hub):
    model = big_model(tmp_path / "slow", files=40, size=1 << 20)
    hubsign.sign(model, private_key=private_key)
    # Every request answered late: the pull is still running when Ctrl-C comes.
    endpoint = local_hub({"org/slow": model}, latency_ms=400).endpoint
    home = tmp_path / "home"
    script = textwrap.dedent(f"""
        import sys, time, hubsign
        sys.stderr.write("started\\n"); sys.stderr.flush()
        t = time.monotonic()
        try:
            hubsign.snapshot_download("org/slow", public_key={str(public_key)!r}, max_workers=1)
        except KeyboardInterrupt:
            print("interrupted", round(time.monotonic() - t, 1))
        else:
            print("finished")
    """)
    env = {**os.environ, "HF_HOME": str(home), "HF_ENDPOINT": endpoint, "HF_HUB_DISABLE_PROGRESS_BARS": "1"}
    env.pop("HF_TOKEN", None)
    proc = subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    assert proc.stderr is not None and proc.stderr.readline() == "started\n"
    time.sleep(2.5)
    t = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert out.startswith("interrupted"), (out, err)
    assert time.monotonic() - t < 10
    cache = home / "hub"
    # Nothing reached the cache: no snapshot, no blob, no ref (a lock folder may stay, as
    # huggingface_hub leaves its own).
    listed = tree(cache)
    assert not [p for p in listed if "/snapshots/" in p or "/blobs/" in p or "/refs/" in p], listed


def test_the_installed_command_is_the_cli(tmp_path, model, private_key, public_key, hubsign_command):
    version = subprocess.run([str(hubsign_command), "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.strip() == f"hubsign {hubsign.__version__}"
    signed = subprocess.run([str(hubsign_command), "sign", str(model), "--private-key", str(private_key)],
                            capture_output=True, text=True)
    assert signed.returncode == 0, signed.stderr
    (model / "config.json").write_text("{}")
    failed = subprocess.run([str(hubsign_command), "verify", str(model), "--public-key", str(public_key)],
                            capture_output=True, text=True)
    assert failed.returncode == 1
    assert "modified: config.json" in failed.stderr
    module = subprocess.run([sys.executable, "-m", "hubsign", "--version"], capture_output=True, text=True)
    assert module.stdout.strip() == f"hubsign {hubsign.__version__}"
    usage = subprocess.run([sys.executable, "-m", "hubsign", "verify"], capture_output=True, text=True)
    assert usage.returncode == 2 and "Usage: hubsign verify" in usage.stderr


def test_progress_bars_follow_huggingface_hubs_switch(monkeypatch):
    from hubsign import _run

    monkeypatch.setattr(sys, "stderr", open(os.devnull, "w"))
    assert _run.progress_bars() is False  # not a terminal (a notebook's captured output)
    primary, secondary = os.openpty()  # a terminal to draw on
    with os.fdopen(secondary, "w") as tty:
        monkeypatch.setattr(sys, "stderr", tty)
        assert _run.progress_bars() is True
        monkeypatch.setenv("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        assert _run.progress_bars() is False
    os.close(primary)


def test_hf_runs_the_installed_command_as_an_extension(tmp_path, hubsign_command):
    hf = hubsign_command.parent / "hf"
    if not hf.exists():
        from conftest import missing

        missing("no `hf` command beside the wheel (huggingface_hub 1.x+ installs it)")
    env = {**os.environ, "HOME": str(tmp_path)}
    installed = subprocess.run([str(hubsign_command), "install-hf-extension", "--json"], capture_output=True,
                               text=True, env=env)
    assert installed.returncode == 0, installed.stderr
    import json

    doc = json.loads(installed.stdout)
    # The script users run, not the Python interpreter that runs it.
    assert doc["executable"] == str(hubsign_command.resolve())
    ran = subprocess.run([str(hf), "hubsign", "--version"], capture_output=True, text=True, env=env)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == f"hubsign {hubsign.__version__}"
