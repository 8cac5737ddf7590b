"""The manifest :meth:`hubsign.hashing.Config.hash` returns: the shape of ``model_signing.manifest``.

A manifest pairs every resource of a model (a file, or a shard ``path:start:end``) with its
digest, in the order the OMS payload lists them. The digests come from ``hubsign digest``;
this module only holds them and never hashes.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterable, Iterator


class Digest:
    """One digest: ``algorithm`` (``sha256``, ``blake2b``, ``blake3``, or
    ``<hash>-sharded-<size>`` for a shard) and ``digest_value`` (the raw bytes)."""

    __slots__ = ("algorithm", "digest_value")

    def __init__(self, algorithm: str, digest_value: bytes) -> None:
        self.algorithm = algorithm
        self.digest_value = digest_value

    @property
    def digest_hex(self) -> str:
        """The digest in lowercase hexadecimal."""
        return self.digest_value.hex()

    @property
    def digest_size(self) -> int:
        """The digest's length in bytes."""
        return len(self.digest_value)

    def __eq__(self, other: object) -> bool:
        # Equal to any digest with the same fields, model_signing's included.
        try:
            return bool(self.algorithm == other.algorithm  # type: ignore[attr-defined]
                        and self.digest_value == other.digest_value)  # type: ignore[attr-defined]
        except AttributeError:
            return NotImplemented

    def __hash__(self) -> int:
        return hash((self.algorithm, self.digest_value))

    def __repr__(self) -> str:
        return f"Digest(algorithm={self.algorithm!r}, digest_value=bytes.fromhex({self.digest_hex!r}))"


class ResourceDescriptor:
    """One resource of a manifest: ``identifier`` (the relative POSIX path, or
    ``path:start:end`` for a shard) and its :class:`Digest`."""

    __slots__ = ("digest", "identifier")

    def __init__(self, identifier: str, digest: Digest) -> None:
        self.identifier = identifier
        self.digest = digest

    def __eq__(self, other: object) -> bool:
        try:
            return bool(self.identifier == other.identifier  # type: ignore[attr-defined]
                        and self.digest == other.digest)  # type: ignore[attr-defined]
        except AttributeError:
            return NotImplemented

    def __hash__(self) -> int:
        return hash((self.identifier, self.digest))

    def __repr__(self) -> str:
        return f"ResourceDescriptor(identifier={self.identifier!r}, digest={self.digest!r})"


class Manifest:
    """A model's manifest: ``model_name``, ``serialization_type`` (the parameters the OMS
    payload records: ``method``, ``hash_type``, ``allow_symlinks``, ``shard_size`` for shards,
    ``ignore_paths`` when any) and :meth:`resource_descriptors`.

    Two manifests are equal when they list the same resources with the same digests; the model
    name and the serialization parameters do not count (as in model_signing). A hubsign manifest
    also compares equal to a ``model_signing`` manifest with the same resources.
    """

    __slots__ = ("_items", "_name", "_serialization")

    def __init__(self, model_name: str, items: Iterable[ResourceDescriptor], serialization_type: dict[str, Any]
                 ) -> None:
        self._name = model_name
        self._items = list(items)
        self._serialization = dict(serialization_type)

    def resource_descriptors(self) -> Iterator[ResourceDescriptor]:
        """Yields each resource, in the OMS payload's order."""
        yield from self._items

    @property
    def model_name(self) -> str:
        """The model's name (the last component of its path); informative only."""
        return self._name

    @property
    def serialization_type(self) -> dict[str, Any]:
        """How the manifest was built (``method``, ``hash_type``, …), as model_signing's."""
        return dict(self._serialization)

    def __eq__(self, other: object) -> bool:
        try:
            theirs = other.resource_descriptors()  # type: ignore[attr-defined]
        except AttributeError:
            return NotImplemented
        mine = {r.identifier: (r.digest.algorithm, r.digest.digest_value) for r in self._items}
        return mine == {r.identifier: (r.digest.algorithm, r.digest.digest_value) for r in theirs}

    __hash__ = None  # type: ignore[assignment]  # mutable-looking; equality is by content

    def __repr__(self) -> str:
        return f"Manifest(model_name={self._name!r}, resources={len(self._items)}, {self._serialization!r})"
