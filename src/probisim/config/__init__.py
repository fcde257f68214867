"""Configuration: TOML into strict, documented, frozen dataclasses (see :mod:`.schema`)."""

from .schema import (
    ConfigError, apply_overrides, config_hash, deep_merge, describe_fields, dump, dumps_toml, from_dict, load,
    load_raw, loads, lookup_field, param, to_dict,
)

__all__ = ["ConfigError", "apply_overrides", "config_hash", "deep_merge", "describe_fields", "dump", "dumps_toml",
           "from_dict", "load", "load_raw", "loads", "lookup_field", "param", "to_dict"]
