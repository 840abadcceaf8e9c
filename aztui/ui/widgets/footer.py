"""Textual's Footer, rebuilt only when what it shows changed, and without its leak.

Textual recomposes the footer on every binding change of the screen (each focus change, each
keymap or profile change), restyling a dozen new keys each time; here it recomposes only when the
keys it would show (key, display, description, enabled, tooltip) differ from the ones it shows.
Each new key is bound to the footer's `compact` reactive, and Textual drops the old keys' watchers
only when `compact` changes, which it never does here, so every rebuild kept ~15 dead keys alive
(found by the app-start fuzzing): they are dropped after each rebuild.

On a small terminal the keys that do not fit are left out whole (never cut mid-word), but help
and quit never are: they sit in their own group at the right end, so `?` and `q` are always on
screen.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import HorizontalGroup
from textual.widgets import Footer as TextualFooter
from textual.widgets._footer import FooterKey

ESSENTIAL = ("help", "quit")  # actions whose keys are never clipped


class Footer(TextualFooter):
    _shown: tuple | None = None

    def _keys(self) -> tuple:
        """What `compose` would show now, as comparable values."""
        return (self.show_command_palette, self.compact, tuple(
            (binding.key, self.app.get_key_display(binding), binding.description, binding.action,
             binding.show, enabled, tooltip, binding.group and binding.group.description)
            for _node, binding, enabled, tooltip in self.screen.active_bindings.values()))

    def compose(self) -> ComposeResult:
        """The keys to show, one per action: the pane's and screen's first, help and quit at the end."""
        if not self._bindings_ready:
            return
        shown: dict[str, tuple] = {}
        for _node, binding, enabled, tooltip in self.screen.active_bindings.values():
            if binding.show:
                shown.setdefault(binding.action, (binding, enabled, tooltip))
        with HorizontalGroup(id="footer-keys"):
            for action, key in shown.items():
                if action not in ESSENTIAL:
                    yield self._key(*key)
        with HorizontalGroup(id="footer-essential"):
            for action in ESSENTIAL:
                if action in shown:
                    yield self._key(*shown[action])

    def _key(self, binding, enabled: bool, tooltip: str) -> FooterKey:
        return FooterKey(binding.key, self.app.get_key_display(binding), binding.description, binding.action,
                         disabled=not enabled, tooltip=tooltip).data_bind(compact=TextualFooter.compact)

    def on_resize(self) -> None:
        self.call_after_refresh(self._fit)

    def _fit(self) -> None:
        """Show the pane's keys from the left while each fits whole; hide the rest."""
        groups = self.query("#footer-keys")
        if not groups:
            return
        room, used = groups.first().size.width, 0
        for key in groups.first().query(FooterKey):
            used += key.render().cell_len + key.styles.margin.width
            key.display = used - key.styles.margin.right <= room

    async def recompose(self) -> None:
        keys = self._keys() if self._bindings_ready and self.is_attached else None
        if keys is not None and keys == self._shown:
            return
        self._shown = keys
        await super().recompose()
        self.call_after_refresh(self._fit)
        for watchers in getattr(self, "__watchers", {}).values():
            watchers[:] = [(node, callback) for node, callback in watchers
                           if node is self or getattr(node, "is_attached", True)]
