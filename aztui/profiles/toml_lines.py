"""Best-effort line numbers of TOML keys, so a problem can say `file:line`.

`tomllib` returns values without positions; `scan_key_lines` re-reads the text line by line.
"""

from __future__ import annotations

import re
import tomllib

BARE_KEY = r"[A-Za-z0-9_-]+"
_BASIC = r'"(?:[^"\\\n]|\\.)*"'
_LITERAL = r"'[^'\n]*'"
_KEY_PART = rf"\s*(?:{_BASIC}|{_LITERAL}|{BARE_KEY})\s*"
_KEY_PATH = rf"{_KEY_PART}(?:\.{_KEY_PART})*"
_HEADER = re.compile(rf"\s*\[\[?({_KEY_PATH})\]\]?\s*(?:#.*)?")
_ASSIGN = re.compile(rf"({_KEY_PATH})=")
_TOKEN = re.compile(rf"{_BASIC}|{_LITERAL}|{BARE_KEY}")


def _key_parts(path: str) -> tuple[str, ...]:
    parts = []
    for token in _TOKEN.findall(path):
        if token.startswith('"'):
            try:
                token = tomllib.loads(f"k = {token}")["k"]
            except tomllib.TOMLDecodeError:
                token = token[1:-1]
        elif token.startswith("'"):
            token = token[1:-1]
        parts.append(token)
    return tuple(parts)


def scan_key_lines(text: str) -> dict[tuple[str, ...], int]:
    """Best effort: the line of every table header and `key =` (and each prefix of them)."""
    lines: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    in_multiline = None
    for number, line in enumerate(text.split("\n"), start=1):  # not splitlines(): TOML ends lines only at LF
        if in_multiline:
            if line.count(in_multiline) % 2:
                in_multiline = None
            continue
        if header := _HEADER.fullmatch(line):
            table = _key_parts(header.group(1))
            found = table
        elif assign := _ASSIGN.match(line):
            found = table + _key_parts(assign.group(1))
            rest = line[assign.end():]
            for quotes in ('"""', "'''"):
                if rest.count(quotes) % 2:
                    in_multiline = quotes
        else:
            continue
        for end in range(1, len(found) + 1):
            lines.setdefault(found[:end], number)
    return lines
