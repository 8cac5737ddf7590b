"""The API's shape: every public name documented, and the drop-ins accept every argument the
functions they replace accept (so switching the import cannot raise TypeError)."""

from __future__ import annotations

import importlib
import inspect

import pytest

import hubsign
from conftest import missing


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


# huggingface_hub arguments the drop-ins accept through **kwargs and ignore: telemetry and
# display only. Any other argument must be a named parameter (or refused, like dry_run).
IGNORED = {"library_name", "library_version", "user_agent", "headers", "tqdm_class", "proxies", "resume_download",
           "local_dir_use_symlinks"}
REFUSED = {"dry_run"}


def _not_named(ours, theirs):
    """The arguments of ``theirs`` that ``ours`` does not name (it may still take them as **kwargs)."""
    mine = inspect.signature(ours).parameters
    return {n for n, p in inspect.signature(theirs).parameters.items()
            if n not in mine and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}


def _client(name):
    try:
        return importlib.import_module(name)
    except ImportError:
        missing(f"{name} is not installed beside the wheel")


def test_the_argument_check_can_fail():
    def narrow(repo_id, *, revision=None, **kwargs):
        """A stand-in that names fewer arguments."""

    def wide(repo_id, *, revision=None, cache_dir=None):
        """A stand-in that takes more."""

    assert _not_named(narrow, wide) == {"cache_dir"}


@pytest.mark.parametrize("name", ["snapshot_download", "hf_hub_download"])
def test_the_huggingface_hub_drop_ins_name_every_argument_that_matters(name):
    theirs = getattr(_client("huggingface_hub"), name)
    ours = getattr(hubsign, name)
    assert _not_named(ours, theirs) <= IGNORED | REFUSED
    # Whatever huggingface_hub takes, the call binds (switching the import raises no TypeError).
    assert inspect.signature(ours).parameters["kwargs"].kind is inspect.Parameter.VAR_KEYWORD


@pytest.mark.parametrize("name", ["snapshot_download", "hf_hub_download"])
def test_dry_run_is_refused_not_ignored(name):
    args = ("org/m",) if name == "snapshot_download" else ("org/m", "f")
    with pytest.raises(hubsign.UsageError, match="dry_run"):
        getattr(hubsign, name)(*args, dry_run=True)


def test_kaggle_model_download_names_every_kagglehub_argument():
    from hubsign import kaggle

    assert _not_named(kaggle.model_download, _client("kagglehub").model_download) == set()


def test_exceptions_mirror_the_exit_codes_and_the_standard_classes():
    assert issubclass(hubsign.VerificationError, ValueError) and hubsign.VerificationError.exit_code == 1
    assert issubclass(hubsign.UsageError, ValueError) and hubsign.UsageError.exit_code == 2
    assert issubclass(hubsign.FileError, OSError) and issubclass(hubsign.HubError, OSError)
    for cls in (hubsign.RepositoryNotFoundError, hubsign.RevisionNotFoundError, hubsign.EntryNotFoundError):
        assert issubclass(cls, hubsign.HubError)
    for name in ("VerificationError", "UsageError", "FileError", "HubError"):
        cls = getattr(hubsign, name)
        assert issubclass(cls, hubsign.Error) and cls.__module__ == "hubsign"
