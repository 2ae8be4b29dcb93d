"""Export a bindata dataset to the folder layout and metadata of a DCASE Task 3 year.

Layouts (one sub-folder per development set, as the challenge's; file names are the dataset's
stems, ``foldK_roomR_mixM``, which the baselines parse for the fold):

- ``dcase2024``: ``mic_dev/dev-bindata/STEM.wav`` (two-channel binaural audio, where the
  2024 data had its four-channel ``mic`` format) and ``metadata_dev/dev-bindata/STEM.csv`` with
  the 2024 rows ``frame,class,source,azimuth,elevation,distance`` (no header; degrees, cm);
- ``dcase2025`` (stereo SELD): ``stereo_dev/dev-bindata/STEM.wav`` and
  ``metadata_dev/dev-bindata/STEM.csv`` with a header row and the columns
  ``frame,class,source,azimuth,distance,onscreen``. A stereo pair cannot tell front from back, so
  the 2025 azimuth is folded onto the front half-plane: ``180 - az`` for ``az > 90`` and
  ``-180 - az`` for ``az < -90`` (a mirror in the interaural axis, which keeps the lateral angle),
  giving [-90, 90]; bindata has no video, so ``onscreen`` is 0.

A class map (``schemas/class_map.schema.json``) renames or drops classes; the exported class list
is written to ``bindata_export.json`` beside the folders. WAVs are symbolic links to the
dataset's files, or copies.

Clips (``clip_s``): every file is cut into consecutive clips of ``clip_s`` seconds (a positive
multiple of the 100 ms label frame), named ``STEM_clipNN`` (``NN`` from 00, zero-padded to the
same width in the whole export). The DCASE 2025 baseline reads fixed sequences of 5 s (50 label
frames) and drops every label row past them, so 15 s files must be cut. Clip ``k`` holds audio
samples ``[k * L, (k + 1) * L)`` of the file (``L`` samples per clip) and the label rows of frames
``[k * F, (k + 1) * F)`` (``F`` frames per clip), their frames re-based by ``- k * F``; an event that
crosses a clip boundary appears in both clips. A last, partial clip is kept and padded with
digital silence (no labels) to the full length, so every clip has the same length and no labelled
frame is lost. Clips are new WAV files (never links).

Fold maps (``fold_map``): ``{dataset fold: exported fold}`` renames the ``foldK_`` prefix of every
exported name (the baselines select training and test files by that prefix). Every fold of the
dataset must be mapped (a fold to itself keeps it), and only folds of the dataset; two files that
would get the same exported name are an error.

``bindata_export.json`` records the options and, per exported file, the dataset file and its first
label frame, from which :func:`reassemble_predictions` turns predictions of the exported files
(clips, renamed folds) back into one prediction file per dataset file, for ``bindata score``.

Everything is checked before the first file is written; the output folder must be absent or
empty; on a failure while writing, every file and folder the export created is removed again.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import soundfile as sf

from .. import __version__
from ..errors import (
    ConfigError,
    DatasetError,
    OutputError,
    OutputExistsError,
    SubmissionError,
)
from ..geometry import fold_azimuth_front
from ..io import read_json, sha256_file, write_bytes, write_json, write_text, write_wav
from ..io.atomic import os_reason
from ..io.dcase_csv import DCASE2025_COLUMNS, data_lines, format_rows, sort_rows
from ..io.layout import paths_of
from ..problems import Problems
from ..resources import validate_against_schema
from ..scene.folds import FOLD_PREFIX
from ..scene.labels import LABEL_FRAME_S
from ..score.reference import load_reference

#: Export formats: audio folder, metadata folder, sub-folder.
LAYOUTS = {
    "dcase2024": {"audio": "mic_dev", "metadata": "metadata_dev", "split": "dev-bindata"},
    "dcase2025": {"audio": "stereo_dev", "metadata": "metadata_dev", "split": "dev-bindata"},
}

#: Name of the file describing an export.
EXPORT_RECORD = "bindata_export.json"

#: Least number of digits of the clip number in clip names (``STEM_clip00``).
CLIP_DIGITS = 2

#: Sample subtype of the WAVs that clips are cut from (and written in): bindata's 16-bit PCM.
CLIP_SUBTYPE = "PCM_16"

#: Dataset files named in one error before the rest are counted.
_LISTED = 5


def load_class_map(path, dataset_classes) -> tuple[list[str], dict]:
    """Read and check a class map against the dataset's classes.

    Returns
    -------
    (classes, index_of)
        The exported class list and ``{dataset class index: exported index or None}``.

    Raises
    ------
    ConfigError
        Unreadable or not JSON, breaks the schema, names unknown classes, or leaves a dataset
        class unmapped (every problem listed).
    """
    path = Path(path)
    try:
        spec = json.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the class map ({exc.strerror})") from exc
    except ValueError as exc:
        raise ConfigError(f"{path}: the class map is not JSON ({exc})") from exc
    problems = validate_against_schema(spec, "class_map", what=str(path))
    if not problems:
        mapping, targets = spec["map"], spec["classes"]
        unknown = sorted(set(mapping) - set(dataset_classes))
        if unknown:
            problems.append(
                f"{path}: map: unknown dataset class(es) {unknown}; the dataset's "
                f"classes are {list(dataset_classes)}"
            )
        bad = sorted({v for v in mapping.values() if v is not None and v not in targets})
        if bad:
            problems.append(f"{path}: map: target class(es) {bad} are not in 'classes'")
        absent = [c for c in dataset_classes if c not in mapping]
        if absent:
            problems.append(
                f"{path}: map: dataset class(es) {absent} are not mapped; map each "
                "to a class or to null to drop it"
            )
    if problems:
        raise ConfigError("; ".join(problems))
    index = {
        k: (None if mapping[c] is None else targets.index(mapping[c]))
        for k, c in enumerate(dataset_classes)
    }
    return list(targets), index


def export_rows(rows: np.ndarray, fmt: str, index_of: dict | None) -> str:
    """Metadata text of one file in ``fmt`` (class map applied)."""
    rows = sort_rows(rows)
    if index_of is not None:
        new = np.array(
            [-1 if index_of.get(int(c)) is None else index_of[int(c)] for c in rows["class"]],
            dtype=np.int64,
        )
        rows = rows[new >= 0]
        rows["class"] = new[new >= 0]
    if fmt == "dcase2024":
        return format_rows(rows)
    table = np.column_stack(
        [
            rows["frame"],
            rows["class"],
            rows["source"],
            np.round(fold_azimuth_front(rows["azimuth"])).astype(np.int64),
            rows["distance"],
            np.zeros(len(rows), dtype=np.int64),
        ]
    )
    return format_rows(table, header=DCASE2025_COLUMNS)


def clip_frames(clip_s) -> int:
    """Label frames in a clip of ``clip_s`` seconds.

    Parameters
    ----------
    clip_s : float
        Clip length in seconds.

    Returns
    -------
    int
        ``clip_s`` / :data:`bindata.scene.labels.LABEL_FRAME_S`.

    Raises
    ------
    ConfigError
        ``clip_s`` is not a positive multiple of the label frame (``key='clip_s'``).
    """
    value = float("nan")
    if not isinstance(clip_s, bool):
        try:
            value = float(clip_s)
        except (TypeError, ValueError):
            pass
    n = round(value / LABEL_FRAME_S) if math.isfinite(value) else 0
    if n < 1 or not math.isclose(value, n * LABEL_FRAME_S, rel_tol=1e-9, abs_tol=1e-9):
        raise ConfigError(
            f"export clip length {clip_s!r} s: must be a positive multiple of the "
            f"{LABEL_FRAME_S:g} s label frame (e.g. 5 for the DCASE 2025 baseline)",
            key="clip_s",
        )
    return n


def _is_fold(value) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool) and value >= 1


def check_fold_map(fold_map, dataset_folds, *, where) -> dict[int, int]:
    """Check a fold map against the folds of a dataset.

    Parameters
    ----------
    fold_map : mapping
        ``{dataset fold: exported fold}``, folds being integers >= 1.
    dataset_folds : iterable of int or None
        The fold of every dataset file (None: a file of no known fold).
    where : str, keyword-only
        The dataset, named in messages.

    Returns
    -------
    dict
        ``{dataset fold: exported fold}`` (plain ints).

    Raises
    ------
    ConfigError
        Not a non-empty mapping of folds, a fold the dataset does not have, or a dataset fold left
        unmapped; every problem listed (``key='fold_map'``).
    """
    shown = dict(fold_map) if isinstance(fold_map, Mapping) else fold_map
    if not isinstance(fold_map, Mapping) or not fold_map:
        raise ConfigError(
            f"export fold map {shown!r}: must be a non-empty mapping "
            "{dataset fold: exported fold}",
            key="fold_map",
        )
    bad = [f"{k!r}: {v!r}" for k, v in fold_map.items() if not (_is_fold(k) and _is_fold(v))]
    if bad:
        raise ConfigError(
            f"export fold map {shown!r}: entries {{{', '.join(bad)}}} are not folds; "
            "folds are integers >= 1",
            key="fold_map",
        )
    mapping = {int(k): int(v) for k, v in fold_map.items()}
    known = sorted({int(f) for f in dataset_folds if f is not None})
    problems = []
    unknown = sorted(set(mapping) - set(known))
    if unknown:
        problems.append(
            f"fold(s) {unknown} are not folds of the dataset {where} (its folds: {known})"
        )
    unmapped = [f for f in known if f not in mapping]
    if unmapped:
        problems.append(
            f"the dataset's fold(s) {unmapped} are not mapped; map every fold of "
            "the dataset (a fold to itself keeps its name)"
        )
    if problems:
        raise ConfigError(f"export fold map {mapping}: " + "; ".join(problems), key="fold_map")
    return mapping


def _exported_stems(reference, fold_map) -> list[str]:
    """Every dataset stem with its ``foldK_`` prefix renamed by ``fold_map`` (if any)."""
    if fold_map is None:
        return list(reference.stems)
    no_fold = [
        s
        for s, f in zip(reference.stems, reference.folds, strict=True)
        if f is None or not FOLD_PREFIX.match(s)
    ]
    if no_fold:
        raise DatasetError(
            f"{reference.root}: {len(no_fold)} file(s) have no fold or no foldK_ prefix in their "
            f"name for a fold map to rename: {', '.join(no_fold[:_LISTED])}"
        )
    return [
        FOLD_PREFIX.sub(f"fold{fold_map[f]}_", s, count=1)
        for s, f in zip(reference.stems, reference.folds, strict=True)
    ]


def _clip_count(wav: Path, rows, n_frames: int, n_clip_frames: int, clip_s, problems) -> tuple:
    """(samples per clip, clips) of one file; problems recorded, (0, 0) then."""
    try:
        info = sf.info(str(wav))
    except (RuntimeError, OSError) as exc:  # soundfile's LibsndfileError is a RuntimeError
        problems.add(wav, f"cannot read as audio ({exc})")
        return 0, 0
    if info.subtype != CLIP_SUBTYPE:
        problems.add(
            wav, f"sample format must be {CLIP_SUBTYPE} to be cut into clips, got {info.subtype}"
        )
        return 0, 0
    exact = n_clip_frames * LABEL_FRAME_S * info.samplerate
    if not math.isclose(exact, round(exact), abs_tol=1e-6):
        raise ConfigError(
            f"export clip length {clip_s!r} s: is not a whole number of samples at "
            f"{info.samplerate} Hz ({wav}); pick a clip length that is",
            key="clip_s",
        )
    clip_samples = round(exact)
    last_frame = int(rows["frame"].max()) + 1 if len(rows) else 0
    n_clips = max(
        math.ceil(max(n_frames, last_frame) / n_clip_frames),
        math.ceil(info.frames / clip_samples),
        1,
    )
    return clip_samples, n_clips


def _plan(
    reference, fmt: str, out: Path, index_of, *, n_clip_frames=None, clip_s=None, fold_map=None
) -> tuple[list, dict]:
    """Every file to write, ``(path, kind, payload)``, and the record's ``files``.

    Checks the dataset's audio (and, with clips, that every WAV can be cut) and that the
    exported names are unique.
    """
    lay = LAYOUTS[fmt]
    audio_dir, meta_dir = out / lay["audio"] / lay["split"], out / lay["metadata"] / lay["split"]
    wavs = [paths_of(reference.root, stem)["audio"] for stem in reference.stems]
    missing = [str(w) for w in wavs if not w.is_file()]
    if missing:
        raise DatasetError(
            f"{len(missing)} audio file(s) of the dataset are missing: "
            f"{', '.join(missing[:_LISTED])}"
        )
    targets = _exported_stems(reference, fold_map)
    # pieces: (exported name, dataset file index, first frame, (first sample, samples) or None)
    pieces = []
    if n_clip_frames is None:
        pieces = [(t, k, 0, None) for k, t in enumerate(targets)]
    else:
        problems = Problems()
        counts = [
            _clip_count(w, rows, reference.n_frames, n_clip_frames, clip_s, problems)
            for w, rows in zip(wavs, reference.rows, strict=True)
        ]
        problems.raise_if_any(DatasetError, f"{reference.root}: audio cannot be cut into clips")
        width = max(CLIP_DIGITS, len(str(max(n for _, n in counts) - 1)))
        for k, (target, (clip_samples, n_clips)) in enumerate(zip(targets, counts, strict=True)):
            for c in range(n_clips):
                name = f"{target}_clip{c:0{width}d}"
                pieces.append((name, k, c * n_clip_frames, (c * clip_samples, clip_samples)))
    sources: dict[str, list[str]] = {}
    for name, k, _, _ in pieces:
        sources.setdefault(name, []).append(reference.stems[k])
    clashes = [f"{name} (from {', '.join(src)})" for name, src in sources.items() if len(src) > 1]
    if clashes:
        raise ConfigError(
            f"export names must be unique, but {len(clashes)} would be written for several "
            f"dataset files: {'; '.join(clashes[:_LISTED])}; use a fold map that keeps them apart",
            key="fold_map" if fold_map is not None else None,
        )
    plan, files = [], {}
    for name, k, first, clip in pieces:
        rows = reference.rows[k]
        if clip is None:
            plan.append((audio_dir / f"{name}.wav", "wav", wavs[k]))
        else:
            plan.append((audio_dir / f"{name}.wav", "clip", (wavs[k], *clip)))
            rows = rows[(rows["frame"] >= first) & (rows["frame"] < first + n_clip_frames)]
            rows = rows.copy()
            rows["frame"] -= first
        plan.append((meta_dir / f"{name}.csv", "text", export_rows(rows, fmt, index_of)))
        files[name] = {"stem": reference.stems[k], "first_frame": int(first)}
    return plan, files


def _read_clip(wav: Path, start: int, n_samples: int) -> tuple[np.ndarray, int]:
    """Samples ``[start, start + n_samples)`` of a WAV (int16), padded with zeros past its end."""
    try:
        with sf.SoundFile(str(wav)) as fh:
            fs, channels = fh.samplerate, fh.channels
            pcm = np.zeros((0, channels), dtype=np.int16)
            if start < fh.frames:
                fh.seek(start)
                pcm = fh.read(n_samples, dtype="int16", always_2d=True)
    except RuntimeError as exc:  # soundfile's LibsndfileError
        raise DatasetError(f"{wav}: cannot read as audio ({exc})") from exc
    if len(pcm) < n_samples:
        pad = np.zeros((n_samples - len(pcm), pcm.shape[1]), dtype=np.int16)
        pcm = np.concatenate([pcm, pad])
    return pcm, fs


def _write_all(plan, out: Path, copy: bool) -> None:
    created_dirs, written = [], []
    try:
        for path, kind, payload in plan:
            for parent in reversed([path.parent, *path.parent.parents]):
                if not parent.exists():
                    parent.mkdir()
                    created_dirs.append(parent)
            if kind == "text":
                write_text(path, payload)
            elif kind == "json":
                write_json(path, payload)
            elif kind == "clip":
                write_wav(path, *_read_clip(*payload))
            elif copy:
                write_bytes(path, payload.read_bytes())
            else:
                os.symlink(payload.resolve(), path)
            written.append(path)
    except BaseException as exc:
        for path in written:
            path.unlink(missing_ok=True)
        for folder in reversed(created_dirs):
            shutil.rmtree(folder, ignore_errors=True)
        if isinstance(exc, OSError):
            raise OutputError(f"{out}: cannot write the export ({os_reason(exc)})") from exc
        raise


def _check_out(out: Path) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        what = "a file" if not out.is_dir() else "a non-empty folder"
        raise OutputExistsError(f"{out}: is {what}; an export goes into a new or empty folder")


def export_dataset(
    dataset, out_dir, *, fmt: str, class_map=None, copy: bool = False, clip_s=None, fold_map=None
) -> dict:
    """Write a dataset in the layout of a DCASE year.

    Parameters
    ----------
    dataset : path-like
        A bindata dataset (``manifest.json``, ``audio/``, ``metadata/``).
    out_dir : path-like
        New or empty folder.
    fmt : {'dcase2024', 'dcase2025'}, keyword-only
    class_map : path-like, optional, keyword-only
        JSON class map (``schemas/class_map.schema.json``).
    copy : bool, keyword-only
        Copy the WAVs instead of linking them (implied by ``clip_s``).
    clip_s : float, optional, keyword-only
        Cut every file into consecutive clips of this many seconds (a positive multiple of the
        100 ms label frame), named ``STEM_clipNN``; the last, partial clip is padded with silence.
    fold_map : mapping, optional, keyword-only
        ``{dataset fold: exported fold}``: renames the ``foldK_`` prefix of the exported names.
        Must map every fold of the dataset and no other.

    Returns
    -------
    dict
        The export record (also written as ``bindata_export.json``): format, dataset, classes,
        options, and ``files``, ``{exported name: {'stem': dataset stem, 'first_frame': int}}``.

    Raises
    ------
    ConfigError, DatasetError, OutputExistsError, OutputError
        Nothing is written when the options or the dataset are wrong or the output folder is not
        empty; a failure while writing removes what the export wrote.
    """
    if fmt not in LAYOUTS:
        raise ConfigError(f"export format must be one of {list(LAYOUTS)}, got {fmt!r}")
    n_clip_frames = None if clip_s is None else clip_frames(clip_s)
    reference = load_reference(dataset)
    if not reference.event_classes:
        raise DatasetError(f"{dataset}: the manifest lists no classes")
    if fold_map is not None:
        fold_map = check_fold_map(fold_map, reference.folds, where=str(dataset))
    classes, index_of = list(reference.event_classes), None
    if class_map is not None:
        classes, index_of = load_class_map(class_map, reference.event_classes)
    out = Path(out_dir)
    _check_out(out)
    plan, files = _plan(
        reference, fmt, out, index_of, n_clip_frames=n_clip_frames, clip_s=clip_s, fold_map=fold_map
    )
    record = {
        "tool": "bindata",
        "version": __version__,
        "format": fmt,
        "dataset": str(Path(dataset).resolve()),
        "manifest_sha256": sha256_file(Path(dataset) / "manifest.json"),
        "classes": classes,
        "audio": "copied" if copy or clip_s is not None else "linked",
        "class_map": None if class_map is None else str(Path(class_map).resolve()),
        "clip_s": None if clip_s is None else float(clip_s),
        "fold_map": None if fold_map is None else {str(k): v for k, v in fold_map.items()},
        "n_files": len(reference.stems),
        "n_frames": reference.n_frames,
        "n_exported": len(files),
        "files": files,
    }
    if out.exists() and not os.access(out, os.W_OK):
        raise OutputError(f"{out}: cannot write the export (permission denied)")
    _write_all(plan + [(out / EXPORT_RECORD, "json", record)], out, copy)
    return record


def _frame_of(text: str) -> int | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return int(value) if value.is_integer() else None


def reassemble_predictions(export_dir, pred_dir, out_dir) -> dict:
    """Turn predictions of an export's files back into one file per dataset file.

    A system trained on an export writes one ``NAME.csv`` per exported file (clips, renamed
    folds). This writes ``out_dir/STEM.csv`` for every dataset file with at least one prediction
    file: the rows of its files, frames shifted by each file's first frame (``bindata_export.json``),
    rows past the dataset file's end (a padded last clip) left out, in frame order, under the
    header line of the predictions when they have one. The columns are copied as they are.

    Parameters
    ----------
    export_dir : path-like
        The folder an export wrote (holds ``bindata_export.json``).
    pred_dir : path-like
        One ``NAME.csv`` per exported file predicted (hidden files are ignored).
    out_dir : path-like
        New or empty folder.

    Returns
    -------
    dict
        ``stems`` (dataset files written), ``files`` (prediction files read) and
        ``missing`` (exported names of those stems without a prediction file: no activity).

    Raises
    ------
    DatasetError
        No readable export record.
    ConfigError
        The export renamed classes (a class map): its class indices are not the dataset's.
    SubmissionError
        A prediction file is not named after an exported file, or a frame is not an integer.
    OutputExistsError, OutputError
    """
    record_path = Path(export_dir) / EXPORT_RECORD
    record = read_json(record_path, error=DatasetError)
    files = record.get("files") if isinstance(record, dict) else None
    if not isinstance(files, dict) or not isinstance(record.get("n_frames"), int):
        raise DatasetError(
            f"{record_path}: has no 'files' and 'n_frames' (an export by an "
            "older bindata?); export the dataset again"
        )
    if record.get("class_map"):
        raise ConfigError(
            f"{record_path}: the export renamed classes with the class map "
            f"{record['class_map']}, so predicted class indices are not the "
            "dataset's; export without a class map to score against the dataset"
        )
    pred = Path(pred_dir)
    if not pred.is_dir():
        raise ConfigError(f"{pred}: prediction folder not found")
    out = Path(out_dir)
    _check_out(out)
    problems = Problems()
    joined: dict[str, list] = {}
    header, n_read = None, 0
    for path in sorted(p for p in pred.iterdir() if not p.name.startswith(".")):
        entry = files.get(path.stem) if path.suffix == ".csv" else None
        if entry is None:
            problems.add(
                path, f"not the prediction of an exported file (no such name in {record_path})"
            )
            continue
        try:
            lines, numbers = data_lines(path.read_text("utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            problems.add(path, f"cannot read ({getattr(exc, 'strerror', None) or exc})")
            continue
        n_read += 1
        if lines and _frame_of(lines[0].split(",", 1)[0]) is None:
            header = header or lines[0].strip()
            lines, numbers = lines[1:], numbers[1:]
        rows = joined.setdefault(entry["stem"], [])
        for line, number in zip(lines, numbers, strict=True):
            first, _, rest = line.strip().partition(",")
            frame = _frame_of(first)
            if frame is None:
                problems.add(path, f"frame {first!r} is not an integer", line=number, kind="row")
            elif frame + entry["first_frame"] < record["n_frames"]:
                rows.append((frame + entry["first_frame"], rest))
    problems.raise_if_any(SubmissionError)
    plan = []
    for stem, rows in joined.items():
        body = "".join(f"{f},{rest}\n" for f, rest in sorted(rows, key=lambda r: r[0]))
        plan.append((out / f"{stem}.csv", "text", (f"{header}\n" if header else "") + body))
    _write_all(plan, out, copy=False)
    missing = sorted(
        n for n, e in files.items() if e["stem"] in joined and not (pred / f"{n}.csv").is_file()
    )
    return {"stems": sorted(joined), "files": n_read, "missing": missing}
