"""The dataset manifest ``DATASET/manifest.json``: the one reader and writer.

Every module that needs a dataset's manifest reads it with :func:`read_manifest`, which checks it
against ``schemas/manifest.schema.json`` and raises a :class:`~bindata.errors.DatasetError` naming
the file and the key of each problem (``DATASET/manifest.json: files.3.audio_sha256: ...``).
The schema knows two forms (docs/design.md, "Files"):

* the manifest ``bindata synth`` writes: ``format`` ``"bindata-dataset"``, ``format_version``,
  ``bindata_version``, ``seed``, the full ``config``, ``classes``, ``hrir``, ``event_library``
  and one record per file (``stem``, ``fold``, ``file_index`` and each of its three files with
  its SHA-256);
* a hand-written manifest of a dataset made elsewhere: ``files`` with a ``stem`` each (and
  optionally a ``fold``), optionally ``config.duration_s`` etc. and ``classes``. Readers that
  accept such datasets (scoring, the benchmark) pass ``minimal_ok=True``.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from ..errors import DatasetError, OutputError
from ..problems import Problems
from ..resources import validate_against_schema
from .atomic import os_reason, write_json

#: The manifest's file name inside a dataset; written last, it marks the dataset finished.
MANIFEST = "manifest.json"
#: Config and seed of a synthesis run in progress (removed when the manifest is written).
RUN_MARKER = ".bindata-run.json"
#: ``format`` and ``format_version`` of the manifests ``bindata synth`` writes.
FORMAT = "bindata-dataset"
FORMAT_VERSION = 1
#: Problems listed in one error before the rest are counted.
_CAP = 10


def read_json(path: str | os.PathLike, *, error: type[Exception] = DatasetError):
    """The JSON value in ``path``; ``error`` naming the path when unreadable or not JSON."""
    try:
        text = Path(path).read_text("utf-8")
    except OSError as exc:
        raise error(f"{path}: cannot read ({os_reason(exc)})") from exc
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    try:
        return json.loads(text)
    except ValueError as exc:
        raise error(f"{path}: not valid JSON ({exc})") from exc


def manifest_problems(manifest, *, what: str, minimal_ok: bool = False) -> list[str]:
    """Every way ``manifest`` breaks the schema, as ``WHAT: key.path: rule`` lines.

    Parameters
    ----------
    manifest : object
        A parsed manifest.
    what : str
        Where it came from (its path), the first part of every line.
    minimal_ok : bool, keyword-only
        Accept a hand-written manifest without ``format`` (only ``files`` with stems required).
    """
    if not isinstance(manifest, dict):
        return [f"{what}: must be a JSON object, got {type(manifest).__name__}"]
    problems = []
    if not minimal_ok and "format" not in manifest:
        problems.append(
            f"{what}: format: missing; a manifest written by bindata synth has "
            f"format {FORMAT!r} (is this a bindata dataset?)"
        )
    found = validate_against_schema(manifest, "manifest", what=what)
    return problems + [_REQUIRED.sub(_missing_key, line) for line in found]


#: jsonschema's words for a missing key: ``WHAT: parent.path: 'key' is a required property``.
_REQUIRED = re.compile(
    r"^(?P<what>.*): (?P<parent>[^:]+): '(?P<key>[^']+)' is a required property$"
)


def _missing_key(match: re.Match) -> str:
    parent = match["parent"]
    key = match["key"] if parent == "<root>" else f"{parent}.{match['key']}"
    return f"{match['what']}: {key}: missing (a required key)"


def _raise_problems(manifest, path: Path, *, minimal_ok: bool, what: str) -> None:
    """One DatasetError listing the manifest's schema problems (at most ``_CAP``), if any."""
    problems = Problems(cap=_CAP)
    for line in manifest_problems(manifest, what=str(path), minimal_ok=minimal_ok):
        problems.add(path, line.removeprefix(f"{path}: "), kind="schema")
    problems.raise_if_any(DatasetError, f"{path}: {what}")


def manifest_path(dataset: str | os.PathLike) -> Path:
    """``DATASET/manifest.json``."""
    return Path(dataset) / MANIFEST


def read_manifest(dataset: str | os.PathLike, *, minimal_ok: bool = False) -> dict:
    """The manifest of the dataset in ``dataset``, checked against the manifest schema.

    Parameters
    ----------
    dataset : path-like
        Dataset folder.
    minimal_ok : bool, keyword-only
        Also accept a hand-written manifest (no ``format``; see the module docstring).

    Raises
    ------
    DatasetError
        No manifest, not readable JSON, or a key that breaks the schema (each one named).
    """
    path = manifest_path(dataset)
    if not path.is_file():
        raise DatasetError(f"{dataset}: not a bindata dataset (no {MANIFEST})")
    manifest = read_json(path)
    _raise_problems(manifest, path, minimal_ok=minimal_ok, what="not a valid manifest")
    return manifest


def write_manifest(dataset: str | os.PathLike, manifest: dict) -> None:
    """Write the manifest of a finished synthesis run and drop the run marker.

    The manifest is checked first (a synth manifest: ``format`` required), so that a dataset
    never gets a manifest its readers refuse.

    Raises
    ------
    DatasetError
        ``manifest`` breaks the schema (nothing is written).
    OutputError
        The file cannot be written or the run marker removed.
    """
    out = Path(dataset)
    path = manifest_path(out)
    _raise_problems(manifest, path, minimal_ok=False, what="refusing to write an invalid manifest")
    write_json(path, manifest)
    try:
        (out / RUN_MARKER).unlink(missing_ok=True)
    except OSError as exc:
        raise OutputError(f"{out / RUN_MARKER}: cannot remove ({os_reason(exc)})") from exc
