"""Arguments stay arguments: a path, repository id, file name or password that starts with `-`
is never read as an option, and secrets never reach an exception's text."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import hubsign
from conftest import KEYS, write_files


def test_a_model_folder_named_like_an_option_is_a_folder(tmp_path, private_key, public_key, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_files(tmp_path / "--help", {"weights.bin": b"w"})
    signed = hubsign.sign("--help", private_key=private_key)
    assert Path(signed.path) == Path("--help") / "model.sig"
    assert hubsign.verify("--help", public_key=public_key).files == 1
    assert hubsign.digest("--help").startswith("sha256:")


def test_a_password_is_never_an_option_nor_in_the_error(model):
    secret = "--not-the-password"
    with pytest.raises(hubsign.UsageError) as raised:
        hubsign.sign(model, private_key=KEYS / "p256.encrypted.pem", password=secret)
    text = str(raised.value) + repr(raised.value.causes) + str(raised.value.hint)
    assert "password" in text.lower() and secret not in text
    # The right one signs (the fixture's password file holds it).
    password = (KEYS / "p256.password").read_text().rstrip("\n")
    assert hubsign.sign(model, private_key=KEYS / "p256.encrypted.pem", password=password).method == "key"
    assert "HUBSIGN_PYTHON_PASSWORD" not in os.environ


def test_a_file_name_like_an_option_names_a_file(model, private_key, public_key, local_hub, hf_env, tmp_path):
    hubsign.sign(model, private_key=private_key)
    endpoint = local_hub({"org/model": model}).endpoint
    elsewhere = tmp_path / "elsewhere"
    with pytest.raises(hubsign.EntryNotFoundError):
        hubsign.hf_hub_download("org/model", f"--local-dir={elsewhere}", endpoint=endpoint, public_key=public_key)
    assert not elsewhere.exists()
