"""The exceptions hubsign raises: one class per kind of failure, as the CLI's exit codes.

Every class carries what the CLI's ``--json`` error carries: ``.message``, ``.causes`` (the
chain of reasons), ``.hint`` and ``.exit_code`` (1 verification failed, 2 anything else).
"""

from __future__ import annotations

import errno as _errno

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (import time)
if TYPE_CHECKING:
    from typing import Any, Mapping, Sequence


class Error(Exception):
    """Anything hubsign refused or could not do (the CLI's exit 1 or 2)."""

    exit_code: int = 2

    def __init__(self, message: str, *, causes: Sequence[str] = (), hint: str | None = None,
                 exit_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.causes = list(causes)
        self.hint = hint
        if exit_code is not None:
            self.exit_code = exit_code

    def __str__(self) -> str:
        text = self.message
        for cause in self.causes:
            text += f"\n  caused by: {cause}"
        if self.hint:
            text += f"\nhint: {self.hint}"
        return text


class VerificationError(Error, ValueError):
    """The model does not match its signature, or the signature does not check out against the
    signer trusted (the CLI's exit 1). ``.modified``, ``.missing`` and ``.unexpected`` name the
    files that differ; ``.reason`` says why. A ``ValueError`` as in model_signing."""

    exit_code = 1

    def __init__(self, message: str, *, modified: Sequence[str] = (), missing: Sequence[str] = (),
                 unexpected: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.reason = message
        self.modified = list(modified)
        self.missing = list(missing)
        self.unexpected = list(unexpected)


class UsageError(Error, ValueError):
    """An argument or input hubsign refuses (a malformed signature, a wrong key, options that
    contradict each other); the message names the file or the option."""


class FileError(Error, OSError):
    """A local file or folder hubsign could not read or write; ``.filename`` names it and
    ``.errno`` says why, as an ``OSError`` does."""

    def __init__(self, message: str, *, filename: str | None = None, errno: int | None = None,
                 **kwargs: Any) -> None:
        Error.__init__(self, message, **kwargs)
        self.errno = errno
        self.strerror = message
        self.filename = filename

    def __str__(self) -> str:
        return Error.__str__(self)


class HubError(Error, OSError):
    """A hub or the network failed (an HTTP error, a timeout, an answer that is not what the
    protocol says); ``.status`` holds the HTTP status when the hub answered one."""

    def __init__(self, message: str, *, status: int | None = None, **kwargs: Any) -> None:
        Error.__init__(self, message, **kwargs)
        self.status = status
        self.errno = None
        self.strerror = message
        self.filename = None

    def __str__(self) -> str:
        return Error.__str__(self)


class RepositoryNotFoundError(HubError):
    """The repository does not exist on the hub, or is private and no token grants it."""


class RevisionNotFoundError(HubError):
    """The repository has no such branch, tag, commit or version."""


class EntryNotFoundError(HubError):
    """The file asked for is not in the repository at that revision."""


for _cls in (Error, VerificationError, UsageError, FileError, HubError, RepositoryNotFoundError,
             RevisionNotFoundError, EntryNotFoundError):
    _cls.__module__ = "hubsign"  # raised and documented as hubsign.<Name>

_BY_KIND: dict[str, type[Error]] = {
    "verification": VerificationError,
    "usage": UsageError,
    "hub": HubError,
    "repository_not_found": RepositoryNotFoundError,
    "revision_not_found": RevisionNotFoundError,
    "entry_not_found": EntryNotFoundError,
}


def from_json(doc: Mapping[str, Any], exit_code: int) -> BaseException:
    """The exception a failed command's ``--json`` error document stands for."""
    kind = doc.get("kind", "verification" if exit_code == 1 else "usage")
    message = str(doc.get("error") or "hubsign failed")
    common: dict[str, Any] = {
        "causes": doc.get("causes") or (),
        "hint": doc.get("hint"),
        "exit_code": exit_code,
    }
    if kind == "interrupted":
        return KeyboardInterrupt()
    if kind == "file":
        code = doc.get("errno")
        return FileError(message, filename=doc.get("path"), errno=code if code is not None else _errno.EIO,
                         **common)
    cls = _BY_KIND.get(kind, UsageError)
    if cls is VerificationError:
        return VerificationError(message, modified=doc.get("modified") or (), missing=doc.get("missing") or (),
                                 unexpected=doc.get("unexpected") or (), **common)
    if issubclass(cls, HubError):
        return cls(message, status=doc.get("status"), **common)
    return cls(message, **common)
