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
            yield DataTable(id="help-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Key", "Action", "Id", "What it does")
        for section, bindings in binding_sections(self.app):
            table.add_row(Text(section, style="bold underline"), Text(""), Text(""), Text(""))
            for binding in bindings:
                keys = ", ".join(self.app.get_key_display(b)
                                 for b in (binding.with_key(k) for k in binding.key.split(",")))
                table.add_row(Text(keys, style="bold"), Text(binding.description), Text(binding.id, "dim"),
                              Text(binding.tooltip))
        table.focus()

    def action_close(self) -> None:
        self.dismiss(None)
