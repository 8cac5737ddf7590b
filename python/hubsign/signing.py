"""Drop-in for ``model_signing.signing`` (model_signing 1.1): sign a model.

``from hubsign import signing`` instead of ``from model_signing import signing``::

    signing.Config().use_elliptic_key_signer(private_key="key.pem").sign("finbert", "finbert.sig")

The signature written is the same OMS bundle model_signing writes (model_signing verifies it).
Signing runs :func:`hubsign.sign`; this module only maps the configuration onto it. A
signature file inside the model is left out of what is signed.
"""

from __future__ import annotations

import os

from . import hashing

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterable, Optional, Self

    from .hashing import PathLike

__all__ = ["Config", "sign"]


def sign(model_path: PathLike, signature_path: PathLike) -> None:
    """Signs a model with the default configuration: Sigstore keyless (the identity token from
    ``SIGSTORE_ID_TOKEN`` or the CI's ambient credentials) and the default hashing."""
    Config().sign(model_path, signature_path)


def _str(path: PathLike) -> str:
    return os.fsdecode(os.fspath(path))


def _paths(paths: Iterable[PathLike]) -> list[str]:
    if isinstance(paths, (str, bytes)) or hasattr(paths, "__fspath__"):
        return [_str(paths)]  # type: ignore[arg-type]
    return [_str(p) for p in paths]


def _module_args(pkcs11_uri: str, module_paths: Iterable[str]) -> dict[str, Any]:
    """model_signing's ``module_paths``: directories searched for the URI's ``module-name``.
    hubsign takes a module file, or a ``module-path`` directory in the URI; a file among
    ``module_paths`` is passed as the module, and the first directory holding the named module
    is put in the URI."""
    paths = _paths(module_paths)
    files = [p for p in paths if os.path.isfile(p)]
    dirs = [p for p in paths if os.path.isdir(p)]
    query = pkcs11_uri.partition("?")[2]
    attrs = dict(a.partition("=")[::2] for a in query.replace("&", ";").split(";") if a)
    name = attrs.get("module-name")
    if name and "module-path" not in attrs:
        from urllib.parse import quote, unquote

        lname = unquote(name).lower()
        for d in dirs:
            if any(n.lower() == lname or n.lower().startswith(lname + ".") for n in os.listdir(d)):
                pkcs11_uri += ("&" if query else "?") + "module-path=" + quote(os.path.abspath(d), safe="/")
                break
    return {"pkcs11_uri": pkcs11_uri, "pkcs11_module": files[0] if files else None}


class Config:
    """How to sign: the signer (Sigstore keyless by default) and the hashing configuration.
    Every ``use_*`` and ``set_*`` method returns the configuration, so calls chain."""

    def __init__(self) -> None:
        """The default: Sigstore keyless, default hashing."""
        self._hashing_config = hashing.Config()
        self._signer: Optional[dict[str, Any]] = None

    def sign(self, model_path: PathLike, signature_path: PathLike) -> None:
        """Signs the model at ``model_path`` and writes the signature to ``signature_path``.

        Raises ``hubsign.UsageError`` (a ``ValueError``) for an unusable key, certificate or
        option, ``hubsign.FileError`` (an ``OSError``) for a file that cannot be read or
        written, ``hubsign.HubError`` when Sigstore cannot be reached."""
        from . import sign as _sign

        if self._signer is None:
            self.use_sigstore_signer()
        model = _str(model_path)
        _sign(model, _str(signature_path), **(self._signer or {}),
              **self._hashing_config._sign_args(model))  # noqa: SLF001 - one package

    def set_hashing_config(self, hashing_config: hashing.Config) -> Self:
        """Hash with ``hashing_config`` (a :class:`hubsign.hashing.Config`)."""
        self._hashing_config = hashing_config
        return self

    def use_sigstore_signer(
        self,
        *,
        oidc_issuer: Optional[str] = None,
        use_ambient_credentials: bool = False,
        use_staging: bool = False,
        force_oob: bool = False,
        identity_token: Optional[str] = None,
        client_id: Optional[str] = None,
        client_secret: Optional[str] = None,
        trust_config: Optional[PathLike] = None,
    ) -> Self:
        """Sign with Sigstore keyless: a short-lived certificate for ``identity_token`` (an OIDC
        token; without one, ``SIGSTORE_ID_TOKEN`` or the CI's ambient credentials), logged in
        Rekor. ``use_staging`` signs with the public staging instance, ``trust_config`` (a
        ClientTrustConfig) with another one.

        hubsign has no interactive browser sign-in: ``oidc_issuer``, ``force_oob``,
        ``client_id`` and ``client_secret`` (which only steer that flow) are accepted and
        unused, and ``use_ambient_credentials`` is always on when no token is given."""
        del oidc_issuer, use_ambient_credentials, force_oob, client_id, client_secret
        self._signer = {"identity_token": identity_token, "use_staging": use_staging,
                        "trust_config": None if trust_config is None else _str(trust_config)}
        return self

    def use_elliptic_key_signer(self, *, private_key: PathLike, password: Optional[str] = None) -> Self:
        """Sign with an EC private key (PEM: P-256, P-384 or P-521; ``password`` when it is
        encrypted)."""
        self._signer = {"private_key": _str(private_key), "password": password}
        return self

    def use_certificate_signer(
        self,
        *,
        private_key: PathLike,
        signing_certificate: PathLike,
        certificate_chain: Iterable[PathLike],
    ) -> Self:
        """Sign with ``private_key`` and its ``signing_certificate``; ``certificate_chain`` (the
        intermediates, PEM files) goes into the signature."""
        self._signer = {"private_key": _str(private_key), "signing_certificate": _str(signing_certificate),
                        "certificate_chain": _paths(certificate_chain)}
        return self

    def use_pkcs11_signer(self, *, pkcs11_uri: str, module_paths: Iterable[str] = frozenset()) -> Self:
        """Sign with a key on a PKCS#11 token (RFC 7512 URI, e.g.
        ``pkcs11:token=t;object=k?module-name=softhsm2&pin-value=1234``). ``module_paths`` are
        the directories searched for the URI's ``module-name`` (or a module file); without them
        hubsign searches the usual system directories."""
        self._signer = _module_args(pkcs11_uri, module_paths)
        return self

    def use_pkcs11_certificate_signer(
        self,
        *,
        pkcs11_uri: str,
        signing_certificate: PathLike,
        certificate_chain: Iterable[PathLike],
        module_paths: Iterable[str] = frozenset(),
    ) -> Self:
        """Sign with a key on a PKCS#11 token and its ``signing_certificate`` (with the
        ``certificate_chain``), as :meth:`use_pkcs11_signer` and :meth:`use_certificate_signer`."""
        self._signer = {**_module_args(pkcs11_uri, module_paths), "signing_certificate": _str(signing_certificate),
                        "certificate_chain": _paths(certificate_chain)}
        return self

    def __repr__(self) -> str:
        kind = "sigstore" if not self._signer or "identity_token" in self._signer else (
            "pkcs11" if "pkcs11_uri" in self._signer else
            "certificate" if "signing_certificate" in self._signer else "key")
        return f"signing.Config(signer={kind}, {self._hashing_config!r})"
