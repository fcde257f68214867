"""File output and tables: the one atomic writer, JSON and the CSV layer.

Every file probisim writes (a results directory, a sweep directory) goes
through :func:`atomic_file`: the content goes to a new temporary file in the
target's directory, which then replaces the target with :func:`os.replace`.
A reader sees the old file or the complete new one, never a torn write; a
crash leaves at most a hidden ``.NAME.*.tmp`` file next to it. The temporary
file is created exclusively and without following links, and ``os.replace``
replaces a symbolic link at the target itself: nothing is ever written through
a link.

Tables are dicts of equal-length columns (``{name: array or list}``), written
as CSV with one row per index, columns in dict order. Cells: ``True``/``False``
for booleans, ``repr`` for floats (exact round trip; ``nan``, ``inf``), plain
digits for integers, ``str`` for the rest. :func:`read_csv` reverses that,
inferring each column's type unless told.

JSON: :func:`json_text` writes NumPy values as plain numbers and non-finite
floats as ``null`` (strict JSON), or with ``finite=False`` keeps ``NaN`` as
Python's :mod:`json` writes and reads it.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np

__all__ = ["atomic_file", "write_text_atomic", "to_jsonable", "json_text", "write_json", "read_json",
           "csv_text", "write_csv", "read_csv", "CRLF", "LF"]

#: line ends of CSV files: results directories use the csv module's default (RFC 4180),
#: sweep directories plain newlines
CRLF, LF = "\r\n", "\n"


# ---------------------------------------------------------------------------
# the atomic writer
# ---------------------------------------------------------------------------
@contextlib.contextmanager
def atomic_file(path: str | os.PathLike, mode: str = "w") -> Iterator[IO]:
    """An open file whose content replaces ``path`` when the block ends without error.

    ``mode`` is ``"w"`` (text, UTF-8, no newline translation) or ``"wb"``. The file
    is a new, exclusively created ``.NAME.<pid>.<random>.tmp`` in ``path``'s
    directory (never a link); on success it is closed and renamed over ``path``
    (a link there is replaced, not followed), on any error or interrupt it is removed.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_file mode must be 'w' or 'wb', got {mode!r}")
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
    try:
        if mode == "wb":
            fh = os.fdopen(fd, "wb")
        else:
            fh = os.fdopen(fd, "w", encoding="utf-8", newline="")
        with fh:
            yield fh
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` (UTF-8, as is) to ``path`` atomically (see :func:`atomic_file`)."""
    with atomic_file(path) as fh:
        fh.write(text)


# ---------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------
def to_jsonable(x: Any) -> Any:
    """``x`` with NumPy arrays and scalars as lists and plain numbers, tuples as lists,
    keys as strings and non-finite floats as ``None``."""
    if isinstance(x, dict):
        return {str(k): to_jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [to_jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return [to_jsonable(v) for v in x.tolist()]
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        f = float(x)
        return f if math.isfinite(f) else None
    return x


def json_text(obj: Any, *, indent: int | None = 2, finite: bool = True) -> str:
    """JSON text of ``obj`` and a final newline; keys in insertion order.

    ``indent=None`` writes one compact line (no spaces). ``finite=True``: strict
    JSON through :func:`to_jsonable` (non-finite floats become ``null``);
    ``finite=False``: ``obj`` as is, ``NaN``/``Infinity`` kept (Python reads them back).
    """
    separators = (",", ":") if indent is None else None
    if finite:
        return json.dumps(to_jsonable(obj), indent=indent, separators=separators, allow_nan=False) + "\n"
    return json.dumps(obj, indent=indent, separators=separators) + "\n"


def write_json(path: str | os.PathLike, obj: Any, *, indent: int | None = 2, finite: bool = True) -> None:
    """Write :func:`json_text` of ``obj`` to ``path`` atomically."""
    write_text_atomic(path, json_text(obj, indent=indent, finite=finite))


def read_json(path: str | os.PathLike) -> Any:
    """The JSON document in ``path`` (UTF-8)."""
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


# ---------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------
def _cell(v: Any) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "True" if v else "False"
    if isinstance(v, (float, np.floating)):
        return repr(float(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    return str(v)


def _write_rows(fh: IO[str], header: Sequence[str], rows: Iterable[Sequence[Any]], lineterminator: str) -> None:
    w = csv.writer(fh, lineterminator=lineterminator)
    w.writerow(header)
    for row in rows:
        w.writerow([_cell(v) for v in row])


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]], *, lineterminator: str = CRLF) -> str:
    """CSV text of a header and rows (cells as in :func:`write_csv`)."""
    buf = io.StringIO()
    _write_rows(buf, header, rows, lineterminator)
    return buf.getvalue()


def write_csv(path: str | os.PathLike, table: Mapping[str, Any], *, lineterminator: str = CRLF) -> None:
    """Write a dict-of-columns table to ``path`` atomically, row by row, columns in
    dict order (each column through :func:`numpy.asarray`)."""
    cols = list(table)
    arrs = [np.asarray(table[c]) for c in cols]
    n = len(arrs[0]) if arrs else 0
    with atomic_file(path) as fh:
        _write_rows(fh, cols, (tuple(a[i] for a in arrs) for i in range(n)), lineterminator)


def _infer(vals: list[str]) -> np.ndarray:
    if vals and all(v in ("True", "False") for v in vals):
        return np.array([v == "True" for v in vals])
    try:
        return np.array([int(v) for v in vals], dtype=np.int64)
    except ValueError:
        pass
    try:
        return np.array([float(v) for v in vals], dtype=float)
    except ValueError:
        return np.array(vals, dtype=str)


def _parser(kind: type) -> Callable[[list[str]], np.ndarray]:
    if kind is float:  # an empty cell is a missing value
        return lambda vals: np.array([float(v) if v != "" else math.nan for v in vals], dtype=float)
    if kind is str:
        return lambda vals: np.array(vals, dtype=str)
    raise ValueError(f"read_csv: column types are float or str, not {kind!r}")


def read_csv(path: str | os.PathLike, *, types: Mapping[str, type] | None = None,
             default: type | None = None) -> dict[str, np.ndarray]:
    """Read a CSV with a header row into ``{column: array}`` (``{}`` for an empty file).

    A column named in ``types`` is parsed as that type (``float``: an empty cell is
    NaN; ``str``), every other as ``default`` or, if that is None, inferred: all
    ``True``/``False`` gives bool, else int64 if every cell is an integer, else
    float if every cell is a number, else str.
    """
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    if not rows:
        return {}
    types = dict(types or {})
    head, body = rows[0], rows[1:]
    out = {}
    for j, c in enumerate(head):
        kind = types.get(c, default)
        parse = _infer if kind is None else _parser(kind)
        out[c] = parse([r[j] for r in body])
    return out
