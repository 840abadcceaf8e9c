"""Textual's Footer, rebuilt only when what it shows changed, and without its leak.

Textual recomposes the footer on every binding change of the screen (each focus change, each
keymap or profile change), restyling a dozen new keys each time; here it recomposes only when the
keys it would show (key, display, description, enabled, tooltip) differ from the ones it shows.
Each new key is bound to the footer's `compact` reactive, and Textual drops the old keys' watchers
only when `compact` changes, which it never does here, so every rebuild kept ~15 dead keys alive
(found by the app-start fuzzing): they are dropped after each rebuild.
"""

from __future__ import annotations

from textual.widgets import Footer as TextualFooter


class Footer(TextualFooter):
    _shown: tuple | None = None

    def _keys(self) -> tuple:
        """What `compose` would show now, as comparable values."""
        return (self.show_command_palette, self.compact, tuple(
            (binding.key, self.app.get_key_display(binding), binding.description, binding.action,
             binding.show, enabled, tooltip, binding.group and binding.group.description)
            for _node, binding, enabled, tooltip in self.screen.active_bindings.values()))

    async def recompose(self) -> None:
        keys = self._keys() if self._bindings_ready and self.is_attached else None
        if keys is not None and keys == self._shown:
            return
        self._shown = keys
        await super().recompose()
        for watchers in getattr(self, "__watchers", {}).values():
            watchers[:] = [(node, callback) for node, callback in watchers
                           if node is self or getattr(node, "is_attached", True)]
