"""The hub drop-ins against the local hubs and the real clients: ``hubsign.snapshot_download`` /
``hf_hub_download`` return what ``huggingface_hub`` returns for the same repository and cache,
``hubsign.kaggle.model_download`` what ``kagglehub.model_download`` returns; tampered, foreign,
unsigned and missing repositories raise the class their failure names and cache nothing; and
``check``, ``verify_cache``, ``audit`` and ``push`` return their ``--json`` documents."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Iterator

import pytest

import hubsign
from conftest import Server, _example, missing, tree, write_files

ORG_MODEL = "org/model"
Hub = Callable[..., Server]


def sign(folder: Path, key: Path) -> Path:
    hubsign.sign(folder, private_key=key)
    return folder


def snapshot_files(root: str | Path) -> list[str]:
    """The files of a snapshot or local_dir (links resolved), without the clients' bookkeeping
    folder (``.cache/``) that each writes in its own format."""
    root = Path(root)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")
                  if p.is_file() and not str(p.relative_to(root)).startswith(".cache"))


def hf(name: str, *args: object, **kwargs: object) -> str:
    """``huggingface_hub.<name>(...)`` with the cache and endpoint of the current environment:
    huggingface_hub reads ``HF_HOME`` and ``HF_ENDPOINT`` once, when it is first imported."""
    import huggingface_hub

    kwargs.setdefault("cache_dir", str(Path(os.environ["HF_HOME"]) / "hub"))
    if "local_dir" in kwargs:
        del kwargs["cache_dir"]
    if "HF_ENDPOINT" in os.environ:
        kwargs.setdefault("endpoint", os.environ["HF_ENDPOINT"])
    return getattr(huggingface_hub, name)(*args, **kwargs)


def contents(root: str | Path) -> dict[str, bytes]:
    root = Path(root)
    return {name: (root / name).read_bytes() for name in snapshot_files(root)}


@pytest.fixture
def hub(local_hub: Callable[..., Server], hf_env: Path, monkeypatch: pytest.MonkeyPatch) -> Hub:
    """conftest's ``local_hub`` with ``env=True`` (the default) pointing ``HF_ENDPOINT`` at it."""

    def start(repos: dict[str, Path], *, env: bool = True, **options: object) -> Server:
        server = local_hub(repos, **options)
        if env:
            monkeypatch.setenv("HF_ENDPOINT", server.endpoint)
        return server

    return start


@pytest.fixture
def signed_model(model: Path, private_key: Path) -> Path:
    return sign(model, private_key)


# --- snapshot_download / hf_hub_download return what huggingface_hub returns ---------------


@pytest.mark.parametrize("key_type", [str, Path])
def test_snapshot_download_returns_huggingface_hubs_path_and_files(hub: Hub, signed_model: Path, public_key: Path,
                                                                   tmp_path: Path, key_type: type) -> None:
    hub({ORG_MODEL: signed_model})
    got = hubsign.snapshot_download(ORG_MODEL, public_key=key_type(public_key))
    assert isinstance(got, str)
    # The same cache: huggingface_hub finds the snapshot hubsign committed, at the same path.
    assert hf("snapshot_download", ORG_MODEL) == got
    # A cache of huggingface_hub's own: the same layout, the same files, the same bytes.
    theirs = hf("snapshot_download", ORG_MODEL, cache_dir=tmp_path / "hf-cache")
    ours_root = Path(os.environ["HF_HOME"]) / "hub"
    assert Path(got).relative_to(ours_root) == Path(theirs).relative_to(tmp_path / "hf-cache")
    assert contents(got) == contents(theirs)
    assert contents(got) == contents(signed_model)


@pytest.mark.parametrize(
    ("allow", "ignore"),
    [
        ("*.json", None),
        (["*.json", "nested/*"], None),
        (None, "*.safetensors"),
        (None, ["*.safetensors", "*.txt"]),
        (["*.json", "*.safetensors"], "model.*"),
    ],
)
def test_allow_and_ignore_patterns_select_what_huggingface_hub_selects(hub: Hub, signed_model: Path, public_key: Path,
                                                                       tmp_path: Path, allow: str | list[str] | None,
                                                                       ignore: str | list[str] | None) -> None:
    hub({ORG_MODEL: signed_model})
    ours = hubsign.snapshot_download(ORG_MODEL, allow_patterns=allow, ignore_patterns=ignore, public_key=public_key,
                                     cache_dir=tmp_path / "ours")
    theirs = hf("snapshot_download", ORG_MODEL, allow_patterns=allow, ignore_patterns=ignore,
                                               cache_dir=tmp_path / "theirs")
    assert Path(ours).relative_to(tmp_path / "ours") == Path(theirs).relative_to(tmp_path / "theirs")
    # hubsign keeps the signature beside what it selected (verify_cache and audit read it).
    assert [f for f in snapshot_files(ours) if f != "model.sig"] == \
        [f for f in snapshot_files(theirs) if f != "model.sig"]
    assert snapshot_files(ours), "the selection is not empty"


@pytest.mark.parametrize("dir_type", [str, Path])
def test_local_dir_returns_what_huggingface_hub_returns(hub: Hub, signed_model: Path, public_key: Path,
                                                        tmp_path: Path, dir_type: type) -> None:
    hub({ORG_MODEL: signed_model})
    ours = hubsign.snapshot_download(ORG_MODEL, local_dir=dir_type(tmp_path / "ours"), public_key=public_key)
    theirs = hf("snapshot_download", ORG_MODEL, local_dir=dir_type(tmp_path / "theirs"))
    assert ours == str(tmp_path / "ours")
    assert theirs == str(tmp_path / "theirs")
    assert contents(ours) == contents(theirs)
    # One file into a local_dir: its path there, as huggingface_hub returns it.
    one = hubsign.hf_hub_download(ORG_MODEL, "extra.txt", subfolder="nested", local_dir=tmp_path / "one",
                                  public_key=public_key)
    assert one == hf("hf_hub_download", ORG_MODEL, "extra.txt", subfolder="nested",
                                                  local_dir=tmp_path / "one-theirs").replace("one-theirs", "one")
    assert Path(one).read_text() == "extra\n"


def test_relative_and_home_folders_return_huggingface_hubs_absolute_paths(hub: Hub, signed_model: Path,
                                                                          public_key: Path, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    hub({ORG_MODEL: signed_model})
    (tmp_path / "work").mkdir()
    (tmp_path / "home").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "work")
    monkeypatch.chdir(tmp_path / "link")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for base in ("relative", "~/in-home", str(tmp_path / "link" / "through")):
        for kind in ("cache_dir", "local_dir"):
            folder = f"{base}-{kind}"
            ours = hubsign.snapshot_download(ORG_MODEL, public_key=public_key, **{kind: folder + "-ours"})
            theirs = hf("snapshot_download", ORG_MODEL, **{kind: folder + "-theirs"})
            assert ours == theirs.replace("-theirs", "-ours"), (kind, folder)
            assert os.path.isabs(ours) and f"{os.sep}link{os.sep}" not in ours
            ours = hubsign.hf_hub_download(ORG_MODEL, "config.json", public_key=public_key,
                                           **{kind: folder + "-ours-file"})
            theirs = hf("hf_hub_download", ORG_MODEL, "config.json", **{kind: folder + "-theirs-file"})
            assert ours == theirs.replace("-theirs", "-ours"), (kind, folder)


@pytest.mark.parametrize("hf_home", ["~/hf-home", "relative-hf-home", "{link}/hf-home"])
def test_hf_home_with_a_tilde_relative_or_through_a_link_gives_huggingface_hubs_path(
        hub: Hub, signed_model: Path, public_key: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        hf_home: str) -> None:
    server = hub({ORG_MODEL: signed_model})
    (tmp_path / "work").mkdir()
    (tmp_path / "home").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "work")
    monkeypatch.chdir(tmp_path / "work")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HF_HOME", hf_home.format(link=tmp_path / "link"))
    ours = hubsign.snapshot_download(ORG_MODEL, public_key=public_key)
    # huggingface_hub reads HF_HOME when imported: a fresh interpreter, the same environment.
    code = "import huggingface_hub as h; print(h.snapshot_download('org/model'))"
    theirs = subprocess.run([sys.executable, "-c", code], env={**os.environ, "HF_ENDPOINT": server.endpoint},
                            capture_output=True, text=True, check=True).stdout.strip()
    assert ours == theirs
    assert not (tmp_path / "work" / "~").exists()


def test_revision_names_a_branch(hub: Hub, signed_model: Path, private_key: Path, public_key: Path,
                                 tmp_path: Path) -> None:
    dev = write_files(tmp_path / "dev", {"config.json": '{"model_type": "bert", "dev": true}\n'})
    sign(dev, private_key)
    hub({ORG_MODEL: signed_model}, branches={f"{ORG_MODEL}@dev": dev})
    main = hubsign.snapshot_download(ORG_MODEL, public_key=public_key)
    got = hubsign.snapshot_download(ORG_MODEL, revision="dev", public_key=public_key)
    assert got != main
    assert got == hf("snapshot_download", ORG_MODEL, revision="dev")
    assert contents(got) == contents(dev)
    refs = Path(os.environ["HF_HOME"]) / "hub" / "models--org--model" / "refs"
    assert (refs / "dev").read_text() == Path(got).name
    # A commit id names the same snapshot.
    assert hubsign.snapshot_download(ORG_MODEL, revision=Path(got).name, public_key=public_key) == got


def test_hf_hub_download_returns_huggingface_hubs_path(hub: Hub, signed_model: Path, public_key: Path) -> None:
    hub({ORG_MODEL: signed_model})
    ours = hubsign.hf_hub_download(ORG_MODEL, "extra.txt", subfolder="nested", public_key=public_key)
    assert ours == hf("hf_hub_download", ORG_MODEL, "extra.txt", subfolder="nested")
    assert Path(ours).read_text() == "extra\n"
    top = hubsign.hf_hub_download(ORG_MODEL, "config.json", public_key=public_key)
    assert top == hf("hf_hub_download", ORG_MODEL, "config.json")


def test_offline_returns_the_cached_path_without_the_hub(hub: Hub, signed_model: Path, public_key: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    server = hub({ORG_MODEL: signed_model})
    online = hubsign.snapshot_download(ORG_MODEL, public_key=public_key)
    one = hubsign.hf_hub_download(ORG_MODEL, "extra.txt", subfolder="nested", public_key=public_key)
    server.stop()
    assert hubsign.snapshot_download(ORG_MODEL, local_files_only=True, public_key=public_key) == online
    assert hubsign.hf_hub_download(ORG_MODEL, "extra.txt", subfolder="nested", local_files_only=True,
                                   public_key=public_key) == one
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert hubsign.snapshot_download(ORG_MODEL, public_key=public_key) == online
    assert hubsign.hf_hub_download(ORG_MODEL, "nested/extra.txt", public_key=public_key) == one
    assert hf("snapshot_download", ORG_MODEL) == online
    # Offline, a cached file that changed is caught: the snapshot is verified again.
    Path(online, "config.json").resolve().write_text('{"model_type": "gpt2"}\n')
    with pytest.raises(hubsign.VerificationError) as e:
        hubsign.snapshot_download(ORG_MODEL, public_key=public_key)
    assert "config.json" in e.value.modified


# Where the drop-in still differs from huggingface_hub (the CLI refuses these; strict, so a fix shows).
@pytest.mark.xfail(strict=True, raises=hubsign.UsageError,
                   reason="offline, the CLI refuses --local-dir (huggingface_hub returns the folder)")
def test_offline_with_local_dir_returns_the_folder(hub: Hub, signed_model: Path, public_key: Path,
                                                   tmp_path: Path) -> None:
    server = hub({ORG_MODEL: signed_model})
    got = hubsign.snapshot_download(ORG_MODEL, local_dir=tmp_path / "ld", public_key=public_key)
    server.stop()
    assert hubsign.snapshot_download(ORG_MODEL, local_dir=tmp_path / "ld", local_files_only=True,
                                     public_key=public_key) == got


@pytest.mark.xfail(strict=True, raises=hubsign.UsageError,
                   reason="a --local-dir pull leaves exactly the files it placed: the snapshot's other files count "
                          "as foreign to a one-file pull")
def test_one_file_into_a_local_dir_a_snapshot_filled(hub: Hub, signed_model: Path, public_key: Path,
                                                     tmp_path: Path) -> None:
    hub({ORG_MODEL: signed_model})
    hubsign.snapshot_download(ORG_MODEL, local_dir=tmp_path / "ld", public_key=public_key)
    assert hubsign.hf_hub_download(ORG_MODEL, "config.json", local_dir=tmp_path / "ld",
                                   public_key=public_key) == str(tmp_path / "ld" / "config.json")


def test_offline_with_patterns_verifies_what_is_cached(hub: Hub, signed_model: Path, public_key: Path) -> None:
    server = hub({ORG_MODEL: signed_model})
    got = hubsign.snapshot_download(ORG_MODEL, allow_patterns="*.json", public_key=public_key)
    server.stop()
    # As huggingface_hub: the cached snapshot, whatever the patterns; every file in it verified.
    for allow, ignore in (("*.json", None), (["*.json", "nested/*"], None), (None, "*.safetensors")):
        assert hubsign.snapshot_download(ORG_MODEL, allow_patterns=allow, ignore_patterns=ignore,
                                         local_files_only=True, public_key=public_key) == got
    assert hf("snapshot_download", ORG_MODEL, allow_patterns="*.json", local_files_only=True) == got
    Path(got, "config.json").resolve().write_text("{}\n")
    with pytest.raises(hubsign.VerificationError) as e:
        hubsign.snapshot_download(ORG_MODEL, allow_patterns="*.json", local_files_only=True, public_key=public_key)
    assert e.value.modified == ["config.json"]


def test_offline_without_a_cached_snapshot_or_file_raises_entry_not_found(hub: Hub, signed_model: Path,
                                                                           public_key: Path) -> None:
    server = hub({ORG_MODEL: signed_model})
    with pytest.raises(hubsign.EntryNotFoundError) as e:
        hubsign.snapshot_download(ORG_MODEL, local_files_only=True, public_key=public_key)
    assert ORG_MODEL in str(e.value) and isinstance(e.value, OSError)
    hubsign.hf_hub_download(ORG_MODEL, "config.json", public_key=public_key)
    server.stop()
    with pytest.raises(hubsign.EntryNotFoundError) as e:
        hubsign.hf_hub_download(ORG_MODEL, "absent.txt", local_files_only=True, public_key=public_key)
    assert ORG_MODEL in str(e.value) and "absent.txt" in str(e.value)


def test_token_and_endpoint_keywords_need_no_environment(hub: Hub, signed_model: Path, public_key: Path,
                                                         tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server = hub({"org/secret": signed_model}, private={"org/secret": "hf_secret_token"}, env=False)
    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    # Without the token the private repository does not exist for the caller.
    with pytest.raises(hubsign.RepositoryNotFoundError) as e:
        hubsign.snapshot_download("org/secret", endpoint=server.endpoint, public_key=public_key)
    assert "org/secret" in str(e.value)
    assert isinstance(e.value, OSError)
    got = hubsign.snapshot_download("org/secret", endpoint=server.endpoint, token="hf_secret_token",
                                    public_key=public_key)
    assert got == hf("snapshot_download", "org/secret", endpoint=server.endpoint, token="hf_secret_token")
    assert contents(got) == contents(signed_model)
    one = hubsign.hf_hub_download("org/secret", "config.json", endpoint=server.endpoint, token="hf_secret_token",
                                  public_key=public_key, cache_dir=tmp_path / "c")
    assert one == hf("hf_hub_download", "org/secret", "config.json", endpoint=server.endpoint,
                                                  token="hf_secret_token", cache_dir=tmp_path / "c")
    # A token in the environment is not used when token=False says none.
    monkeypatch.setenv("HF_TOKEN", "hf_secret_token")
    with pytest.raises(hubsign.RepositoryNotFoundError):
        hubsign.snapshot_download("org/secret", endpoint=server.endpoint, token=False, public_key=public_key,
                                  cache_dir=tmp_path / "d")
    # The keywords did not leak into the process environment.
    assert "HF_ENDPOINT" not in os.environ


def write_policy(path: Path, pattern: str, key: Path) -> Path:
    path.write_text(f'[[trust]]\nrepos = ["{pattern}"]\npublic-key = "{key}"\n')
    return path


@pytest.mark.parametrize("policy_type", [str, Path])
def test_policy_names_the_signer(hub: Hub, signed_model: Path, public_key: Path, other_public_key: Path,
                                 tmp_path: Path, policy_type: type, monkeypatch: pytest.MonkeyPatch) -> None:
    hub({ORG_MODEL: signed_model})
    good = write_policy(tmp_path / "good.toml", "org/*", public_key)
    got = hubsign.snapshot_download(ORG_MODEL, policy=policy_type(good), cache_dir=tmp_path / "a")
    assert contents(got) == contents(signed_model)
    other = write_policy(tmp_path / "other.toml", "org/*", other_public_key)
    with pytest.raises(hubsign.VerificationError) as e:
        hubsign.snapshot_download(ORG_MODEL, policy=policy_type(other), cache_dir=tmp_path / "b")
    assert ORG_MODEL in str(e.value)
    assert tree(tmp_path / "b") == [] or not any("snapshots/" in p for p in tree(tmp_path / "b"))
    # HUBSIGN_POLICY, as the CLI reads it.
    monkeypatch.setenv("HUBSIGN_POLICY", str(good))
    assert hubsign.snapshot_download(ORG_MODEL, cache_dir=tmp_path / "c").endswith(Path(got).name)
    # A policy with no rule for the repository refuses.
    elsewhere = write_policy(tmp_path / "elsewhere.toml", "someone/*", public_key)
    with pytest.raises(hubsign.Error) as e:
        hubsign.snapshot_download(ORG_MODEL, policy=elsewhere, cache_dir=tmp_path / "d")
    assert ORG_MODEL in str(e.value) or "elsewhere.toml" in str(e.value)


# --- tampered, foreign, unsigned and missing repositories --------------------------------


def no_snapshot(cache: Path, repo_folder: str = "models--org--model") -> None:
    entries = tree(cache / repo_folder)
    assert not [p for p in entries if p.startswith(("snapshots/", "blobs/"))], entries


def test_a_corrupted_file_raises_naming_it_and_caches_nothing(hub: Hub, signed_model: Path, public_key: Path,
                                                              hf_env: Path) -> None:
    hub({ORG_MODEL: signed_model}, corrupt=[f"{ORG_MODEL}:model.safetensors"])
    with pytest.raises(hubsign.VerificationError) as e:
        hubsign.snapshot_download(ORG_MODEL, public_key=public_key)
    assert isinstance(e.value, ValueError)
    assert e.value.exit_code == 1
    assert "model.safetensors" in str(e.value)
    no_snapshot(hf_env / "hub")
    # One file: the corrupted one raises too, the others still download.
    with pytest.raises(hubsign.VerificationError) as e:
        hubsign.hf_hub_download(ORG_MODEL, "model.safetensors", public_key=public_key)
    assert "model.safetensors" in str(e.value)
    no_snapshot(hf_env / "hub")
    assert Path(hubsign.hf_hub_download(ORG_MODEL, "config.json", public_key=public_key)).is_file()


def test_a_repository_signed_by_another_key_raises(hub: Hub, model: Path, public_key: Path, hf_env: Path,
                                                   tmp_path: Path) -> None:
    other_key = Path(__file__).resolve().parents[2] / "fixtures" / "keys" / "other-p256.pem"
    if not other_key.is_file():
        pytest.fail(f"{other_key} is missing")
    sign(model, other_key)
    hub({ORG_MODEL: model})
    with pytest.raises(hubsign.VerificationError) as e:
        hubsign.snapshot_download(ORG_MODEL, public_key=public_key)
    assert f"{ORG_MODEL}/model.sig" in str(e.value)
    assert "key mismatch" in str(e.value)
    no_snapshot(hf_env / "hub")


def test_an_unsigned_repository_raises_a_verification_error(hub: Hub, model: Path, public_key: Path,
                                                            hf_env: Path) -> None:
    hub({ORG_MODEL: model})
    with pytest.raises(hubsign.VerificationError) as e:
        hubsign.snapshot_download(ORG_MODEL, public_key=public_key)
    assert "model.sig" in str(e.value) and ORG_MODEL in str(e.value)
    no_snapshot(hf_env / "hub")


def test_missing_repository_revision_and_file_raise_huggingface_hubs_classes(hub: Hub, signed_model: Path,
                                                                             public_key: Path) -> None:
    hub({ORG_MODEL: signed_model})
    with pytest.raises(hubsign.RepositoryNotFoundError) as e:
        hubsign.snapshot_download("org/nope", public_key=public_key)
    assert isinstance(e.value, OSError) and "org/nope" in str(e.value)
    with pytest.raises(hubsign.RevisionNotFoundError) as e:
        hubsign.snapshot_download(ORG_MODEL, revision="no-such-branch", public_key=public_key)
    assert "no-such-branch" in str(e.value) and ORG_MODEL in str(e.value)
    with pytest.raises(hubsign.EntryNotFoundError) as e:
        hubsign.hf_hub_download(ORG_MODEL, "nope.txt", subfolder="nested", public_key=public_key)
    assert "nested/nope.txt" in str(e.value) and ORG_MODEL in str(e.value)
    with pytest.raises(hubsign.RepositoryNotFoundError):
        hubsign.check("org/nope", public_key=public_key)


# --- check, verify_cache, audit, push -----------------------------------------------------


def test_check_verifies_without_downloading(hub: Hub, signed_model: Path, public_key: Path, hf_env: Path) -> None:
    hub({ORG_MODEL: signed_model})
    doc = hubsign.check(ORG_MODEL, public_key=public_key)
    assert doc["verified"] is True
    assert doc["repo"] == ORG_MODEL
    assert doc["files"] == 3
    assert len(doc["commit"]) == 40
    assert tree(hf_env / "hub") == []


def test_check_refuses_another_signer_and_unsigned_files(hub: Hub, signed_model: Path, public_key: Path,
                                                         other_public_key: Path, tmp_path: Path) -> None:
    extra = tmp_path / "extra"
    shutil.copytree(signed_model, extra)
    (extra / "unsigned.txt").write_text("not covered\n")
    hub({ORG_MODEL: signed_model, "org/extra": extra})
    with pytest.raises(hubsign.VerificationError) as e:
        hubsign.check(ORG_MODEL, public_key=other_public_key)
    assert "key mismatch" in str(e.value)
    with pytest.raises(hubsign.VerificationError) as e:
        hubsign.check("org/extra", public_key=public_key)
    assert "unsigned.txt" in str(e.value) or e.value.unexpected == ["unsigned.txt"]
    doc = hubsign.check("org/extra", public_key=public_key, ignore_unsigned_files=True)
    assert doc["verified"] is True
    assert "unsigned.txt" in json.dumps(doc["skipped"])


def test_verify_cache_after_a_pull_then_a_tampered_blob(hub: Hub, signed_model: Path, public_key: Path,
                                                        hf_env: Path) -> None:
    server = hub({ORG_MODEL: signed_model})
    snapshot = hubsign.snapshot_download(ORG_MODEL, public_key=public_key)
    server.stop()
    doc = hubsign.verify_cache(ORG_MODEL, public_key=public_key)
    assert doc["verified"] is True
    assert doc["snapshot"] == snapshot
    assert doc["commit"] == Path(snapshot).name
    blob = Path(snapshot, "model.safetensors").resolve()
    assert blob.parent.name == "blobs"
    data = bytearray(blob.read_bytes())
    data[0] ^= 1
    blob.write_bytes(bytes(data))
    with pytest.raises(hubsign.VerificationError) as e:
        hubsign.verify_cache(ORG_MODEL, public_key=public_key)
    assert e.value.modified == ["model.safetensors"]
    assert "modified: model.safetensors" in str(e.value)
    # A snapshot that is not cached: huggingface_hub's class for it (LocalEntryNotFoundError is one).
    with pytest.raises(hubsign.EntryNotFoundError) as e:
        hubsign.verify_cache("org/other", public_key=public_key)
    assert "org/other" in str(e.value)


def test_audit_returns_the_json_document(hub: Hub, signed_model: Path, public_key: Path, hf_env: Path,
                                         tmp_path: Path) -> None:
    hub({ORG_MODEL: signed_model})
    snapshot = hubsign.snapshot_download(ORG_MODEL, public_key=public_key)
    (tmp_path / "no-kaggle").mkdir()
    doc = hubsign.audit(kagglehub_cache=tmp_path / "no-kaggle")
    assert doc["passed"] is True
    assert doc["caches"]["huggingface"] == str(hf_env / "hub")
    (entry,) = doc["snapshots"]
    assert entry["reference"] == f"hf:{ORG_MODEL}"
    assert entry["path"] == snapshot
    assert entry["verdict"] == "signed"
    # Another cache, named; a tampered snapshot there is reported in the document, not raised.
    elsewhere = tmp_path / "elsewhere"
    snapshot = hubsign.snapshot_download(ORG_MODEL, public_key=public_key, cache_dir=elsewhere)
    Path(snapshot, "config.json").resolve().write_text("{}\n")
    doc = hubsign.audit(cache_dir=elsewhere, kagglehub_cache=str(tmp_path / "no-kaggle"))
    assert doc["caches"]["huggingface"] == str(elsewhere)
    assert doc["passed"] is False
    (entry,) = doc["snapshots"]
    assert entry["files_match"] is False
    assert "config.json" in entry["modified"]


def test_push_then_snapshot_download(hub: Hub, model: Path, private_key: Path, public_key: Path, tmp_path: Path,
                                     signed_model: Path) -> None:
    other = write_files(tmp_path / "seed", {"README.md": "seed\n"})
    sign(other, private_key)
    # The local hub accepts writes from anyone but a token it does not know.
    server = hub({"org/seed": other}, private={"org/seed": "hf_known_token"}, env=False)
    with pytest.raises(hubsign.HubError) as e:
        hubsign.push(model, "org/pushed", private_key=private_key, endpoint=server.endpoint, token="hf_unknown")
    assert e.value.status == 401 and "org/pushed" in str(e.value)
    doc = hubsign.push(model, "org/pushed", private_key=private_key, commit_message="from Python",
                       endpoint=server.endpoint, token="hf_known_token")
    assert len(doc["commit"]) == 40
    assert (model / "model.sig").is_file()
    got = hubsign.snapshot_download("org/pushed", public_key=public_key, endpoint=server.endpoint)
    assert Path(got).name == doc["commit"]
    assert contents(got) == contents(model)


def test_push_of_a_model_that_does_not_match_its_signature_refuses(hub: Hub, signed_model: Path, public_key: Path,
                                                                   tmp_path: Path) -> None:
    seed = write_files(tmp_path / "seed", {"README.md": "seed\n"})
    hub({"org/seed": seed})
    (signed_model / "config.json").write_text("{}\n")
    with pytest.raises(hubsign.VerificationError) as e:
        hubsign.push(signed_model, "org/pushed", public_key=public_key)
    assert "config.json" in str(e.value) or "config.json" in e.value.modified
    with pytest.raises(hubsign.RepositoryNotFoundError):
        hubsign.check("org/pushed", public_key=public_key)


# --- bad input names its file or option ---------------------------------------------------


def test_bad_inputs_name_their_file_or_option(hub: Hub, signed_model: Path, public_key: Path, private_key: Path,
                                              tmp_path: Path) -> None:
    hub({ORG_MODEL: signed_model})
    absent = tmp_path / "absent.pub.pem"
    with pytest.raises(hubsign.FileError) as e:
        hubsign.snapshot_download(ORG_MODEL, public_key=absent)
    assert str(absent) in str(e.value) and isinstance(e.value, OSError)
    assert e.value.filename == str(absent)
    with pytest.raises(hubsign.Error) as e:
        hubsign.snapshot_download(ORG_MODEL, policy=tmp_path / "absent.toml")
    assert "absent.toml" in str(e.value)
    broken = tmp_path / "broken.toml"
    broken.write_text("[[trust]\n")
    with pytest.raises(hubsign.UsageError) as e:
        hubsign.snapshot_download(ORG_MODEL, policy=broken)
    assert str(broken) in str(e.value)
    not_a_key = tmp_path / "not-a-key.pem"
    not_a_key.write_text("hello\n")
    with pytest.raises(hubsign.UsageError) as e:
        hubsign.snapshot_download(ORG_MODEL, public_key=not_a_key)
    assert str(not_a_key) in str(e.value)
    with pytest.raises(hubsign.UsageError) as e:
        hubsign.snapshot_download(ORG_MODEL, repo_type="space", public_key=public_key)
    assert "repo-type" in str(e.value) or "space" in str(e.value)
    with pytest.raises(hubsign.UsageError) as e:
        hubsign.snapshot_download(ORG_MODEL)
    assert "public-key" in str(e.value) or "policy" in str(e.value)
    with pytest.raises(hubsign.FileError) as e:
        hubsign.push(tmp_path / "no-model", "org/x", private_key=private_key)
    assert "no-model" in str(e.value)


# --- kagglehub ----------------------------------------------------------------------------


def port_80_free() -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", 80))
        except OSError:
            return False
    return True


@pytest.fixture
def kaggle_80(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., str]]:
    """The local Kaggle server on port 80, where kagglehub reaches it with
    ``KAGGLE_API_ENVIRONMENT=LOCALHOST``; an empty HOME and kagglehub cache."""
    binary = _example("local-kaggle", "HUBSIGN_LOCAL_KAGGLE")
    home = tmp_path / "home"
    home.mkdir()
    for var in ("KAGGLE_API_TOKEN", "KAGGLE_USERNAME", "KAGGLE_KEY", "KAGGLE_CONFIG_DIR", "KAGGLE_KERNEL_RUN_TYPE",
                "KAGGLE_DATA_PROXY_URL", "HUBSIGN_KAGGLE_ENDPOINT", "COLAB_RELEASE_TAG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("KAGGLEHUB_CACHE", str(tmp_path / "kagglehub"))
    monkeypatch.setenv("KAGGLE_API_ENVIRONMENT", "LOCALHOST")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("TQDM_DISABLE", "1")
    servers: list[Server] = []

    def start(models: dict[str, Path]) -> str:
        args = [str(binary)]
        for handle, folder in models.items():
            args += ["--model", f"{handle}={folder}"]
        args += ["--port", "80"]
        try:
            servers.append(Server(args, tmp_path, "KAGGLE_ENDPOINT"))
        except RuntimeError as e:
            if "permission denied" in str(e).lower():
                missing(f"port 80 cannot be bound (kagglehub reaches a local server only there): {e}")
            # Another run holds port 80 (the Rust suite's shared Kaggle server): wait for it to
            # let go, then try once more.
            deadline = time.monotonic() + 300
            while not port_80_free() and time.monotonic() < deadline:
                time.sleep(2)
            servers.append(Server(args, tmp_path, "KAGGLE_ENDPOINT"))
        return servers[-1].endpoint

    yield start
    for s in servers:
        s.stop()


@pytest.fixture
def kaggle_model(model: Path, private_key: Path) -> Path:
    """The model signed where kagglehub uploads a signature (``.kaggle/signing.json``)."""
    (model / ".kaggle").mkdir()
    hubsign.sign(model, model / ".kaggle" / "signing.json", private_key=private_key)
    return model


def test_kaggle_model_download_returns_kagglehubs_path(kaggle_80: Callable[..., str], kaggle_model: Path,
                                                       public_key: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import kagglehub

    signed_model = kaggle_model
    kaggle_80({"owner/tiny/pyTorch/base": signed_model})
    handle = "owner/tiny/pyTorch/base"
    ours = hubsign.kaggle.model_download(handle, public_key=public_key)
    assert contents(ours) == contents(signed_model)
    # kagglehub finds hubsign's download in its cache, at the same path...
    assert kagglehub.model_download(handle) == ours
    # ...and lays out a cache of its own the same way.
    monkeypatch.setenv("KAGGLEHUB_CACHE", str(tmp_path / "theirs"))
    theirs = kagglehub.model_download(handle)
    assert Path(ours).relative_to(tmp_path / "kagglehub") == Path(theirs).relative_to(tmp_path / "theirs")
    assert contents(ours) == contents(theirs)
    # One file: path= inside the version's folder.
    monkeypatch.setenv("KAGGLEHUB_CACHE", str(tmp_path / "one"))
    one = hubsign.kaggle.model_download(handle, path="nested/extra.txt", public_key=public_key)
    monkeypatch.setenv("KAGGLEHUB_CACHE", str(tmp_path / "one-theirs"))
    one_theirs = kagglehub.model_download(handle, path="nested/extra.txt")
    assert Path(one).relative_to(tmp_path / "one") == Path(one_theirs).relative_to(tmp_path / "one-theirs")
    assert Path(one).read_text() == "extra\n"
    # A version, spelled in the handle.
    monkeypatch.setenv("KAGGLEHUB_CACHE", str(tmp_path / "v1"))
    assert Path(hubsign.kaggle.model_download(handle + "/1", public_key=public_key)).name == "1"


def test_kaggle_corrupted_file_raises_and_caches_nothing(tmp_path: Path, kaggle_model: Path, public_key: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    signed_model = kaggle_model
    binary = _example("local-kaggle", "HUBSIGN_LOCAL_KAGGLE")
    handle = "owner/tiny/pyTorch/base"
    server = Server([str(binary), "--model", f"{handle}={signed_model}", "--corrupt", f"{handle}:model.safetensors"],
                    tmp_path, "KAGGLE_ENDPOINT")
    try:
        monkeypatch.setenv("KAGGLEHUB_CACHE", str(tmp_path / "kagglehub"))
        monkeypatch.delenv("KAGGLE_API_ENVIRONMENT", raising=False)
        with pytest.raises(hubsign.VerificationError) as e:
            hubsign.kaggle.model_download(handle, public_key=public_key, endpoint=server.endpoint)
        assert "model.safetensors" in str(e.value)
        files = [p for p in tree(tmp_path / "kagglehub") if (tmp_path / "kagglehub" / p).is_file()]
        assert not [p for p in files if "model.safetensors" in p or "config.json" in p], files
    finally:
        server.stop()
