"""Strict, typed, documented configuration for probisim.

Every simulation input (model parameters, trial design, run settings) is a
frozen dataclass whose fields are declared with :func:`param`, which attaches
the unit, the admissible range, allowed choices, a literature source and a
one-line meaning to the field.  Configuration files are TOML (stdlib
:mod:`tomllib`); they are parsed into plain dicts, layered (``extends``),
patched by ``--set``-style overrides, and then converted *strictly* into the
dataclasses by :func:`from_dict`.

Why strict: a simulated trial that silently ran with a mistyped key
(``bifido_basline``) or with a dose of ``-3`` CFU/day would produce
plausible-looking but wrong results.  So unknown keys, wrong types, NaN/inf,
out-of-range values and unknown choices are all rejected with a
:class:`ConfigError` that names the dotted path of the offending value, what
was expected, the file it came from, and a did-you-mean suggestion.

Nothing in a configuration is ever executed: values are plain TOML data and
the schema is given by the dataclass type hints.  Supported field types are
``float``, ``int``, ``bool``, ``str`` (optionally ``Literal[...]``), nested
dataclasses, ``tuple[X, ...]`` (and fixed ``tuple[A, B]``, ``list[X]``),
``dict[str, X]``, ``X | None`` and tagged unions of dataclasses that carry a
``kind: ClassVar[str]`` class attribute.

TOML has no null: ``None`` values are *omitted* by :func:`to_dict` and by
:func:`dumps_toml`, and an absent ``Optional`` field becomes ``None`` (or its
declared default) again on loading.

Modules: :mod:`.schema` (``param`` and type introspection), :mod:`.convert`
(``from_dict``/``to_dict``/``config_hash``), :mod:`.paths` and :mod:`.overrides`
(dotted paths and ``--set``), :mod:`.toml` (reading with ``extends`` and
provenance; writing with tomli-w), :mod:`.describe` (the parameter reference
behind ``probisim explain``). No work at import time.
"""

from ..core.errors import ConfigError
from .convert import config_hash, from_dict, to_dict
from .describe import describe_fields, lookup_field
from .overrides import apply_overrides
from .schema import LABEL_MAX_CHARS, check_label, closest, param
from .toml import deep_merge, dump, dumps_toml, load, load_raw, loads

__all__ = ["LABEL_MAX_CHARS", "check_label", "closest", "ConfigError", "apply_overrides", "config_hash", "deep_merge",
           "describe_fields", "dump", "dumps_toml", "from_dict", "load", "load_raw", "loads", "lookup_field", "param",
           "to_dict"]
