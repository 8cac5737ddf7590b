"""hubsign: sign and verify ML models in the OpenSSF Model Signing (OMS) format, and download
them from Hugging Face and Kaggle verified before anything is cached.

Signatures are byte-compatible with ``model_signing`` 1.x both ways. Every function runs the
same code as the ``hubsign`` command of the same name, in-process, with the GIL released, and
returns the data its ``--json`` prints; failures raise :class:`hubsign.Error` subclasses.

Drop-ins: ``hubsign.snapshot_download`` / ``hubsign.hf_hub_download`` (huggingface_hub),
``hubsign.kaggle.model_download`` (kagglehub), and ``hubsign.signing`` / ``hubsign.verifying`` /
``hubsign.hashing`` (model_signing's API).
"""

from __future__ import annotations

import os
from . import _run
from ._errors import (
    EntryNotFoundError,
    Error,
    FileError,
    HubError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
    UsageError,
    VerificationError,
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (import time)
if TYPE_CHECKING:
    from typing import Any, Iterable, Optional, Union

    PathLike = Union[str, os.PathLike[str]]
    Paths = Optional[Union[PathLike, Iterable[PathLike]]]
    Patterns = Optional[Union[str, Iterable[str]]]

__all__ = [
    "EntryNotFoundError",
    "Error",
    "FileError",
    "HubError",
    "RepositoryNotFoundError",
    "RevisionNotFoundError",
    "Signature",
    "UsageError",
    "Verification",
    "VerificationError",
    "audit",
    "check",
    "digest",
    "hf_hub_download",
    "push",
    "sign",
    "snapshot_download",
    "verify",
    "verify_cache",
]


class Verification:
    """A verified model: who signed it, how, and what the signature covers.

    Attributes: ``signer`` (a key fingerprint, or a certificate's identity), ``method``
    (``key``, ``certificate``, ``sigstore``), ``files`` (how many files matched),
    ``subject_digest`` (``sha256:…``, the OMS root digest), ``serialization`` (``files`` or
    ``shards``), ``hash``, ``signature_digest``, ``warnings``, and ``report`` (the whole
    ``hubsign verify --json`` document).
    """

    __slots__ = ("files", "hash", "method", "report", "serialization", "signature_digest", "signer",
                 "subject_digest", "warnings")

    def __init__(self, report: dict[str, Any]) -> None:
        self.report = report
        self.signer: str = report.get("signer", "")
        self.method: str = report.get("method", "")
        self.files: int = report.get("files_checked", 0)
        self.subject_digest: Optional[str] = report.get("subject_digest")
        self.serialization: str = report.get("serialization", "")
        self.hash: str = report.get("hash", "")
        self.signature_digest: Optional[str] = report.get("signature_digest")
        self.warnings: list[str] = list(report.get("warnings") or ())

    def __repr__(self) -> str:
        return (f"Verification(signer={self.signer!r}, method={self.method!r}, files={self.files}, "
                f"subject_digest={self.subject_digest!r})")


class Signature:
    """What :func:`sign` wrote: ``path`` (the signature file), ``method``, ``files`` (resources
    signed) and ``subject_digest`` (``sha256:…``)."""

    __slots__ = ("files", "method", "path", "subject_digest")

    def __init__(self, doc: dict[str, Any]) -> None:
        self.path: str = doc["signature"]
        self.method: str = doc.get("method", "")
        self.files: int = doc.get("resources", 0)
        self.subject_digest: str = doc.get("subject_digest", "")

    def __repr__(self) -> str:
        return f"Signature(path={self.path!r}, method={self.method!r}, files={self.files})"

    def __fspath__(self) -> str:
        return self.path


def _walk(args: list[str], ignore_paths: Paths, ignore_git_paths: bool, allow_symlinks: bool) -> None:
    _run.flags(args, "--ignore-paths", ignore_paths)
    _run.switch(args, "--no-ignore-git-paths", not ignore_git_paths)
    _run.switch(args, "--allow-symlinks", allow_symlinks)


def _trust(args: list[str], *, public_key: Optional[PathLike], certificate_chain: Paths, identity: Optional[str],
           issuer: Optional[str], trust_config: Optional[PathLike], use_staging: bool) -> None:
    _run.flag(args, "--public-key", public_key)
    _run.flags(args, "--certificate-chain", certificate_chain)
    _run.flag(args, "--identity", identity)
    _run.flag(args, "--issuer", issuer)
    _run.flag(args, "--trust-config", trust_config)
    _run.switch(args, "--staging", use_staging)


def sign(
    model: PathLike,
    signature: Optional[PathLike] = None,
    *,
    private_key: Optional[PathLike] = None,
    password: Optional[Union[str, bytes]] = None,
    signing_certificate: Optional[PathLike] = None,
    certificate_chain: Paths = None,
    pkcs11_uri: Optional[str] = None,
    pkcs11_module: Optional[PathLike] = None,
    pin: Optional[str] = None,
    identity_token: Optional[str] = None,
    trust_config: Optional[PathLike] = None,
    use_staging: bool = False,
    ignore_paths: Paths = None,
    ignore_git_paths: bool = True,
    allow_symlinks: bool = False,
    hash: str = "sha256",
    shard_size: Optional[int] = None,
) -> Signature:
    """Signs the model directory (or single file) ``model``; writes ``signature`` (default:
    ``model.sig`` inside the model) and returns what was written.

    The signer is the one the arguments name: ``private_key`` (PEM, EC P-256/384/521;
    ``password`` when encrypted), with ``signing_certificate`` and ``certificate_chain`` for a
    certificate signature, ``pkcs11_uri`` (with ``pkcs11_module`` and ``pin``) for a hardware
    token's key, else Sigstore keyless with ``identity_token`` (an OIDC token).
    ``ignore_paths`` are left out of the signature; ``hash`` is ``sha256``, ``blake2b`` or
    ``blake3``; ``shard_size`` signs shards of that many bytes instead of whole files.

    Raises :class:`UsageError` for contradicting or missing options and unreadable keys,
    :class:`FileError` when a file cannot be read or written.
    """
    args = ["sign"]
    env: dict[str, str] = {}
    _run.flag(args, "--signature", signature)
    _run.flag(args, "--private-key", private_key)
    if password is not None:
        _password(args, env, password)
    _run.flag(args, "--signing-certificate", signing_certificate)
    _run.flags(args, "--certificate-chain", certificate_chain)
    _run.flag(args, "--pkcs11-uri", pkcs11_uri)
    _run.flag(args, "--pkcs11-module", pkcs11_module)
    if pin is not None:
        # Handed over as a value only this command reads, never put in the process environment.
        env["HUBSIGN_PYTHON_PIN"] = pin
        args.append("--pin-env=HUBSIGN_PYTHON_PIN")
    _run.flag(args, "--identity-token", identity_token)
    _run.flag(args, "--trust-config", trust_config)
    _run.switch(args, "--staging", use_staging)
    _walk(args, ignore_paths, ignore_git_paths, allow_symlinks)
    _run.flag(args, "--hash", hash)
    if shard_size is not None:
        _run.flag(args, "--shard-size", str(shard_size))
    return Signature(_run.document(args, [_run.path_arg(model)], env=env))


def verify(
    model: PathLike,
    signature: Optional[PathLike] = None,
    *,
    public_key: Optional[PathLike] = None,
    certificate_chain: Paths = None,
    identity: Optional[str] = None,
    issuer: Optional[str] = None,
    trust_config: Optional[PathLike] = None,
    use_staging: bool = False,
    ignore_paths: Paths = None,
    ignore_git_paths: bool = True,
    allow_symlinks: bool = False,
    ignore_unsigned_files: bool = False,
) -> Verification:
    """Verifies the model directory (or single file) ``model`` against ``signature`` (default:
    ``model.sig`` inside the model) and the signer trusted: ``public_key`` (PEM),
    ``certificate_chain`` (the CA certificates a signing certificate must chain to), or
    ``identity`` and ``issuer`` (Sigstore keyless; ``trust_config`` or ``use_staging`` for
    another instance than public Sigstore).

    Every file is re-hashed with the signature's own settings. Returns a
    :class:`Verification`; raises :class:`VerificationError` (a ``ValueError``) naming the
    ``.modified``, ``.missing`` and ``.unexpected`` files when the model does not match, or the
    reason when the signature does not check out; :class:`UsageError` / :class:`FileError` for
    bad input. ``ignore_unsigned_files`` accepts files the signature does not cover.
    """
    args = ["verify"]
    _run.flag(args, "--signature", signature)
    _trust(args, public_key=public_key, certificate_chain=certificate_chain, identity=identity, issuer=issuer,
           trust_config=trust_config, use_staging=use_staging)
    _walk(args, ignore_paths, ignore_git_paths, allow_symlinks)
    _run.switch(args, "--ignore-unsigned-files", ignore_unsigned_files)
    return Verification(_run.document(args, [_run.path_arg(model)]))


def digest(
    model: PathLike,
    *,
    signature: Optional[PathLike] = None,
    ignore_paths: Paths = None,
    ignore_git_paths: bool = True,
    allow_symlinks: bool = False,
    hash: str = "sha256",
    shard_size: Optional[int] = None,
) -> str:
    """The OMS subject digest (``sha256:…``) that :func:`sign` would sign, computed without
    signing (``signature`` names the signature file left out, default ``model.sig``)."""
    return str(_manifest(model, signature=signature, ignore_paths=ignore_paths, ignore_git_paths=ignore_git_paths,
                     allow_symlinks=allow_symlinks, hash=hash, shard_size=shard_size)["digest"])


def _manifest(model: PathLike, *, signature: Optional[PathLike], ignore_paths: Paths, ignore_git_paths: bool,
              allow_symlinks: bool, hash: str, shard_size: Optional[int]) -> dict[str, Any]:
    args = ["digest"]
    _run.flag(args, "--signature", signature)
    _walk(args, ignore_paths, ignore_git_paths, allow_symlinks)
    _run.flag(args, "--hash", hash)
    if shard_size is not None:
        _run.flag(args, "--shard-size", str(shard_size))
    return _run.document(args, [_run.path_arg(model)])


def _password(args: list[str], env: dict[str, str], password: Union[str, bytes]) -> None:
    """The key's password, handed over as a value only this command reads: never in the
    process environment or the arguments (an error message may quote an argument)."""
    env["HUBSIGN_PYTHON_PASSWORD"] = password.decode() if isinstance(password, bytes) else password
    args.append("--password-env=HUBSIGN_PYTHON_PASSWORD")


def _no_dry_run(kwargs: dict[str, Any]) -> None:
    """huggingface_hub's ``dry_run=True`` lists what would be downloaded; hubsign has no such
    mode (``hubsign.check`` is the listing, verified): refused rather than downloading."""
    if kwargs.get("dry_run"):
        raise UsageError("dry_run=True is not supported: hubsign.check(repo_id, …) lists a repository's signed "
                         "files without downloading them")


def _hub_token(env: dict[str, str], token: Union[str, bool, None]) -> None:
    """huggingface_hub's ``token``: a string, ``None`` (the environment's or the saved token) or
    ``False`` (none at all)."""
    if token is False:
        env.update({"HF_TOKEN": "", "HUGGING_FACE_HUB_TOKEN": "", "HF_TOKEN_PATH": os.devnull})
    elif isinstance(token, str):
        env["HF_TOKEN"] = token


def _folder(path: Optional[PathLike]) -> Optional[str]:
    """A folder argument as huggingface_hub reads it (``~`` expanded, absolute, links resolved),
    so the paths returned are the ones it returns."""
    return None if path is None else os.path.realpath(os.path.expanduser(os.fspath(path)))


def _hub_args(
    args: list[str],
    env: dict[str, str],
    *,
    repo_type: Optional[str],
    revision: Optional[str],
    cache_dir: Optional[PathLike],
    token: Union[str, bool, None],
    endpoint: Optional[str],
    local_files_only: bool,
    etag_timeout: Optional[float],
    policy: Optional[PathLike],
    public_key: Optional[PathLike],
    certificate_chain: Paths,
    identity: Optional[str],
    issuer: Optional[str],
    trust_config: Optional[PathLike],
    use_staging: bool,
    signature_path: Optional[str],
    ignore_unsigned_files: bool,
) -> None:
    _run.flag(args, "--repo-type", repo_type)
    _run.flag(args, "--revision", revision)
    _run.flag(args, "--cache-dir", _folder(cache_dir))
    _run.flag(args, "--signature-path", signature_path)
    _run.switch(args, "--ignore-unsigned-files", ignore_unsigned_files)
    # etag_timeout bounds huggingface_hub's metadata request only; hubsign's read timeout (one
    # for every request, file bodies included) keeps its default rather than take it.
    del etag_timeout
    _run.flag(args, "--policy", policy)
    _trust(args, public_key=public_key, certificate_chain=certificate_chain, identity=identity, issuer=issuer,
           trust_config=trust_config, use_staging=use_staging)
    _hub_token(env, token)
    if endpoint is not None:
        env["HF_ENDPOINT"] = endpoint
    if local_files_only:
        env["HF_HUB_OFFLINE"] = "1"


def snapshot_download(
    repo_id: str,
    *,
    repo_type: Optional[str] = None,
    revision: Optional[str] = None,
    cache_dir: Optional[PathLike] = None,
    local_dir: Optional[PathLike] = None,
    allow_patterns: Patterns = None,
    ignore_patterns: Patterns = None,
    token: Union[str, bool, None] = None,
    endpoint: Optional[str] = None,
    force_download: bool = False,
    local_files_only: bool = False,
    max_workers: int = 8,
    etag_timeout: Optional[float] = None,
    tqdm_class: Any = None,
    policy: Optional[PathLike] = None,
    public_key: Optional[PathLike] = None,
    certificate_chain: Paths = None,
    identity: Optional[str] = None,
    issuer: Optional[str] = None,
    trust_config: Optional[PathLike] = None,
    use_staging: bool = False,
    signature_path: Optional[str] = None,
    ignore_unsigned_files: bool = False,
    **kwargs: Any,
) -> str:
    """``huggingface_hub.snapshot_download``, verified: downloads a repository snapshot into the
    Hugging Face cache (or ``local_dir``) and returns the same path huggingface_hub would.

    The signature (``model.sig`` in the repository) is checked against the signer trusted —
    ``policy`` (a hubsign policy file; also ``HUBSIGN_POLICY``), or ``public_key``,
    ``certificate_chain``, ``identity`` + ``issuer`` — before any weight is fetched; every file
    is hashed while it streams, and only what verified is committed to the cache. The
    environment is read as huggingface_hub reads it (``HF_HOME``, ``HF_HUB_CACHE``,
    ``HF_ENDPOINT``, ``HF_TOKEN``, ``HF_HUB_OFFLINE``, ``HF_HUB_DISABLE_PROGRESS_BARS``);
    with ``local_files_only`` (or ``HF_HUB_OFFLINE``) the cached snapshot is verified again
    instead. ``force_download`` is accepted for compatibility: every download is verified and
    a cached file is reused only when its bytes match the signature. Unknown huggingface_hub
    arguments (``proxies``, ``user_agent``, ``resume_download``…) are accepted and ignored.

    Raises :class:`VerificationError` (nothing is cached), :class:`RepositoryNotFoundError`,
    :class:`RevisionNotFoundError`, :class:`HubError`, :class:`UsageError`.
    """
    _no_dry_run(kwargs)
    del force_download, tqdm_class, kwargs
    args = ["pull"]
    env: dict[str, str] = {}
    _hub_args(args, env, repo_type=repo_type, revision=revision, cache_dir=cache_dir, token=token, endpoint=endpoint,
              local_files_only=local_files_only, etag_timeout=etag_timeout, policy=policy, public_key=public_key,
              certificate_chain=certificate_chain, identity=identity, issuer=issuer, trust_config=trust_config,
              use_staging=use_staging, signature_path=signature_path, ignore_unsigned_files=ignore_unsigned_files)
    _run.flag(args, "--local-dir", _folder(local_dir))
    _run.flags(args, "--include", allow_patterns)
    _run.flags(args, "--exclude", ignore_patterns)
    _run.flag(args, "--concurrency", str(max(1, min(64, int(max_workers)))))
    return _pulled_path(_run.document(args, [repo_id], env=env))


def hf_hub_download(
    repo_id: str,
    filename: str,
    *,
    subfolder: Optional[str] = None,
    repo_type: Optional[str] = None,
    revision: Optional[str] = None,
    cache_dir: Optional[PathLike] = None,
    local_dir: Optional[PathLike] = None,
    token: Union[str, bool, None] = None,
    endpoint: Optional[str] = None,
    force_download: bool = False,
    local_files_only: bool = False,
    etag_timeout: Optional[float] = None,
    policy: Optional[PathLike] = None,
    public_key: Optional[PathLike] = None,
    certificate_chain: Paths = None,
    identity: Optional[str] = None,
    issuer: Optional[str] = None,
    trust_config: Optional[PathLike] = None,
    use_staging: bool = False,
    signature_path: Optional[str] = None,
    **kwargs: Any,
) -> str:
    """``huggingface_hub.hf_hub_download``, verified: one file of a signed repository, checked
    against the signature (which must list it) before it is cached; returns the same path
    huggingface_hub would (``…/snapshots/<commit>/<filename>``, or inside ``local_dir``).
    Arguments and environment as :func:`snapshot_download`."""
    _no_dry_run(kwargs)
    del force_download, kwargs
    if subfolder:
        filename = f"{subfolder.strip('/')}/{filename}"
    args = ["pull"]
    env: dict[str, str] = {}
    _hub_args(args, env, repo_type=repo_type, revision=revision, cache_dir=cache_dir, token=token, endpoint=endpoint,
              local_files_only=local_files_only, etag_timeout=etag_timeout, policy=policy, public_key=public_key,
              certificate_chain=certificate_chain, identity=identity, issuer=issuer, trust_config=trust_config,
              use_staging=use_staging, signature_path=signature_path, ignore_unsigned_files=False)
    _run.flag(args, "--local-dir", _folder(local_dir))
    return _pulled_path(_run.document(args, [repo_id, filename], env=env), filename)


def _pulled_path(doc: dict[str, Any], filename: Optional[str] = None) -> str:
    # A pull prints "path": the snapshot (or local_dir), or the one file it was asked for. A
    # verified cached snapshot (offline) prints "snapshot", the folder, whatever was asked.
    if doc.get("path"):
        return str(doc["path"])
    return os.path.join(str(doc["snapshot"]), *filename.split("/")) if filename else str(doc["snapshot"])


def check(
    repo_id: str,
    *,
    repo_type: Optional[str] = None,
    revision: Optional[str] = None,
    token: Union[str, bool, None] = None,
    endpoint: Optional[str] = None,
    policy: Optional[PathLike] = None,
    public_key: Optional[PathLike] = None,
    certificate_chain: Paths = None,
    identity: Optional[str] = None,
    issuer: Optional[str] = None,
    trust_config: Optional[PathLike] = None,
    use_staging: bool = False,
    signature_path: Optional[str] = None,
    ignore_unsigned_files: bool = False,
) -> dict[str, Any]:
    """Checks a hub repository's signature and listing without downloading a weight; returns
    ``hubsign check --json``'s document (``commit``, ``signer``, ``files``, ``bytes``…)."""
    args = ["check"]
    env: dict[str, str] = {}
    _hub_args(args, env, repo_type=repo_type, revision=revision, cache_dir=None, token=token, endpoint=endpoint,
              local_files_only=False, etag_timeout=None, policy=policy, public_key=public_key,
              certificate_chain=certificate_chain, identity=identity, issuer=issuer, trust_config=trust_config,
              use_staging=use_staging, signature_path=signature_path, ignore_unsigned_files=ignore_unsigned_files)
    return _run.document(args, [repo_id], env=env)


def verify_cache(
    repo_id: str,
    *,
    repo_type: Optional[str] = None,
    revision: Optional[str] = None,
    cache_dir: Optional[PathLike] = None,
    policy: Optional[PathLike] = None,
    public_key: Optional[PathLike] = None,
    certificate_chain: Paths = None,
    identity: Optional[str] = None,
    issuer: Optional[str] = None,
    trust_config: Optional[PathLike] = None,
    use_staging: bool = False,
    signature_path: Optional[str] = None,
) -> dict[str, Any]:
    """Verifies a cached snapshot again, offline; returns ``hubsign verify-cache --json``'s
    document (``snapshot``, ``commit``, the verification report). Raises
    :class:`VerificationError` when a cached file no longer matches."""
    args = ["verify-cache"]
    env: dict[str, str] = {}
    _hub_args(args, env, repo_type=repo_type, revision=revision, cache_dir=cache_dir, token=None, endpoint=None,
              local_files_only=False, etag_timeout=None, policy=policy, public_key=public_key,
              certificate_chain=certificate_chain, identity=identity, issuer=issuer, trust_config=trust_config,
              use_staging=use_staging, signature_path=signature_path, ignore_unsigned_files=False)
    return _run.document(args, [repo_id], env=env)


def push(
    model: PathLike,
    repo_id: str,
    *,
    repo_type: Optional[str] = None,
    revision: str = "main",
    signature: Optional[PathLike] = None,
    resign: bool = False,
    private_key: Optional[PathLike] = None,
    password: Optional[Union[str, bytes]] = None,
    pkcs11_uri: Optional[str] = None,
    public_key: Optional[PathLike] = None,
    policy: Optional[PathLike] = None,
    ignore_paths: Paths = None,
    private: bool = False,
    create_pr: bool = False,
    commit_message: Optional[str] = None,
    token: Union[str, bool, None] = None,
    endpoint: Optional[str] = None,
    max_workers: int = 4,
) -> dict[str, Any]:
    """Uploads the model and its signature to a hub repository as one commit (signing first
    with ``private_key``/``pkcs11_uri`` when there is no signature, or when ``resign``); the
    model is verified against the signature before a byte is sent. Returns
    ``hubsign push --json``'s document (``commit``, ``url``…)."""
    args = ["push", _run.option("--revision", revision)]
    env: dict[str, str] = {}
    _run.flag(args, "--repo-type", repo_type)
    _run.flag(args, "--signature", signature)
    _run.switch(args, "--resign", resign)
    _run.flag(args, "--private-key", private_key)
    if password is not None:
        _password(args, env, password)
    _run.flag(args, "--pkcs11-uri", pkcs11_uri)
    _run.flag(args, "--public-key", public_key)
    _run.flag(args, "--policy", policy)
    _run.flags(args, "--ignore-paths", ignore_paths)
    _run.switch(args, "--private", private)
    _run.switch(args, "--create-pr", create_pr)
    _run.flag(args, "--commit-message", commit_message)
    _run.flag(args, "--concurrency", str(max(1, min(64, int(max_workers)))))
    _hub_token(env, token)
    if endpoint is not None:
        env["HF_ENDPOINT"] = endpoint
    return _run.document(args, [_run.path_arg(model), repo_id], env=env)


def audit(
    *,
    cache_dir: Optional[PathLike] = None,
    kagglehub_cache: Optional[PathLike] = None,
    policy: Optional[PathLike] = None,
    signer: Optional[str] = None,
) -> Any:
    """Verifies every snapshot in the Hugging Face (and kagglehub) cache against its signature
    and the policy; returns ``hubsign audit --json``'s document. A snapshot that fails is
    reported in the document, not raised."""
    args = ["audit"]
    _run.flag(args, "--cache-dir", cache_dir)
    _run.flag(args, "--kagglehub-cache", kagglehub_cache)
    _run.flag(args, "--policy", policy)
    _run.flag(args, "--signer", signer)
    return _run.run(args, failed_report_raises=False)


def __getattr__(name: str) -> Any:
    # The submodules and the version load on first use: `import hubsign` stays fast.
    if name in ("kaggle", "signing", "verifying", "hashing", "manifest"):
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    if name == "__version__":
        from . import _native

        return _native.__version__
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
