"""The help screen: every binding of the app, its panes and screens (the app lists their BINDINGS).

Keys are shown after the profiles file's `[keymap]` is applied, so the list never goes stale.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingsMap
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label

from aztui.ui.widgets.list_table import ListTable


def binding_sections(app) -> list[tuple[str, list[Binding]]]:
    """(section, bindings) of `app.binding_lists()`, under the keys of the app's keymap, one row per id."""
    result = []
    for title, bindings in app.binding_lists():
        bindings_map = BindingsMap(bindings)
        bindings_map.apply_keymap(app._keymap)
        unique = {}
        for key, binding in bindings_map:
            if binding.id:
                unique.setdefault(binding.id, []).append(binding.with_key(key))
        result.append((title, [group[0].with_key(",".join(b.key for b in group)) for group in unique.values()]))
    return result


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q", "close", "Close", id="close")]

    def compose(self) -> ComposeResult:
        with Vertical(id="help", classes="dialog"):
            yield Label(Text("Keys (remap them by id in the profiles file's [keymap] table)", style="bold"))
            yield ListTable(id="help-table")

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        self.call_after_refresh(self.fill)

    def on_resize(self) -> None:
        self.call_after_refresh(self.fill)

    def fill(self) -> None:
        """The rows, fitted to the width: descriptions wrap; a narrow screen drops the Action column."""
        table = self.query_one(DataTable)
        width = table.scrollable_content_region.width or self.app.size.width
        if width == getattr(self, "_filled_at", None):
            return
        self._filled_at = width
        wide = width >= 90
        fixed = {"Key": 16, "Action": 16, "Id": 22} if wide else {"Key": 12, "Id": 20}
        rest = max(16, width - sum(fixed.values()) - 2 * (len(fixed) + 1) - 2)  # cell padding, scroll bar
        table.clear(columns=True)
        for label, column_width in (*fixed.items(), ("What it does", rest)):
            table.add_column(label, width=column_width)
        for section, bindings in binding_sections(self.app):
            table.add_row(*[Text(section, style="bold underline")] + [Text("")] * len(fixed))
            for binding in bindings:
                keys = ", ".join(self.app.get_key_display(b)
                                 for b in (binding.with_key(k) for k in binding.key.split(",")))
                cells = [Text(keys, style="bold")] + [Text(binding.description)] * wide
                cells += [Text(binding.id, "dim", overflow="fold"), Text(binding.tooltip)]
                table.add_row(*cells, height=None)

    def action_close(self) -> None:
        self.dismiss(None)
