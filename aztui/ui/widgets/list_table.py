"""`ListTable`: the DataTable every pane lists in, with the cursor keys people's fingers know.

Textual's DataTable binds its cursor keys without ids, so a `[keymap]` could not remap them and
help could not list them. Here every cursor binding has an id (`cursor-down = "n"` remaps it) and
the vi keys come with the arrows: `j`/`k`, `g`/`G` and Home/End (top, bottom), ctrl+d/ctrl+u (half
a page). Enter, Left and Right are left to the pane, which binds them to open and up (with
`l`/`h`), so they can be remapped there too.
"""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

ASCENDING, DESCENDING = " ▲", " ▼"


def _binding(keys: str, action: str, description: str, id: str, tooltip: str) -> Binding:
    return Binding(keys, action, description, id=id, tooltip=tooltip, show=False)


class ListTable(DataTable, inherit_bindings=False):
    """A row-cursor DataTable whose cursor keys are bindings with ids (see the module docstring)."""

    BINDINGS = [
        _binding("down,j", "cursor_down", "Down", "cursor-down", "Cursor down one row"),
        _binding("up,k", "cursor_up", "Up", "cursor-up", "Cursor up one row"),
        _binding("home,g,ctrl+home", "scroll_top", "Top", "cursor-top", "Cursor to the first row"),
        _binding("end,G,ctrl+end", "scroll_bottom", "Bottom", "cursor-bottom", "Cursor to the last row"),
        _binding("ctrl+d", "half_page(1)", "Half page down", "half-page-down", "Cursor down half a page"),
        _binding("ctrl+u", "half_page(-1)", "Half page up", "half-page-up", "Cursor up half a page"),
        _binding("pagedown", "page_down", "Page down", "page-down", "Cursor down one page"),
        _binding("pageup", "page_up", "Page up", "page-up", "Cursor up one page"),
        _binding("shift+right", "scroll_right", "Scroll right", "scroll-right", "Scroll the columns right"),
        _binding("shift+left", "scroll_left", "Scroll left", "scroll-left", "Scroll the columns left"),
    ]

    def __init__(self, **options) -> None:
        options.setdefault("cursor_type", "row")
        options.setdefault("zebra_stripes", True)
        super().__init__(**options)

    def action_half_page(self, direction: int) -> None:
        """Move the cursor half the visible rows down (1) or up (-1)."""
        if not self.row_count:
            return
        rows = max(1, (self.scrollable_content_region.height - self.header_height) // 2)
        row = min(max(self.cursor_row + direction * rows, 0), self.row_count - 1)
        self.move_cursor(row=row)

    def show_sort(self, column: str | None, descending: bool) -> None:
        """Mark the column keyed `column` with ▲ (ascending) or ▼ (descending); None: no column."""
        for key, col in self.columns.items():
            label = col.label.plain.removesuffix(ASCENDING).removesuffix(DESCENDING)
            if key.value == column:
                label += DESCENDING if descending else ASCENDING
            if label != col.label.plain:
                col.label = Text(label, style=col.label.style)
                col.content_width = max(col.content_width, col.label.cell_len)
                self._require_update_dimensions = True
        self.refresh()
