"""The error hierarchy of probisim, and the formatting of values in its messages.

Every error probisim raises on purpose derives from :class:`ProbisimError`, so a
caller can catch them all at once; each also keeps the builtin base that code
and users catch it by (``except ValueError`` still catches a bad config)::

    ProbisimError
    ├── ConfigError (ValueError)          bad input: one line naming key, value, expectation
    ├── OutputError (ValueError)          the output location cannot be used
    │   ├── OutputExistsError             it exists and neither force nor resume was given
    │   └── OutputBusyError               another run holds its lock
    ├── StoreError (RuntimeError)         writing a results directory failed midway
    ├── SimulationError (RuntimeError)    a participant's state turned non-finite / non-physiological / died out
    ├── SweepMismatchError (ValueError)   resuming a sweep directory with another config/design
    ├── IncompleteSweepError (RuntimeError)  tasks failed, so the analysis cannot be computed
    ├── ExecutorUnavailableError (ImportError)  in probisim.sweep.executors (executor-specific)
    └── WorkerLostError (RuntimeError)          in probisim.sweep.executors (executor-specific)

The command line maps them to exit codes: ConfigError, OutputError and the
sweep's OutputExistsError/SweepMismatchError are bad input (2); SimulationError,
StoreError and IncompleteSweepError are failures of a valid run (1).
"""

from __future__ import annotations

import json
import math
import numbers
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["ProbisimError", "ConfigError", "OutputError", "OutputExistsError", "OutputBusyError", "StoreError",
           "SimulationError", "SweepMismatchError", "IncompleteSweepError"]

_NOVALUE: Any = object()  # sentinel: "no value was given"
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


class ProbisimError(Exception):
    """Base of every error probisim raises on purpose."""

    def __reduce__(self) -> tuple[Any, ...]:
        # constructors take extra or keyword-only arguments: pickle the state instead
        # (errors travel back from sweep workers: multiprocessing, Dask)
        return (_restore_error, (type(self), self.args, dict(self.__dict__)))


def _restore_error(cls: type, args: tuple, state: dict[str, Any]) -> ProbisimError:
    err = cls.__new__(cls)
    err.args = args
    err.__dict__.update(state)
    return err


class OutputError(ProbisimError, ValueError):
    """The output location cannot be used; a one-line message (CLI exit 2)."""


class OutputExistsError(OutputError):
    """The output directory exists and ``force`` (or, for a sweep, ``resume``) was not given."""


class OutputBusyError(OutputError):
    """Another probisim run holds the output location's lock."""


class StoreError(ProbisimError, RuntimeError):
    """Writing the results directory failed; ``path`` is where partial output was kept."""

    def __init__(self, message: str, path=None):
        super().__init__(message)
        self.path = path


class SimulationError(ProbisimError, RuntimeError):
    """A participant's state turned non-finite, left the physiological range (a blood
    value beyond a clear limit) or its community died out, on ``day``; ``pids`` are
    the participants concerned."""

    def __init__(self, message: str, pids, day: int):
        super().__init__(message)
        self.pids = pids
        self.day = day


class SweepMismatchError(ProbisimError, ValueError):
    """Resuming a sweep directory whose config or design differs from this run's."""


class IncompleteSweepError(ProbisimError, RuntimeError):
    """Some sweep tasks failed (ids in ``failed``), so the requested analysis cannot be computed yet."""

    def __init__(self, message: str, failed=()):
        super().__init__(message)
        self.failed = tuple(failed)


class ConfigError(ProbisimError, ValueError):
    """A configuration problem, reported on one line.

    Attributes: ``path`` (dotted key such as
    ``arms[1].interventions[0].dose_cfu_per_day``; ``""`` for the whole
    document), ``value`` (the offending value, ``None`` if not applicable),
    ``expected`` (human description of what is allowed), ``suggestion``
    (nearest valid key/choice or ``None``), ``filename``, ``line``, ``column``
    (known for TOML syntax errors) and ``message`` (free text, may be empty).

    Raise it from a dataclass ``__post_init__`` for cross-field checks, with a
    path *relative to that dataclass* (e.g. ``path="end_day"``);
    :func:`from_dict` prefixes the location of the table being built.
    """

    def __init__(
        self,
        message: str = "",
        *,
        path: str = "",
        value: Any = _NOVALUE,
        expected: str = "",
        suggestion: str | None = None,
        filename: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.message = message
        self.path = path
        self._has_value = value is not _NOVALUE
        self.value = None if value is _NOVALUE else value
        self.expected = expected
        self.suggestion = suggestion
        self.filename = filename
        self.line = line
        self.column = column
        self._kind = "custom" if message or not self._has_value else "value"
        self._anchored = False  # True once `path` is absolute
        super().__init__(message or expected or path)

    def _body(self) -> str:
        kind = self._kind
        where = f"config error at '{self.path}'" if self.path else "config error"
        if kind == "unknown":
            text = f"unknown key '{self.path}'"
            if self.suggestion:
                return f"{text} — did you mean '{self.suggestion}'?"
            return f"{text} (expected {self.expected})" if self.expected else text
        if kind == "missing":
            text = f"missing required key '{self.path}'"
            text += f" (expected {self.expected})" if self.expected else ""
        elif kind == "syntax":
            text = f"TOML syntax error: {self.message}"
        elif kind == "value":
            text = f"{where}: got {_show(self.value)}"
            text += f" (expected {self.expected})" if self.expected else ""
        else:
            text = f"{where}: {self.message}" if self.message else where
            if self._has_value and self.expected:
                text += f" (got {_show(self.value)}, expected {self.expected})"
            elif self._has_value:
                text += f" (got {_show(self.value)})"
            elif self.expected:
                text += f" (expected {self.expected})"
        if self.suggestion:
            text += f" — did you mean '{self.suggestion}'?"
        return text

    def __str__(self) -> str:
        body = self._body()
        if self.filename:
            loc = str(self.filename)
            if self.line is not None:
                loc += f":{self.line}"
                if self.column is not None:
                    loc += f":{self.column}"
            body = f"{loc}: {body}"
        return body


def _err(kind: str, path: str, **kw: Any) -> ConfigError:
    """Build an internal (absolute-path) error of a given kind."""
    err = ConfigError(kw.pop("message", ""), path=path, **kw)
    err._kind = kind
    err._anchored = True
    if kind == "custom":
        err._has_value = False  # the message already says what is wrong
    return err


def _value_err(path: str, value: Any, expected: str, suggestion: str | None = None) -> ConfigError:
    return _err("value", path, value=value, expected=expected, suggestion=suggestion)




# ---------------------------------------------------------------------------
# Small formatting helpers
# ---------------------------------------------------------------------------


def _fmt_num(x: Any) -> str:
    """Compact, exact-enough number formatting: 1e13, 0.5, 3."""
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, numbers.Integral):
        x = int(x)
        return str(x) if x.bit_length() < 200 else f"<{x.bit_length()}-bit integer>"
    try:
        x = float(x)
    except (TypeError, ValueError, OverflowError):
        return repr(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    text = format(x, "g")
    if float(text) != x:
        text = repr(x)
    return text.replace("e+0", "e").replace("e+", "e").replace("e-0", "e-")


def _show(value: Any, limit: int = 80) -> str:
    """TOML-flavoured, truncated rendering of a value for error messages."""
    if value is None:
        text = "None"
    elif isinstance(value, (bool, numbers.Number)):
        text = _fmt_num(value)
    elif isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, (list, tuple)):
        items = [_show(v, 20) for v in list(value)[:5]]
        text = "[" + ", ".join(items) + (", ...]" if len(value) > 5 else "]")
    elif isinstance(value, Mapping):
        items = [f"{_key_text(k)} = {_show(v, 20)}" for k, v in list(value.items())[:3]]
        text = "{" + ", ".join(items) + (", ...}" if len(value) > 3 else "}")
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _key_text(key: Any) -> str:
    """A key as it appears in a dotted path (quoted unless a bare TOML key)."""
    if isinstance(key, str):
        return key if _BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)
    return json.dumps(repr(key), ensure_ascii=False)


