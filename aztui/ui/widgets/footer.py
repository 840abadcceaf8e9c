"""Textual's Footer without its leak.

Every screen or binding change recomposes the footer, and each new key is bound to the footer's
`compact` reactive; Textual drops the old keys' watchers only when `compact` changes, which it
never does here, so every change kept ~15 dead keys alive (found by the app-start fuzzing).
"""

from __future__ import annotations

from textual.widgets import Footer as TextualFooter


class Footer(TextualFooter):
    async def recompose(self) -> None:
        await super().recompose()
        for watchers in getattr(self, "__watchers", {}).values():
            watchers[:] = [(node, callback) for node, callback in watchers
                           if node is self or getattr(node, "is_attached", True)]
