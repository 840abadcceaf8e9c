"""The `[keymap]` table checked against the TUI's bindings: unknown ids, keys that hide others.

`[keymap]` maps a binding id to keys (`open = "o"`, `cursor-down = "j,ctrl+n"`). The TUI ignores
an id it does not know, and a key given to two bindings of the same place works for one of them
only, both silently; `aztui profiles validate` says so instead (an error with the nearest valid
id; a warning naming the binding that loses its key).

`PLACES` is the TUI's bindings as plain data (this package imports no Textual): each place's ids
and default keys, in Textual's key names. tests/ui/test_habits.py checks it against the app.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

from aztui.units import terminal_safe

PLACES: dict[str, dict[str, str]] = {
    "Everywhere": {
        "pane-containers": "1", "pane-registry": "2", "pane-cache": "3", "profiles": "p",
        "test-profile": "t", "refresh": "r", "help": "question_mark", "quit": "q", "jump": "colon",
    },
    "Every list": {
        "cursor-down": "down,j", "cursor-up": "up,k", "cursor-top": "home,g,ctrl+home",
        "cursor-bottom": "end,G,ctrl+end", "half-page-down": "ctrl+d", "half-page-up": "ctrl+u",
        "page-down": "pagedown", "page-up": "pageup", "scroll-right": "shift+right", "scroll-left": "shift+left",
    },
    "Containers pane": {
        "open": "enter,l,right", "up": "backspace,h,left", "filter": "slash", "search": "s", "sort-name": "n",
        "sort-size": "z", "sort-modified": "m", "load-all": "L", "details": "i", "usage": "u", "mark": "space",
        "delete": "x,delete", "mark-all": "plus", "clear-marks": "minus", "invert-marks": "asterisk",
        "cancel": "escape", "show-deleted": "D", "undelete": "U", "tier": "T", "copy-name": "y",
        "copy-url": "Y", "view": "v",
    },
    "Blob details": {"back": "escape,backspace", "download": "d", "copy-name": "y", "copy-url": "Y", "view": "v"},
    "Registry pane": {
        "open": "enter,l,right", "up": "backspace,h,left", "registry-other-table": "tab", "sort-name": "n",
        "sort-modified": "m", "sort-created": "c", "registry-delete": "x,delete", "registry-lock": "L",
        "registry-lock-delete": "D", "registry-gc": "C", "registry-purge": "P", "cancel": "escape",
    },
    "Cache pane": {
        "open": "enter,l,right", "up": "backspace,h,left", "cache-orphans": "o", "cache-anomalies": "a",
        "sort-name": "n", "sort-size": "z", "sort-unique": "u", "sort-modified": "m", "cache-gc": "x,delete",
        "cache-drop-broken": "b", "cancel": "escape",
    },
    "GC plan": {"gc-execute": "x,delete", "gc-switch": "tab", "close": "escape"},
    "Profile picker": {"close": "escape", "test-profile": "t"},
    "Profile test": {"doctor-rerun": "r", "doctor-write": "w", "close": "escape"},
    "Help": {"close": "escape,question_mark,q"},
}

# the places whose keys are live together: a focused list, its pane, and the app's own keys;
# a dialog (modal screen) only its own
CHAINS: dict[str, tuple[str, ...]] = {
    "Containers pane": ("Every list", "Containers pane", "Everywhere"),
    "Registry pane": ("Every list", "Registry pane", "Everywhere"),
    "Cache pane": ("Every list", "Cache pane", "Everywhere"),
    **{place: (place,) for place in ("Blob details", "GC plan", "Profile picker", "Profile test", "Help")},
}

_REPLACEMENTS = {"solidus": "slash", "reverse_solidus": "backslash", "commercial_at": "at",
                 "hyphen_minus": "minus", "plus_sign": "plus", "low_line": "underscore"}


def binding_ids() -> set[str]:
    return {binding_id for ids in PLACES.values() for binding_id in ids}


def key_name(key: str) -> str:
    """A key as Textual names it: `/` → `slash`, `?` → `question_mark`, `ctrl+x` unchanged."""
    if key == " ":
        return "space"
    key = key.strip()
    if len(key) == 1 and not key.isalnum():
        name = unicodedata.name(key, key).lower().replace("-", "_").replace(" ", "_")
        return _REPLACEMENTS.get(name, name)
    return key


def keys_of(value: str) -> list[str]:
    return [key_name(k) for k in value.split(",") if k.strip()]


def check_keymap(keymap: dict[str, str], problem: Callable[..., None], suggest: Callable[[str, list], str]) -> None:
    """Report `keymap`'s problems: `problem(binding_id, message, hint=, severity=)` for each.

    Unknown ids are errors (`suggest(id, valid ids)` gives the "did you mean" text); a key that a
    remapped binding shares with another binding of the same chain is a warning.
    """
    valid = sorted(binding_ids())
    for binding_id in keymap:
        if binding_id not in valid:
            problem(binding_id, f"no key binding has the id `{terminal_safe(binding_id)}`{suggest(binding_id, valid)}",
                    hint="`?` in the TUI lists every binding id", severity="error")
    reported = set()
    for chain in CHAINS.values():
        keys: dict[str, list[tuple[str, str]]] = {}   # key -> [(id, place)] after the keymap
        for place in chain:
            for binding_id, default in PLACES[place].items():
                for key in keys_of(keymap.get(binding_id, default)):
                    keys.setdefault(key, []).append((binding_id, place))
        for key, owners in keys.items():
            ids = list(dict.fromkeys(binding_id for binding_id, _ in owners))
            for binding_id in (b for b in ids if b in keymap):
                for other in (o for o in ids if o != binding_id):
                    place = next(p for b, p in owners if b == other)
                    if (binding_id, other, key) in reported:
                        continue
                    reported.add((binding_id, other, key))
                    where = {"Everywhere": "everywhere", "Every list": "in every list"}.get(place, f"in the {place}")
                    problem(binding_id, f"`{terminal_safe(key)}` is also the key of `{other}` {where}: "
                            "only one of them works",
                            hint=f"give `{binding_id}` another key, or `{other}` one too", severity="warning")
