"""The command palette's "actions" provider: every binding active where the palette was opened.

Listing `active_bindings` (not a hand-kept list) means the palette offers exactly what the keys
do right now: read-only profiles hide mutating actions here too (their `check_action` is False).
"""

from __future__ import annotations

from functools import partial

from rich.text import Text
from textual.command import DiscoveryHit, Hit, Hits, Provider


class ActionsProvider(Provider):
    def _actions(self) -> list[tuple[str, str, object]]:
        """(title, help, callback) for each enabled binding with an id, one per id."""
        seen: set[str] = set()
        actions = []
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if not active.enabled or binding.id is None or binding.system or binding.id in seen:
                continue
            seen.add(binding.id)
            key = self.app.get_key_display(binding)
            title = f"{binding.description or binding.id} ({key})"
            callback = partial(self.app.run_action, binding.action, active.node)
            actions.append((title, binding.tooltip or binding.description or binding.id, callback))
        return sorted(actions, key=lambda action: action[0].lower())

    async def discover(self) -> Hits:
        for title, help_text, callback in self._actions():
            yield DiscoveryHit(Text(title), callback, text=title, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._actions():
            score = matcher.match(f"{title} {help_text}")
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, text=title, help=help_text)
