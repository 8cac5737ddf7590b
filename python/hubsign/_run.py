"""One hubsign command, run in-process by the native module, its ``--json`` document returned
as data or raised as the exception its error kind names."""

from __future__ import annotations

import os
import sys

from ._errors import VerificationError, from_json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterable, Mapping, Optional, Sequence, Union

    PathLike = Union[str, os.PathLike[str]]

_TRUE = {"1", "ON", "YES", "TRUE"}


def progress_bars() -> bool:
    """Bars as huggingface_hub draws them: on a terminal, unless HF_HUB_DISABLE_PROGRESS_BARS."""
    disabled = os.environ.get("HF_HUB_DISABLE_PROGRESS_BARS", "").strip().upper() in _TRUE
    try:
        return not disabled and sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def path_arg(value: PathLike) -> str:
    """A ``str`` or ``pathlib.Path`` (any ``os.PathLike``) as an argument."""
    return os.fspath(value)


def option(name: str, value: PathLike) -> str:
    """``--name=value``: one argument, so a value that starts with ``-`` stays a value."""
    return f"{name}={path_arg(value)}"


def flag(args: list[str], name: str, value: Optional[PathLike]) -> None:
    if value is not None:
        args.append(option(name, value))


def flags(args: list[str], name: str, values: Optional[Union[PathLike, Iterable[PathLike]]]) -> None:
    if values is None:
        return
    if isinstance(values, (str, bytes)) or hasattr(values, "__fspath__"):
        values = [values]  # type: ignore[list-item]
    for v in values:
        args.append(option(name, v))


def switch(args: list[str], name: str, on: bool) -> None:
    if on:
        args.append(name)


def document(args: Sequence[str], positional: Sequence[str] = (), *,
             env: Optional[Mapping[str, str]] = None) -> dict[str, Any]:
    """:func:`run` for a command whose document is one JSON object."""
    doc = run(args, positional, env=env)
    if not isinstance(doc, dict):
        raise from_json({"error": f"hubsign {args[0]} answered no JSON object"}, 2)
    return doc


def run(args: Sequence[str], positional: Sequence[str] = (), *, env: Optional[Mapping[str, str]] = None,
        failed_report_raises: bool = True) -> Any:
    """Runs ``hubsign ARGS --json -- POSITIONAL...`` and returns its document; raises on any
    failure. ``args`` is the command and its options (``--name=value``); the positional
    arguments (paths, repository ids, file names) come after ``--``, so none can be read as an
    option whatever it starts with."""
    from . import _native

    argv = ["hubsign", *args, "--json", "--", *positional]
    status, out = _native.run(argv, list((env or {}).items()), progress_bars())
    doc = _last_document(out)
    if status == 0:
        return doc
    if isinstance(doc, dict) and "error" not in doc and status == 1 and not failed_report_raises:
        return doc
    if isinstance(doc, dict) and "error" not in doc and status == 1:
        # A verification report that did not verify: the files that differ, listed.
        raise VerificationError(
            "the model does not match its signature" + (f" (signed by {doc['signer']})" if doc.get("signer") else "")
            + _differences(doc),
            modified=doc.get("modified") or (), missing=doc.get("missing") or (),
            unexpected=doc.get("unexpected") or (), exit_code=1,
            hint="files not covered by the signature fail verification; ignore_unsigned_files=True skips them"
            if doc.get("unexpected") else None,
        )
    if isinstance(doc, dict):
        raise from_json(doc, status)
    raise from_json({"error": f"hubsign exited {status} without a reason"}, status)


def _differences(doc: Mapping[str, Any], shown: int = 10) -> str:
    """The files that differ, named in the message (the first ``shown`` of each list)."""
    parts = []
    for key in ("modified", "missing", "unexpected"):
        files = [str(f) for f in doc.get(key) or ()]
        if files:
            more = f" and {len(files) - shown} more" if len(files) > shown else ""
            parts.append(f"{key}: {', '.join(files[:shown])}{more}")
    return ": " + "; ".join(parts) if parts else ""


def _last_document(out: str) -> Any:
    import json  # on first use: it is a tenth of `import hubsign`'s time otherwise
    docs = [json.loads(line) for line in out.splitlines() if line.strip()]
    if not docs:
        return None
    # One document per command; an error ends the output when it comes after another.
    if len(docs) == 1 or (isinstance(docs[-1], dict) and "error" in docs[-1]):
        return docs[-1]
    return docs
