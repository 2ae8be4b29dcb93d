"""The one DCASE CSV reader and writer: metadata, submissions and exports.

DCASE Task 3 metadata is comma-separated numbers, one row per active source and 100 ms frame:

- DCASE 2024 (bindata's own ``metadata/``, no header):
  ``frame,class,source,azimuth,elevation,distance`` (degrees, centimetres; integers);
- DCASE baseline system output: ``frame,class,source,x,y,z`` or ``frame,class,source,x,y,z,
  distance`` (unit vectors);
- DCASE 2025 stereo (header row): ``frame,class,source,azimuth,distance,onscreen``.

This module only splits text into lines and numbers, collecting every problem as
``(line, message)``; what the numbers must be (ranges, order, polyphony) is the caller's rule
(:mod:`bindata.dataset.validate`, :mod:`bindata.score.formats`). :func:`parse_metadata_text` is
the strict reader of bindata's own metadata (six integers), :func:`format_rows` the one writer.
"""

from __future__ import annotations

import io

import numpy as np

#: Columns of bindata's metadata (DCASE 2024 polar rows), in order.
COLUMNS = ("frame", "class", "source", "azimuth", "elevation", "distance")

#: Structured dtype of metadata rows (integers).
ROW_DTYPE = np.dtype([(c, np.int64) for c in COLUMNS])

#: Columns of the DCASE 2025 stereo metadata (written with this header).
DCASE2025_COLUMNS = ("frame", "class", "source", "azimuth", "distance", "onscreen")


def data_lines(text: str) -> tuple[list[str], list[int]]:
    """The non-blank lines of ``text`` and their 1-based line numbers."""
    lines, numbers = [], []
    for k, line in enumerate(text.splitlines()):
        if line.strip():
            lines.append(line)
            numbers.append(k + 1)
    return lines, numbers


def _parse_numbers(good, linenos, names, problems):
    """Float array of split rows; rows with a non-number are reported and dropped."""
    n_cols = len(names)
    try:
        return np.array(good, dtype=float).reshape(-1, n_cols), linenos
    except ValueError:
        pass
    values = np.full((len(good), n_cols), np.nan)
    bad = np.zeros(len(good), dtype=bool)
    for r, row in enumerate(good):
        for c, text in enumerate(row):
            try:
                values[r, c] = float(text)
            except ValueError:
                bad[r] = True
                problems.append((int(linenos[r]), f"{names[c]} is not a number: {text.strip()!r}"))
    return values[~bad], linenos[~bad]


def numeric_table(lines, linenos, names) -> tuple[np.ndarray, np.ndarray, list[tuple[int, str]]]:
    """Parse comma-separated numbers with the columns ``names``.

    Parameters
    ----------
    lines : sequence of str
        Data lines (see :func:`data_lines`).
    linenos : sequence of int
        Their line numbers.
    names : sequence of str
        Column names (used in messages).

    Returns
    -------
    values : numpy.ndarray of float, shape (n, len(names))
        The well-formed rows (right number of columns, every value a finite number).
    linenos : numpy.ndarray of int64
        Line number of each returned row.
    problems : list of (int, str)
        ``(line, message)`` for every rejected row.
    """
    n_cols = len(names)
    problems: list[tuple[int, str]] = []
    fields = [ln.split(",") for ln in lines]
    ok = []
    for k, f in enumerate(fields):
        if len(f) == n_cols:
            ok.append(k)
        else:
            problems.append(
                (int(linenos[k]), f"expected {n_cols} columns ({','.join(names)}), got {len(f)}")
            )
    good = [fields[k] for k in ok]
    nums = np.asarray([linenos[k] for k in ok], dtype=np.int64)
    if not good:
        return np.zeros((0, n_cols)), nums, problems
    values, nums = _parse_numbers(good, nums, names, problems)
    finite = np.isfinite(values)
    for r, c in zip(*np.nonzero(~finite), strict=True):
        problems.append(
            (int(nums[r]), f"{names[c]} is {values[r, c]}; values must be finite numbers")
        )
    keep = finite.all(axis=1)
    return values[keep], nums[keep], problems


def parse_metadata_text(text: str) -> tuple[np.ndarray, np.ndarray, list[tuple[int, str]]]:
    """Read bindata metadata (six integer columns, no header) strictly.

    Parameters
    ----------
    text : str
        File contents.

    Returns
    -------
    rows : numpy.ndarray of :data:`ROW_DTYPE`
        The well-formed rows.
    linenos : numpy.ndarray of int64
        Line number of each row.
    problems : list of (int, str)
        ``(line, message)`` for every malformed line (wrong column count, not an integer).
    """
    lines, numbers = data_lines(text)
    problems = []
    if lines and lines[0].split(",")[0].strip().lower() == "frame":
        problems.append(
            (numbers[0], "non-integer value: a header line (metadata has no header; remove it)")
        )
        lines, numbers = lines[1:], numbers[1:]
    values, linenos, more = numeric_table(lines, numbers, COLUMNS)
    problems += more
    integer = (values == np.round(values)).all(axis=1)
    for r in np.nonzero(~integer)[0]:
        problems.append((int(linenos[r]), "non-integer value (no header, integers only)"))
    values, linenos = values[integer], linenos[integer]
    rows = np.zeros(len(values), dtype=ROW_DTYPE)
    for j, c in enumerate(COLUMNS):
        rows[c] = values[:, j].astype(np.int64)
    return rows, linenos, sorted(problems)


def _num(v) -> str:
    v = float(v)
    return str(int(v)) if v.is_integer() else repr(v)


def format_rows(rows, *, header=None, columns=COLUMNS) -> str:
    """DCASE CSV text of rows, one line each (integers written without a decimal point).

    Parameters
    ----------
    rows : numpy.ndarray
        A structured array with the fields ``columns``, or a numeric array (n, len(columns)).
    header : sequence of str, optional
        A header line to write first (DCASE 2025); none by default (DCASE 2024, bindata).
    columns : sequence of str, keyword-only
        Fields of a structured ``rows``, in output order.

    Returns
    -------
    str
    """
    rows = np.asarray(rows)
    buf = io.StringIO()
    if header:
        buf.write(",".join(header) + "\n")
    if not len(rows):
        return buf.getvalue()
    if rows.dtype.names:
        rows = np.stack([rows[c] for c in columns], axis=1)
    for r in rows.reshape(len(rows), -1):
        buf.write(",".join(_num(v) for v in r) + "\n")
    return buf.getvalue()


def sort_rows(rows: np.ndarray) -> np.ndarray:
    """Metadata rows in bindata's order: by frame, then source, then class."""
    return np.sort(np.asarray(rows, dtype=ROW_DTYPE), order=["frame", "source", "class"])
