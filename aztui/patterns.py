"""Regular expressions typed by the user (`cache gc --include`, `registry purge --filter`...).

They are compiled with the `regex` package (the same syntax as `re`), whose matching takes a
timeout: a catastrophic pattern such as `(a+)+$` stops after `MATCH_TIMEOUT` seconds with an
`AztuiError` naming the option, the pattern and the name, instead of hanging the command or the TUI.
"""

from __future__ import annotations

from dataclasses import dataclass

import regex

from aztui.errors import AztuiError

MATCH_TIMEOUT = 1.0  # seconds per name


@dataclass(frozen=True)
class UserPattern:
    option: str                 # "--include", "--filter"... : named in every error
    text: str                   # as the user typed it
    compiled: regex.Pattern
    error: type[AztuiError]     # raised on a timeout (the caller's input-error class, exit code 2)

    def search(self, name: str) -> bool:
        return self._run(self.compiled.search, name)

    def fullmatch(self, name: str) -> bool:
        return self._run(self.compiled.fullmatch, name)

    def _run(self, method, name: str) -> bool:
        try:
            return method(name, timeout=MATCH_TIMEOUT) is not None
        except TimeoutError:
            raise self.error(
                f"{self.option} {self.text!r}: the pattern took longer than {MATCH_TIMEOUT:g} s "
                f"on name {name!r}: simplify it",
                hint="avoid nested repetition such as (a+)+; anchor the pattern (^...) where you can",
            ) from None


def compile_pattern(source: str, *, option: str, text: str, error: type[AztuiError],
                    hint: str = "Python `re` syntax") -> UserPattern:
    """`source` compiled; an invalid one raises `error` naming `option` and `text` (what the user typed)."""
    try:
        return UserPattern(option, text, regex.compile(source), error)
    except (regex.error, ValueError, OverflowError, RecursionError) as exc:
        raise error(f"{option} {text!r} is not a valid regular expression: {exc}",
                    hint=hint) from None
