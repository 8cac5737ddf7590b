"""Drop-in for ``model_signing.verifying`` (model_signing 1.1): verify a model.

``from hubsign import verifying`` instead of ``from model_signing import verifying``::

    verifying.Config().use_elliptic_key_verifier(public_key="key.pub").verify("finbert", "finbert.sig")

Verification runs :func:`hubsign.verify`: every file is re-hashed with the serialization the
signature records (per file or per shard, the hash, the shard size, symlinks), so no hashing
configuration is needed, a shard signature included. A failed verification raises
:class:`hubsign.VerificationError`, a ``ValueError`` as in model_signing, naming the
``.modified``, ``.missing`` and ``.unexpected`` files.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterable, Optional, Self

    from . import hashing
    from .hashing import PathLike

__all__ = ["Config"]


def _str(path: PathLike) -> str:
    return os.fsdecode(os.fspath(path))


class Config:
    """Whom to trust (a public key, a certificate chain, or a Sigstore identity) and how to
    walk the model. Every ``use_*`` and ``set_*`` method returns the configuration, so calls
    chain."""

    def __init__(self) -> None:
        """No verifier yet: one ``use_*_verifier`` call is needed before :meth:`verify`."""
        self._hashing_config: Optional[hashing.Config] = None
        self._trust: Optional[dict[str, Any]] = None
        self._ignore_unsigned_files = False
        self._log_fingerprints = False

    def verify(self, model_path: PathLike, signature_path: PathLike) -> None:
        """Verifies the model at ``model_path`` against the signature at ``signature_path``.

        Returns ``None`` when the model matches (:func:`hubsign.verify` returns the whole
        report). Raises :class:`hubsign.VerificationError` (a ``ValueError``) when a file
        differs, is missing or is not covered by the signature, or when the signature does not
        check out against the verifier configured; ``ValueError`` when no verifier is
        configured; ``hubsign.UsageError`` (a ``ValueError``) / ``hubsign.FileError`` (an
        ``OSError``) for unreadable input.
        """
        from . import verify as _verify

        if self._trust is None:
            raise ValueError("Attempting to verify with no configured verifier")
        model = _str(model_path)
        walk = self._hashing_config._walk_args(model) if self._hashing_config else {}  # noqa: SLF001
        result = _verify(model, _str(signature_path), **self._trust, **walk,
                         ignore_unsigned_files=self._ignore_unsigned_files)
        if self._log_fingerprints:
            import logging

            anchor = (result.report.get("signer_id") or {}).get("anchor")
            logging.getLogger(__name__).info("signer: %s%s", result.signer,
                                             f" (trust anchor SHA-256 {anchor})" if anchor else "")

    def set_hashing_config(self, hashing_config: hashing.Config) -> Self:
        """Walk the model with ``hashing_config``'s ignored paths, git-path switch and symlink
        switch. Its serialization (files or shards, hash, shard size) does not apply: hubsign
        always re-hashes with the serialization the signature records, which is what a
        matching configuration would say anyway."""
        self._hashing_config = hashing_config
        return self

    def set_ignore_unsigned_files(self, ignore_unsigned_files: bool) -> Self:
        """Whether files the signature does not cover are accepted (only the signed files are
        hashed); by default they fail verification as ``.unexpected``."""
        self._ignore_unsigned_files = ignore_unsigned_files
        return self

    def use_sigstore_verifier(
        self,
        *,
        identity: str,
        oidc_issuer: str,
        use_staging: bool = False,
        trust_config: Optional[PathLike] = None,
    ) -> Self:
        """Trust Sigstore keyless signatures by ``identity`` (the certificate's SAN, e.g. an
        e-mail or a workflow URL) from ``oidc_issuer``; ``use_staging`` or ``trust_config`` (a
        ClientTrustConfig or trusted root) for another instance than public Sigstore.
        Verification is offline."""
        self._trust = {"identity": identity, "issuer": oidc_issuer, "use_staging": use_staging,
                       "trust_config": None if trust_config is None else _str(trust_config)}
        return self

    def use_elliptic_key_verifier(self, *, public_key: PathLike) -> Self:
        """Trust signatures made by the private key of ``public_key`` (PEM)."""
        self._trust = {"public_key": _str(public_key)}
        return self

    def use_certificate_verifier(
        self,
        *,
        certificate_chain: Iterable[PathLike] = frozenset(),
        log_fingerprints: bool = False,
    ) -> Self:
        """Trust signatures whose signing certificate chains to ``certificate_chain`` (PEM
        files: the root, and intermediates). hubsign does not fall back to the operating
        system's store: an empty chain raises ``hubsign.UsageError`` at :meth:`verify`.
        ``log_fingerprints`` logs the signer and the trust anchor's SHA-256 (``logging``, level
        INFO)."""
        if isinstance(certificate_chain, (str, bytes)) or hasattr(certificate_chain, "__fspath__"):
            certificate_chain = [certificate_chain]  # type: ignore[list-item]
        self._trust = {"certificate_chain": [_str(c) for c in certificate_chain]}
        self._log_fingerprints = log_fingerprints
        return self

    def __repr__(self) -> str:
        return f"verifying.Config(trust={self._trust!r}, ignore_unsigned_files={self._ignore_unsigned_files})"
