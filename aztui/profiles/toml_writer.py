"""TOML writing: `render_table` for a document or one table, `toml_key` for a key.

Loaded only when something writes TOML (`profile_to_toml`, `document_to_toml`, a hint).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any

from aztui.profiles.model import Secret
from aztui.profiles.toml_lines import BARE_KEY


def render_table(path: tuple[str, ...], table: Mapping[str, Any]) -> str:
    """`table` under the header `path` (none for `()`); sub-tables follow as their own headers."""
    scalars = [(k, v) for k, v in table.items() if v is not None and not isinstance(v, Mapping)]
    tables = [(k, v) for k, v in table.items() if isinstance(v, Mapping)]
    lines = [f"[{'.'.join(toml_key(p) for p in path)}]"] if path else []
    lines += [f"{toml_key(k)} = {_toml_value(v)}" for k, v in scalars]
    text = "\n".join(lines) + "\n" if lines else ""
    for key, sub in tables:
        text += ("\n" if text else "") + render_table((*path, key), sub)
    return text


def toml_key(key: str) -> str:
    """A key as TOML writes it: bare if it can be, else quoted."""
    return key if re.fullmatch(BARE_KEY, key) else _toml_string(key)


def _toml_string(text: str) -> str:
    escapes = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
    out = []
    for char in text:
        if char in escapes:
            out.append(escapes[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Secret):
        return _toml_string(f"env:{value.env_name}" if value.env_name else value.literal or "")
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise ValueError(f"cannot write a {type(value).__name__} to TOML")
