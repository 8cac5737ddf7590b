"""Drop-in for ``model_signing.hashing`` (model_signing 1.1): how a model is hashed.

``from hubsign import hashing`` instead of ``from model_signing import hashing``; the methods,
keywords and defaults are model_signing's. The hashing itself is hubsign's (the same code as
``hubsign digest``): this module only records the settings and hands them over.

What differs, on purpose:

- ``chunk_size`` and ``max_workers`` are accepted and do not change the result (hubsign picks
  its own read size and parallelism; the digests are the same).
- ``allow_symlinks`` and ``ignore_paths`` given to ``use_file_serialization`` /
  ``use_shard_serialization`` take effect (model_signing 1.1.1 only records them).
- Paths may be ``str``, ``bytes`` or any ``os.PathLike`` everywhere.
"""

from __future__ import annotations

import os

from . import manifest as _manifest_mod

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterable, Optional, Self, Union

    PathLike = Union[str, bytes, os.PathLike[str], os.PathLike[bytes]]

__all__ = ["Config", "hash"]

_ALGORITHMS = {"sha256": "sha256", "blake2": "blake2b", "blake3": "blake3"}
_GIT_PATHS = (".git", ".gitattributes", ".github", ".gitignore")


def _str(path: PathLike) -> str:
    return os.fsdecode(os.fspath(path))


def hash(model_path: PathLike) -> _manifest_mod.Manifest:  # noqa: A001 - model_signing's name
    """Hashes a model with the default configuration (SHA-256 per file, git paths ignored)."""
    return Config().hash(model_path)


class Config:
    """How to hash a model: per file (default) or per shard, with which hash, ignoring which
    paths. Share one between ``hubsign.signing.Config`` and ``hubsign.verifying.Config`` as in
    model_signing."""

    def __init__(self) -> None:
        """The default: SHA-256 per file, git paths ignored, symlinks refused."""
        self._ignored_paths: list[str] = []
        self._ignore_git_paths = True
        self._allow_symlinks = False
        self._hash = "sha256"
        self._shard_size: Optional[int] = None

    def use_file_serialization(
        self,
        *,
        hashing_algorithm: str = "sha256",
        chunk_size: int = 1048576,
        max_workers: Optional[int] = None,
        allow_symlinks: bool = False,
        ignore_paths: Iterable[PathLike] = frozenset(),
    ) -> Self:
        """Hash every file whole (serialization ``files``) with ``hashing_algorithm``
        (``sha256``, ``blake2`` or ``blake3``). ``chunk_size`` and ``max_workers`` do not change
        the result. Raises ``ValueError`` for an unknown algorithm."""
        del chunk_size, max_workers
        self._hash = _algorithm(hashing_algorithm)
        self._shard_size = None
        self._allow_symlinks = allow_symlinks
        self._add(ignore_paths)
        return self

    def use_shard_serialization(
        self,
        *,
        hashing_algorithm: str = "sha256",
        chunk_size: int = 1048576,
        shard_size: int = 1_000_000_000,
        max_workers: Optional[int] = None,
        allow_symlinks: bool = False,
        ignore_paths: Iterable[PathLike] = frozenset(),
    ) -> Self:
        """Hash files in shards of ``shard_size`` bytes (serialization ``shards``). As in
        model_signing, ``blake3`` is not sharded: it falls back to file serialization."""
        if hashing_algorithm == "blake3":
            return self.use_file_serialization(hashing_algorithm=hashing_algorithm, chunk_size=chunk_size,
                                               max_workers=max_workers, allow_symlinks=allow_symlinks,
                                               ignore_paths=ignore_paths)
        if int(shard_size) < 1:
            raise ValueError(f"Shard size must be positive, got {shard_size}.")
        self.use_file_serialization(hashing_algorithm=hashing_algorithm, allow_symlinks=allow_symlinks,
                                    ignore_paths=ignore_paths)
        self._shard_size = int(shard_size)
        return self

    def set_ignored_paths(self, *, paths: Iterable[PathLike], ignore_git_paths: bool = True) -> Self:
        """Replaces the ignored paths (relative to the model; a folder ignores all below it) and
        says whether the top-level git paths (``.git``, ``.gitattributes``, ``.github``,
        ``.gitignore``) are ignored."""
        self._ignored_paths = []
        self._add(paths)
        self._ignore_git_paths = ignore_git_paths
        return self

    def add_ignored_paths(self, *, model_path: PathLike, paths: Iterable[PathLike]) -> None:
        """Adds ignored paths, relative to ``model_path``; an absolute path outside the model is
        left out (as in model_signing)."""
        root = os.path.abspath(_str(model_path))
        for p in paths:
            s = _str(p)
            if os.path.isabs(s) and os.path.commonpath([root, os.path.abspath(s)]) != root:
                continue
            if s not in self._ignored_paths:
                self._ignored_paths.append(s)

    def set_allow_symlinks(self, allow_symlinks: bool) -> Self:
        """Whether file symlinks inside the model are hashed (their target) instead of refused."""
        self._allow_symlinks = allow_symlinks
        return self

    def hash(self, model_path: PathLike, *, files_to_hash: Optional[Iterable[PathLike]] = None
             ) -> _manifest_mod.Manifest:
        """Hashes the model at ``model_path`` and returns its :class:`hubsign.manifest.Manifest`.

        Every file under the model counts, a ``model.sig`` inside it too (as in model_signing's
        ``hash``; ``hubsign.sign`` and ``verify`` leave their own signature file out).
        ``files_to_hash`` keeps only those files in the manifest. Raises ``hubsign.FileError``
        (an ``OSError``) for an unreadable model, ``hubsign.UsageError`` (a ``ValueError``) for a
        symlink when symlinks are not allowed.
        """
        from . import _manifest

        root = _str(model_path)
        doc = _manifest(root, signature=os.devnull, ignore_paths=self._walk_ignores(root),
                        ignore_git_paths=self._ignore_git_paths, allow_symlinks=self._allow_symlinks,
                        hash=self._hash, shard_size=self._shard_size)
        items = [_manifest_mod.ResourceDescriptor(r["name"], _manifest_mod.Digest(r["algorithm"],
                                                                                  bytes.fromhex(r["digest"])))
                 for r in doc["manifest"]]
        if files_to_hash is not None and os.path.isdir(root):
            base = os.path.abspath(root)
            keep = {os.path.relpath(os.path.abspath(_str(f)), base).replace(os.sep, "/") for f in files_to_hash}
            items = [r for r in items if r.identifier.rsplit(":", 2)[0] in keep or r.identifier in keep]
        return _manifest_mod.Manifest(doc.get("model_name") or os.path.basename(os.path.abspath(root)), items,
                                      self._serialization_type())

    # What signing and verifying hand to hubsign.sign / hubsign.verify.
    def _walk_ignores(self, model_path: str) -> list[str]:
        root = os.path.abspath(model_path)
        out = []
        for p in self._ignored_paths:
            if os.path.isabs(p) and os.path.commonpath([root, os.path.abspath(p)]) != root:
                continue  # model_signing leaves out ignored paths outside the model
            out.append(p)
        return out

    def _walk_args(self, model_path: str) -> dict[str, Any]:
        return {"ignore_paths": self._walk_ignores(model_path), "ignore_git_paths": self._ignore_git_paths,
                "allow_symlinks": self._allow_symlinks}

    def _sign_args(self, model_path: str) -> dict[str, Any]:
        return {**self._walk_args(model_path), "hash": self._hash, "shard_size": self._shard_size}

    def _serialization_type(self) -> dict[str, Any]:
        out: dict[str, Any] = {"method": "shards" if self._shard_size else "files", "hash_type": self._hash}
        if self._shard_size:
            out["shard_size"] = self._shard_size
        out["allow_symlinks"] = self._allow_symlinks
        ignored = sorted(set(self._ignored_paths) | (set(_GIT_PATHS) if self._ignore_git_paths else set()))
        if ignored:
            out["ignore_paths"] = ignored
        return out

    def _add(self, paths: Iterable[PathLike]) -> None:
        if isinstance(paths, (str, bytes)) or hasattr(paths, "__fspath__"):
            paths = [paths]  # type: ignore[list-item]
        for p in paths:
            s = _str(p)
            if s not in self._ignored_paths:
                self._ignored_paths.append(s)

    def __repr__(self) -> str:
        return f"hashing.Config({self._serialization_type()!r})"


def _algorithm(name: str) -> str:
    try:
        return _ALGORITHMS[name]
    except KeyError:
        if name == "blake2b":
            return "blake2b"
        raise ValueError(f"Unsupported hashing method {name}") from None
