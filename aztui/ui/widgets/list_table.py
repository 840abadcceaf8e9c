"""`ListTable`: the DataTable every pane lists in, with the cursor keys people's fingers know.

Textual's DataTable binds its cursor keys without ids, so a `[keymap]` could not remap them and
help could not list them. Here every cursor binding has an id (`cursor-down = "n"` remaps it) and
the vi keys come with the arrows: `j`/`k`, `g`/`G` and Home/End (top, bottom), ctrl+d/ctrl+u (half
a page). Enter, Left and Right are left to the pane, which binds them to open and up (with
`l`/`h`), so they can be remapped there too. `ListOptions` gives the option lists of dialogs the
same `j`/`k`/`g`/`G`.

On a narrow terminal the table gives up columns in its `drop_order` (low priority first) until the
rest fits, so the identifying column and timestamps are never cut at the edge; they come back when
there is room. `show_sort` marks the sorted column's header with ▲ or ▼.
"""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable, OptionList

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
        self.drop_order: tuple[str, ...] = ()  # column keys to hide first when the columns do not fit
        self._held_keys: list[tuple[str, tuple]] | None = None  # cursor moves typed ahead of the rows

    async def _on_idle(self, event) -> None:
        await super()._on_idle(event)  # column widths are measured here
        self.fit()

    def on_resize(self) -> None:
        self.fit()

    def fit(self) -> None:
        """Hide the fewest columns of `drop_order` so that the others fit the width; show the rest."""
        available = self.scrollable_content_region.width
        if not available or not self.columns:
            return
        padding = 2 * self.cell_padding
        widths = {key.value: column.content_width + padding for key, column in self.columns.items()}
        hidden: set[str] = set()
        for key in self.drop_order:
            if sum(w for k, w in widths.items() if k not in hidden) <= available:
                break
            if key in widths:
                hidden.add(key)
        changed = False
        for key, column in self.columns.items():
            if key.value not in self.drop_order:
                continue  # a column the table never gives up keeps its own width
            hide = key.value in hidden
            if hide == column.auto_width:  # hidden columns are the ones not sized by their content
                column.auto_width, column.width = not hide, 0 if hide else column.content_width
                changed = True
        if changed:
            self._require_update_dimensions = True
            self.refresh()

    @property
    def hidden_columns(self) -> list[str]:
        """The keys of the columns given up for lack of width."""
        return [key.value for key, column in self.columns.items()
                if key.value in self.drop_order and not column.auto_width]

    def action_half_page(self, direction: int) -> None:
        """Move the cursor half the visible rows down (1) or up (-1)."""
        if self._typed_ahead("half_page", direction) or not self.row_count:
            return
        rows = max(1, (self.scrollable_content_region.height - self.header_height) // 2)
        row = min(max(self.cursor_row + direction * rows, 0), self.row_count - 1)
        self.move_cursor(row=row)

    # --- type-ahead: cursor keys pressed before the rows are there ---------------------------

    def hold_cursor_keys(self) -> None:
        """Keep the cursor moves typed while the table is empty (its rows on their way) until
        `replay_cursor_keys`: Backspace then `j j` lands two rows below the folder left, as typed,
        instead of the `j`s moving nothing."""
        if self._held_keys is None:
            self._held_keys = []

    def replay_cursor_keys(self) -> None:
        """Make the held moves (in order) and stop holding."""
        held, self._held_keys = self._held_keys, None
        for action, args in held or ():
            getattr(self, f"action_{action}")(*args)

    def _typed_ahead(self, action: str, *args) -> bool:
        if self._held_keys is None or self.row_count:
            return False
        self._held_keys.append((action, args))
        return True

    def action_cursor_down(self) -> None:
        if not self._typed_ahead("cursor_down"):
            super().action_cursor_down()

    def action_cursor_up(self) -> None:
        if not self._typed_ahead("cursor_up"):
            super().action_cursor_up()

    def action_scroll_top(self) -> None:
        if not self._typed_ahead("scroll_top"):
            super().action_scroll_top()

    def action_scroll_bottom(self) -> None:
        if not self._typed_ahead("scroll_bottom"):
            super().action_scroll_bottom()

    def action_page_down(self) -> None:
        if not self._typed_ahead("page_down"):
            super().action_page_down()

    def action_page_up(self) -> None:
        if not self._typed_ahead("page_up"):
            super().action_page_up()

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


class ListOptions(OptionList):
    """An OptionList (the profile picker, the tier prompt) with the vi keys every list answers to."""

    BINDINGS = [
        _binding("j", "cursor_down", "Down", "cursor-down", "Highlight the next option"),
        _binding("k", "cursor_up", "Up", "cursor-up", "Highlight the previous option"),
        _binding("g", "first", "Top", "cursor-top", "Highlight the first option"),
        _binding("G", "last", "Bottom", "cursor-bottom", "Highlight the last option"),
    ]
