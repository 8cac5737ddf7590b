"""The API's shape: every public name documented, and the drop-ins accept every argument the
functions they replace accept (so switching the import cannot raise TypeError)."""

from __future__ import annotations

import inspect

import pytest

import hubsign


@pytest.mark.parametrize("name", hubsign.__all__)
def test_every_public_name_is_documented(name):
    obj = getattr(hubsign, name)
    assert (obj.__doc__ or "").strip(), f"hubsign.{name} has no docstring"


def test_help_names_every_argument_of_verify():
    doc = inspect.getdoc(hubsign.verify) or ""
    params = inspect.signature(hubsign.verify).parameters
    for name in ("public_key", "certificate_chain", "identity", "issuer", "ignore_unsigned_files"):
        assert name in params
        assert f"``{name}``" in doc, name


def _accepts_every_argument_of(ours, theirs, *positional):
    """The arguments of ``theirs`` that ``ours`` refuses (TypeError), past the positional ones."""
    mine = inspect.signature(ours)
    refused = []
    for i, (name, p) in enumerate(inspect.signature(theirs).parameters.items()):
        if i < len(positional) or p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
            continue
        try:
            mine.bind(*positional, **{name: None})
        except TypeError:
            refused.append(name)
    return refused


def test_the_argument_check_can_fail():
    def narrow(repo_id, *, revision=None):
        """A stand-in that takes fewer arguments."""

    def wide(repo_id, *, revision=None, cache_dir=None):
        """A stand-in that takes more."""

    assert _accepts_every_argument_of(narrow, wide, "org/m") == ["cache_dir"]


def test_snapshot_download_takes_every_huggingface_hub_argument():
    huggingface_hub = pytest.importorskip("huggingface_hub")
    assert _accepts_every_argument_of(hubsign.snapshot_download, huggingface_hub.snapshot_download, "org/m") == []
    named = set(inspect.signature(hubsign.snapshot_download).parameters)
    # The ones that matter are named parameters, not swallowed by **kwargs.
    assert {"repo_type", "revision", "cache_dir", "local_dir", "allow_patterns", "ignore_patterns", "token",
            "endpoint", "local_files_only", "max_workers"} <= named


def test_hf_hub_download_takes_every_huggingface_hub_argument():
    huggingface_hub = pytest.importorskip("huggingface_hub")
    assert _accepts_every_argument_of(hubsign.hf_hub_download, huggingface_hub.hf_hub_download, "org/m", "f") == []


def test_kaggle_model_download_takes_every_kagglehub_argument():
    kagglehub = pytest.importorskip("kagglehub")
    from hubsign import kaggle

    assert _accepts_every_argument_of(kaggle.model_download, kagglehub.model_download, "o/m/f/v") == []


def test_exceptions_mirror_the_exit_codes_and_the_standard_classes():
    assert issubclass(hubsign.VerificationError, ValueError) and hubsign.VerificationError.exit_code == 1
    assert issubclass(hubsign.UsageError, ValueError) and hubsign.UsageError.exit_code == 2
    assert issubclass(hubsign.FileError, OSError) and issubclass(hubsign.HubError, OSError)
    for cls in (hubsign.RepositoryNotFoundError, hubsign.RevisionNotFoundError, hubsign.EntryNotFoundError):
        assert issubclass(cls, hubsign.HubError)
    for name in ("VerificationError", "UsageError", "FileError", "HubError"):
        cls = getattr(hubsign, name)
        assert issubclass(cls, hubsign.Error) and cls.__module__ == "hubsign"
