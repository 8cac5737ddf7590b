"""hubsign.signing / verifying / hashing as a drop-in for model_signing 1.1's Python API, checked
against the real model_signing both ways: its signatures (made here through its API, and the
shared vectors it made) verify through hubsign, what hubsign signs model_signing verifies, and
hubsign's manifests equal model_signing's."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import pytest

import hubsign
from hubsign import hashing, signing, verifying

from conftest import KEYS, missing, write_files

ROOT_CA = KEYS / "root-ca.crt.pem"
LEAF = KEYS / "leaf.crt.pem"
CHAIN = KEYS / "chain.pem"


def ms() -> Any:
    """The real model_signing package (its signing, verifying, hashing modules)."""
    try:
        import model_signing.hashing
        import model_signing.signing
        import model_signing.verifying
    except ImportError as e:  # model_signing 1.1.1 also needs pyopenssl, undeclared
        missing(f"model_signing is not importable: {e}")
    return model_signing


# The hashing configurations both libraries are driven with: (name, model_signing's, hubsign's).
def _files(lib: Any) -> Any:
    return lib.hashing.Config()


def _shards(lib: Any) -> Any:
    return lib.hashing.Config().use_shard_serialization(shard_size=65536)


def _blake2(lib: Any) -> Any:
    return lib.hashing.Config().use_file_serialization(hashing_algorithm="blake2")


def _ignored(lib: Any) -> Any:
    return lib.hashing.Config().set_ignored_paths(paths=["nested", Path("config.json")])


def _blake3_shards(lib: Any) -> Any:
    # Not sharded in model_signing: blake3 falls back to files.
    return lib.hashing.Config().use_shard_serialization(hashing_algorithm="blake3", shard_size=4096)


HASHINGS: dict[str, Callable[[Any], Any]] = {
    "files": _files, "shards": _shards, "blake2": _blake2, "ignored": _ignored, "blake3-shards": _blake3_shards,
}


@pytest.fixture
def big_model(tmp_path: Path) -> Path:
    """A model with several shards per weight file, git paths and a dotfile."""
    return write_files(tmp_path / "big-model", {
        "config.json": '{"model_type": "bert"}\n',
        "model.safetensors": os.urandom(300_000),
        "nested/extra.txt": "extra\n",
        "nested/deeper/w.bin": os.urandom(70_000),
        ".hidden": "dot\n",
        "empty.bin": b"",
        ".gitattributes": "*.bin lfs\n",
        ".git/HEAD": "ref: refs/heads/main\n",
    })


def as_hubsign(lib_config: Callable[[Any], Any]) -> hashing.Config:
    return lib_config(hubsign)  # type: ignore[no-any-return]


# --- (a) model_signing's signatures verify through hubsign ------------------------------------


@pytest.mark.parametrize("name", list(HASHINGS))
@pytest.mark.parametrize("method", ["key", "certificate"])
def test_model_signing_api_signatures_verify_through_hubsign(big_model: Path, tmp_path: Path, name: str,
                                                             method: str, private_key: Path,
                                                             public_key: Path) -> None:
    lib = ms()
    sig = tmp_path / "ms.sig"
    config = lib.signing.Config().set_hashing_config(HASHINGS[name](lib))
    if method == "key":
        config.use_elliptic_key_signer(private_key=private_key)
    else:
        config.use_certificate_signer(private_key=private_key, signing_certificate=LEAF, certificate_chain=[CHAIN])
    config.sign(big_model, sig)
    trust: dict[str, Any] = {"public_key": public_key} if method == "key" else {"certificate_chain": [ROOT_CA]}

    result = hubsign.verify(big_model, sig, **trust)
    assert result.method == method
    # No hashing configuration: hubsign reads the serialization from the signature.
    v = verifying.Config()
    if method == "key":
        v.use_elliptic_key_verifier(public_key=str(public_key))
    else:
        v.use_certificate_verifier(certificate_chain=[str(ROOT_CA)])
    assert v.verify(str(big_model), str(sig)) is None
    # And with the configuration shared as model_signing's README shows it.
    assert v.set_hashing_config(as_hubsign(HASHINGS[name])).verify(big_model, sig) is None

    (big_model / "model.safetensors").write_bytes(b"changed")
    with pytest.raises(hubsign.VerificationError) as err:
        v.verify(big_model, sig)
    assert err.value.modified == ["model.safetensors"]


VECTOR_SIGS = {
    # signature: (model, trust, what hubsign reports as the serialization)
    "key_p256_files.sig": ("tiny-model", "key", "files"),
    "cert_p256_files.sig": ("tiny-model", "certificate", "files"),
    "key_p256_singlefile.sig": ("single-file-model.bin", "key", "files"),
    "key_p256_symlinks.sig": ("symlink-model", "key", "files"),
    "api_key_p256_shards_262144.sig": ("tiny-model", "key", "shards (262144 bytes)"),
    "api_key_p256_files_blake2.sig": ("tiny-model", "key", "files"),
}


@pytest.fixture(scope="module")
def vectors(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shared model_signing 1.1.1 vectors (HUBSIGN_VECTORS), with their models generated."""
    root = os.environ.get("HUBSIGN_VECTORS")
    if not root:
        missing("HUBSIGN_VECTORS is not set (model_signing 1.1.1's signatures)")
    base = Path(root) / "model-signing-1.1.1"
    models = tmp_path_factory.mktemp("vectors")
    subprocess.run([sys.executable, str(base / "gen_model.py"), str(models)], check=True, capture_output=True)
    (models / "sigs").symlink_to(base / "sigs")
    (models / "keys").symlink_to(base / "keys")
    return models


@pytest.mark.parametrize("sig_name", list(VECTOR_SIGS))
def test_model_signing_vectors_verify_through_hubsign(vectors: Path, sig_name: str) -> None:
    model_name, method, serialization = VECTOR_SIGS[sig_name]
    model, sig = vectors / model_name, vectors / "sigs" / sig_name
    trust: dict[str, Any] = ({"public_key": vectors / "keys" / "p256.pub.pem"} if method == "key"
                             else {"certificate_chain": [vectors / "keys" / "root-ca.crt.pem"]})
    result = hubsign.verify(model, sig, **trust)
    assert (result.method, result.serialization) == (method, serialization)

    v = verifying.Config()
    if method == "key":
        v.use_elliptic_key_verifier(public_key=trust["public_key"])
    else:
        v.use_certificate_verifier(certificate_chain=trust["certificate_chain"])
    v.verify(model, sig)
    v.verify(str(model), str(sig))

    wrong = verifying.Config().use_elliptic_key_verifier(public_key=KEYS / "other-p256.pub.pem")
    if method == "key":
        with pytest.raises(ValueError):
            wrong.verify(model, sig)


# --- (b) what hubsign signs, model_signing verifies -------------------------------------------


@pytest.mark.parametrize("name", list(HASHINGS))
@pytest.mark.parametrize("method", ["key", "certificate"])
def test_hubsign_signatures_verify_through_model_signing(big_model: Path, tmp_path: Path, name: str, method: str,
                                                         private_key: Path, public_key: Path) -> None:
    lib = ms()
    sig = tmp_path / "hubsign.sig"
    config = signing.Config().set_hashing_config(as_hubsign(HASHINGS[name]))
    if method == "key":
        assert config.use_elliptic_key_signer(private_key=str(private_key)) is config
    else:
        assert config.use_certificate_signer(private_key=private_key, signing_certificate=str(LEAF),
                                             certificate_chain=[CHAIN]) is config
    assert config.sign(str(big_model), sig) is None

    v = lib.verifying.Config()
    if method == "key":
        v.use_elliptic_key_verifier(public_key=public_key)
    else:
        v.use_certificate_verifier(certificate_chain=[ROOT_CA])
    v.set_hashing_config(HASHINGS[name](lib)).verify(big_model, sig)

    # hubsign.sign, the native call, too.
    native = tmp_path / "native.sig"
    kwargs: dict[str, Any] = {"private_key": private_key}
    if method == "certificate":
        kwargs.update(signing_certificate=LEAF, certificate_chain=[CHAIN])
    hubsign.sign(big_model, native, **kwargs)
    v.set_hashing_config(lib.hashing.Config()).verify(big_model, native)


def test_hubsign_encrypted_key_signs_for_model_signing(model: Path, tmp_path: Path, public_key: Path) -> None:
    lib = ms()
    sig = tmp_path / "enc.sig"
    signing.Config().use_elliptic_key_signer(private_key=KEYS / "p256.encrypted.pem",
                                             password=(KEYS / "p256.password").read_text()).sign(model, sig)
    lib.verifying.Config().use_elliptic_key_verifier(public_key=public_key).verify(model, sig)


# --- (c) tampered, extra, missing files --------------------------------------------------------


def _signed(model: Path, tmp_path: Path, private_key: Path) -> Path:
    sig = tmp_path / "m.sig"
    signing.Config().use_elliptic_key_signer(private_key=private_key).sign(model, sig)
    return sig


@pytest.mark.parametrize("change, field, names", [
    (lambda m: (m / "model.safetensors").write_bytes(b"tampered"), "modified", ["model.safetensors"]),
    (lambda m: (m / "nested" / "extra.txt").unlink(), "missing", ["nested/extra.txt"]),
    (lambda m: (m / "added.bin").write_bytes(b"new"), "unexpected", ["added.bin"]),
])
def test_changed_model_raises_with_the_files(model: Path, tmp_path: Path, private_key: Path, public_key: Path,
                                             change: Callable[[Path], Any], field: str, names: list[str]) -> None:
    sig = _signed(model, tmp_path, private_key)
    change(model)
    config = verifying.Config().use_elliptic_key_verifier(public_key=public_key)
    try:
        config.verify(model, sig)
    except ValueError as e:  # model_signing's contract: a failed verification is a ValueError
        assert isinstance(e, hubsign.VerificationError)
        lists = {"modified": e.modified, "missing": e.missing, "unexpected": e.unexpected}
        assert lists == {k: (names if k == field else []) for k in lists}
    else:
        pytest.fail("a changed model verified")


def test_unsigned_files_accepted_when_asked_with_str_paths(model: Path, tmp_path: Path, private_key: Path,
                                                           public_key: Path) -> None:
    sig = _signed(model, tmp_path, private_key)
    (model / "added.bin").write_bytes(b"new")
    config = verifying.Config().use_elliptic_key_verifier(public_key=str(public_key))
    with pytest.raises(hubsign.VerificationError):
        config.verify(str(model), str(sig))
    # model_signing 1.1.1 raises TypeError here with a str model path.
    assert config.set_ignore_unsigned_files(True) is config
    config.verify(str(model), str(sig))
    config.verify(model, sig)
    (model / "config.json").write_text("changed\n")
    with pytest.raises(hubsign.VerificationError) as err:
        config.verify(str(model), str(sig))
    assert err.value.modified == ["config.json"]


# --- (d) hashing.Config().hash() is model_signing's manifest ----------------------------------


@pytest.mark.parametrize("name", list(HASHINGS))
def test_hash_equals_model_signing_manifest(big_model: Path, name: str) -> None:
    lib = ms()
    theirs = HASHINGS[name](lib).hash(big_model)
    mine = as_hubsign(HASHINGS[name]).hash(str(big_model))
    assert mine == theirs
    assert mine.model_name == theirs.model_name == "big-model"
    listed = [(r.identifier, r.digest.algorithm, r.digest.digest_value, r.digest.digest_hex)
              for r in mine.resource_descriptors()]
    assert listed == [(r.identifier, r.digest.algorithm, r.digest.digest_value, r.digest.digest_hex)
                      for r in theirs.resource_descriptors()]
    ours, ref = mine.serialization_type, theirs.serialization_type
    assert {k: ours[k] for k in ("method", "hash_type", "allow_symlinks")} == \
        {k: ref[k] for k in ("method", "hash_type", "allow_symlinks")}
    assert ours.get("shard_size") == ref.get("shard_size")
    assert sorted(ours.get("ignore_paths", [])) == sorted(ref.get("ignore_paths", []))


def test_hash_differs_when_a_file_changes_and_module_hash(big_model: Path) -> None:
    lib = ms()
    before = hashing.hash(big_model)
    assert before == lib.hashing.hash(big_model)
    (big_model / "empty.bin").write_bytes(b"x")
    assert before != hashing.Config().hash(big_model)
    assert hashing.Config().hash(Path(big_model)) == lib.hashing.hash(big_model)


def test_hash_ignored_paths_added_and_git_paths(big_model: Path) -> None:
    lib = ms()
    mine = hashing.Config().set_ignored_paths(paths=[], ignore_git_paths=False)
    theirs = lib.hashing.Config().set_ignored_paths(paths=[], ignore_git_paths=False)
    assert mine.hash(big_model) == theirs.hash(big_model)
    assert ".git/HEAD" in [r.identifier for r in mine.hash(big_model).resource_descriptors()]
    assert mine.add_ignored_paths(model_path=str(big_model), paths=["nested", big_model / ".hidden", "/elsewhere"]) \
        is None
    theirs.add_ignored_paths(model_path=big_model, paths=["nested", big_model / ".hidden", "/elsewhere"])
    assert mine.hash(big_model) == theirs.hash(big_model)
    assert "nested/extra.txt" not in [r.identifier for r in mine.hash(big_model).resource_descriptors()]


def test_hash_symlinks(tmp_path: Path) -> None:
    lib = ms()
    model = write_files(tmp_path / "linked", {"real.bin": b"real"})
    (model / "link.bin").symlink_to("real.bin")
    with pytest.raises(ValueError):
        hashing.Config().hash(model)
    assert hashing.Config().set_allow_symlinks(True).hash(model) == \
        lib.hashing.Config().set_allow_symlinks(True).hash(model)


def test_unknown_algorithm_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="Unsupported hashing method"):
        hashing.Config().use_file_serialization(hashing_algorithm="md5")


# --- (e) shards without a config, wrong keys, no verifier -------------------------------------


def test_shard_signature_verifies_without_hashing_config(big_model: Path, tmp_path: Path, private_key: Path,
                                                         public_key: Path) -> None:
    lib = ms()
    sig = tmp_path / "shards.sig"
    lib.signing.Config().use_elliptic_key_signer(private_key=private_key).set_hashing_config(
        lib.hashing.Config().use_shard_serialization(shard_size=4096)).sign(big_model, sig)
    # model_signing 1.1.1 raises TypeError here; hubsign reads the shard size from the signature.
    verifying.Config().use_elliptic_key_verifier(public_key=public_key).verify(big_model, sig)
    assert hubsign.verify(big_model, sig, public_key=public_key).serialization == "shards (4096 bytes)"


def test_wrong_key_and_no_verifier(model: Path, tmp_path: Path, private_key: Path, other_public_key: Path) -> None:
    sig = _signed(model, tmp_path, private_key)
    with pytest.raises(hubsign.VerificationError):
        verifying.Config().use_elliptic_key_verifier(public_key=other_public_key).verify(model, sig)
    with pytest.raises(ValueError, match="no configured verifier"):
        verifying.Config().verify(model, sig)
    with pytest.raises(ValueError):  # a certificate signature is not a key signature
        verifying.Config().use_certificate_verifier(certificate_chain=[ROOT_CA]).verify(model, sig)


def test_signature_inside_the_model_is_left_out(model: Path, private_key: Path, public_key: Path) -> None:
    lib = ms()
    sig = model / "model.sig"
    signing.Config().use_elliptic_key_signer(private_key=private_key).sign(model, sig)
    verifying.Config().use_elliptic_key_verifier(public_key=public_key).verify(model, sig)
    lib.verifying.Config().use_elliptic_key_verifier(public_key=public_key).verify(model, sig)
    # Signing again over the old signature gives a signature that still verifies.
    signing.Config().use_elliptic_key_signer(private_key=private_key).sign(model, sig)
    verifying.Config().use_elliptic_key_verifier(public_key=public_key).verify(model, sig)


def test_pkcs11_module_paths_put_the_directory_in_the_uri(tmp_path: Path) -> None:
    from hubsign.signing import _module_args

    mods = tmp_path / "mods"
    write_files(mods, {"libsofthsm2.so": b""})
    uri = _module_args("pkcs11:token=t;object=k?module-name=libsofthsm2&pin-value=1", [str(tmp_path), str(mods)])
    assert uri["pkcs11_uri"].endswith(f"&module-path={mods}")
    assert _module_args("pkcs11:object=k", [str(mods / "libsofthsm2.so")])["pkcs11_module"] == \
        str(mods / "libsofthsm2.so")


@pytest.mark.parametrize("with_certificate", [False, True])
def test_pkcs11_signers_with_softhsm(model: Path, tmp_path: Path, public_key: Path, with_certificate: bool,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    module = os.environ.get("HUBSIGN_SOFTHSM")
    util = shutil.which("softhsm2-util")
    if not module or not util or not shutil.which("openssl"):
        missing("HUBSIGN_SOFTHSM, softhsm2-util or openssl is not there (PKCS#11 signing)")
    lib = ms()
    conf = tmp_path / "softhsm2.conf"
    (tmp_path / "tokens").mkdir()
    conf.write_text(f"directories.tokendir = {tmp_path / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
    monkeypatch.setenv("SOFTHSM2_CONF", str(conf))  # read by the module when it loads, in this process
    monkeypatch.delenv("PKCS11_MODULE", raising=False)
    p8 = tmp_path / "k.p8"
    subprocess.run(["openssl", "pkcs8", "-topk8", "-nocrypt", "-in", str(KEYS / "p256.pem"), "-out", str(p8)],
                   check=True, capture_output=True)
    for args in (["--init-token", "--free", "--label", "t", "--pin", "1234", "--so-pin", "5678"],
                 ["--import", str(p8), "--token", "t", "--label", "k", "--id", "01", "--pin", "1234"]):
        subprocess.run([util, *args], check=True, capture_output=True)
    sig = tmp_path / "hsm.sig"
    uri = "pkcs11:token=t;object=k?pin-value=1234"
    if with_certificate:
        config = signing.Config().use_pkcs11_certificate_signer(pkcs11_uri=uri, signing_certificate=LEAF,
                                                                certificate_chain=[str(CHAIN)], module_paths=[module])
    else:
        config = signing.Config().use_pkcs11_signer(pkcs11_uri=uri, module_paths=[module])
    config.sign(model, sig)
    v = lib.verifying.Config()
    if with_certificate:
        v.use_certificate_verifier(certificate_chain=[ROOT_CA])
    else:
        v.use_elliptic_key_verifier(public_key=public_key)
    v.verify(model, sig)
    assert hubsign.verify(model, sig, **({"certificate_chain": ROOT_CA} if with_certificate else
                                         {"public_key": public_key})).method == \
        ("certificate" if with_certificate else "key")
