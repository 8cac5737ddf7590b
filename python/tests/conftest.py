"""Shared fixtures of the Python suite: the repository's test keys, small models, and the
local Hugging Face and Kaggle hubs (the test servers the Rust suite proves faithful with the
real clients), started from the built examples.

The suite runs against the *installed* wheel (``import hubsign`` from site-packages). Inputs
it cannot find (the local hub binaries, model_signing) fail the run when HUBSIGN_REQUIRE_ALL
is set, as in CI, and are skipped loudly otherwise.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

REPO = Path(__file__).resolve().parents[2]
KEYS = REPO / "fixtures" / "keys"
REQUIRE_ALL = bool(os.environ.get("HUBSIGN_REQUIRE_ALL"))


def missing(what: str) -> None:
    """A test input is not there: fail under HUBSIGN_REQUIRE_ALL, else skip saying so."""
    if REQUIRE_ALL:
        pytest.fail(f"{what} (HUBSIGN_REQUIRE_ALL is set: every test must run)")
    pytest.skip(f"SKIPPED: {what}")


@pytest.fixture
def private_key() -> Path:
    return KEYS / "p256.pem"


@pytest.fixture
def public_key() -> Path:
    return KEYS / "p256.pub.pem"


@pytest.fixture
def other_public_key() -> Path:
    return KEYS / "other-p256.pub.pem"


def write_files(root: Path, files: dict[str, bytes | str]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
    return root


@pytest.fixture
def model(tmp_path: Path) -> Path:
    """A small model folder: weights, a config, a nested file."""
    return write_files(
        tmp_path / "model",
        {
            "config.json": '{"model_type": "bert"}\n',
            "model.safetensors": os.urandom(300_000),
            "nested/extra.txt": "extra\n",
        },
    )


@pytest.fixture
def hf_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private HF_HOME and no token or offline switch from the caller's environment."""
    home = tmp_path / "hf-home"
    monkeypatch.setenv("HF_HOME", str(home))
    for var in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE",
                "HF_ENDPOINT", "HUBSIGN_POLICY", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    return home


def _example(name: str, env_var: str) -> Path:
    explicit = os.environ.get(env_var)
    path = Path(explicit) if explicit else REPO / "target" / "debug" / "examples" / name
    if not path.is_file():
        missing(f"{path.name} not built ({env_var}, or `cargo build --example {name}`)")
    return path


class Server:
    """A local hub process; ``endpoint`` is its URL."""

    def __init__(self, args: list[str], tmp: Path, announce: str) -> None:
        port_file = tmp / f"port-{time.monotonic_ns()}"
        self.proc = subprocess.Popen([*args, "--port-file", str(port_file)], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line.startswith(announce + "="):
            self.stop()
            raise RuntimeError(f"{args[0]} did not start: {line!r} {self.proc.stderr.read() if self.proc.stderr else ''}")
        self.endpoint = line.strip().split("=", 1)[1]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture
def local_hub(tmp_path: Path) -> Iterator:
    """``local_hub(repos={"org/name": DIR}, branches={"org/name@dev": DIR}, private={"org/name":
    TOKEN}, corrupt=["org/name:PATH"], latency_ms=0)`` starts the local Hugging Face hub with one
    commit per repository (``datasets/org/name`` for a dataset) and returns its
    :class:`Server` (``.endpoint``, ``.stop()``); every server stops when the test ends."""
    binary = _example("local-hub", "HUBSIGN_LOCAL_HUB")
    servers: list[Server] = []

    def start(repos: dict[str, Path], *, branches: dict[str, Path] | None = None,
              private: dict[str, str] | None = None, corrupt: tuple[str, ...] | list[str] = (),
              latency_ms: int = 0) -> Server:
        args = [str(binary)]
        for repo, folder in repos.items():
            args += ["--repo", f"{repo}={folder}"]
        for target, folder in (branches or {}).items():
            args += ["--branch", f"{target}={folder}"]
        for repo, token in (private or {}).items():
            args += ["--private", f"{repo}={token}"]
        for c in corrupt:
            args += ["--corrupt", c]
        if latency_ms:
            args += ["--latency-ms", str(latency_ms)]
        server = Server(args, tmp_path, "HF_ENDPOINT")
        servers.append(server)
        return server

    yield start
    for s in servers:
        s.stop()


def tree(root: Path) -> list[str]:
    """Every entry under ``root`` (files, links and folders), relative, sorted."""
    if not root.exists():
        return []
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.fixture
def hubsign_command() -> Path:
    """The ``hubsign`` command the wheel installed beside this Python."""
    path = Path(sys.executable).parent / "hubsign"
    if not path.exists():
        missing(f"no hubsign command beside {sys.executable}: is the wheel installed?")
    return path
