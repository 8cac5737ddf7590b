"""Drop-in for ``kagglehub.model_download``, verified (``from hubsign import kaggle`` then
``kaggle.model_download(handle)``)."""

from __future__ import annotations

import os

from . import _run
from ._errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterable, Optional, Union

    PathLike = Union[str, os.PathLike[str]]

__all__ = ["model_download"]


def model_download(
    handle: str,
    path: Optional[str] = None,
    *,
    force_download: bool = False,
    cache_dir: Optional[PathLike] = None,
    local_dir: Optional[PathLike] = None,
    output_dir: Optional[PathLike] = None,
    policy: Optional[PathLike] = None,
    public_key: Optional[PathLike] = None,
    certificate_chain: Optional[Union[PathLike, Iterable[PathLike]]] = None,
    identity: Optional[str] = None,
    issuer: Optional[str] = None,
    trust_config: Optional[PathLike] = None,
    use_staging: bool = False,
    signature_path: Optional[str] = None,
    ignore_unsigned_files: bool = False,
    endpoint: Optional[str] = None,
    **kwargs: Any,
) -> str:
    """``kagglehub.model_download(handle, path=None)``, verified: ``handle`` is
    ``owner/model/framework/variation[/version]``; returns the same path kagglehub would (the
    version's folder in the kagglehub cache, or ``path`` inside it). The signature
    (``.kaggle/signing.json``, where kagglehub uploads it; ``signature_path`` names another
    place) is checked against the signer trusted before any file is fetched; ``endpoint``
    names the Kaggle API (default: as ``KAGGLE_API_ENVIRONMENT`` says, else api.kaggle.com);
    credentials and the cache are read as kagglehub reads them
    (``KAGGLE_API_TOKEN``, ``~/.kaggle``, ``KAGGLEHUB_CACHE``). ``force_download`` is accepted for
    compatibility: a cached file is reused only when its bytes match the signature.
    ``output_dir`` (kagglehub's name) or ``local_dir`` places the verified files in that folder
    instead of the cache."""
    del force_download, kwargs
    if output_dir is not None and local_dir is not None:
        raise UsageError("output_dir and local_dir name the same thing: give one")
    local_dir = output_dir if output_dir is not None else local_dir
    args = ["pull"]
    positional = ["kaggle:" + handle.removeprefix("kaggle:")]
    if path is not None:
        positional.append(path)
    from . import _folder, _pulled_path, _trust

    _run.flag(args, "--cache-dir", _folder(cache_dir))
    _run.flag(args, "--local-dir", _folder(local_dir))
    _run.flag(args, "--signature-path", signature_path)
    _run.switch(args, "--ignore-unsigned-files", ignore_unsigned_files)
    _run.flag(args, "--kaggle-endpoint", endpoint)
    _run.flag(args, "--policy", policy)
    _trust(args, public_key=public_key, certificate_chain=certificate_chain, identity=identity, issuer=issuer,
           trust_config=trust_config, use_staging=use_staging)

    return _pulled_path(_run.document(args, positional), path)
