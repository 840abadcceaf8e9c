"""`LazyTable`: a `ListTable` that keeps its rows as plain items and renders only the lines shown.

Textual's DataTable keeps, per row, a `RowKey`, a `Row`, a dict of cells and a place in two
dicts, and several of its paths walk every row: each added row rebuilds a list of every line's
offset, the cursor's region sums the heights of the rows above it, a page of rows is measured
cell by cell. With 100,000 rows a keypress took ~100 ms and a streaming listing stalled for
seconds; a million rows would not fit in memory.

Here the rows are a sequence of items (a list, or the pane's `ListingStore`, which makes each item
when asked for), and no per-row key or index is kept: a key is found in the items when asked
(`index_of`, which the items may do faster themselves); `cells_of(item)`
makes the cells of a row when it is drawn (so marks and styles are read at draw time) and the
DataTable's own rendering, cursor, header, zebra stripes, focus styling and messages work
unchanged on top of lazy views of its row storage (`rows`, `_data`, `_row_locations`). Every row is
one line high. The views fit Textual's DataTable as of 8.x: what they stand in for is private.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import chain
from math import ceil
from time import perf_counter

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual._segment_tools import line_crop
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.reactive import Reactive
from textual.render import measure
from textual.scrollbar import ScrollBar
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets._data_table import (
    _EMPTY_TEXT,
    Row,
    RowDoesNotExist,
    RowKey,
    RowRenderables,
    StringKey,
    default_cell_formatter,
)

from aztui.ui.widgets.list_table import ListTable


def _plain_key(key) -> str:
    return key.value if isinstance(key, StringKey) else key


class _Rows:
    """`DataTable.rows` and `ordered_rows` (by index, slices too): a `Row` made on demand."""

    def __init__(self, table: "LazyTable", span: range | None = None) -> None:
        self.table, self.span = table, span

    # --- the mapping RowKey -> Row ---
    def __contains__(self, key) -> bool:
        return self.table.index_of(_plain_key(key)) is not None

    def get(self, key, default=None):
        return Row(RowKey(_plain_key(key)), 1) if key in self else default

    def __len__(self) -> int:
        return len(self.span) if self.span is not None else len(self.table._items)

    def keys(self) -> Iterator[RowKey]:
        return iter(self)

    def clear(self) -> None:
        pass  # `LazyTable.clear` empties the store

    # --- the sequence of rows in order (ordered_rows); iterating the mapping gives its keys ---
    def __getitem__(self, where):
        if isinstance(where, slice):
            span = (self.span if self.span is not None else range(len(self.table._items)))[where]
            return _Rows(self.table, span)
        if isinstance(where, int):
            index = self.span[where] if self.span is not None else where
            return Row(RowKey(self.table.key_at(index)), 1)
        return Row(RowKey(_plain_key(where)), 1)  # DataTable asks only for keys it holds

    def __iter__(self):
        if self.span is None:  # the mapping: its keys
            return (RowKey(self.table.key_at(i)) for i in range(len(self.table._items)))
        return (Row(RowKey(self.table.key_at(i)), 1) for i in self.span)


class _Data:
    """`DataTable._data`: RowKey -> {ColumnKey: cell}, made from the item when asked for."""

    def __init__(self, table: "LazyTable") -> None:
        self.table = table

    def get(self, key, default=None):
        index = self.table.index_of(_plain_key(key))
        return default if index is None else self.table.cells_at(index)

    def __getitem__(self, key):
        cells = self.get(key)
        if cells is None:
            raise KeyError(key)
        return cells

    def __contains__(self, key) -> bool:
        return self.table.index_of(_plain_key(key)) is not None

    def __len__(self) -> int:
        return len(self.table._items)

    def __iter__(self):
        return iter(self.table.rows)

    def clear(self) -> None:
        pass  # `LazyTable.clear` empties the store


class _Locations:
    """`DataTable._row_locations`: key <-> index."""

    def __init__(self, table: "LazyTable") -> None:
        self.table = table

    def get(self, key):
        if key is self.table._header_row_key:
            return None  # drawing the header: no need to look
        return self.table.index_of(_plain_key(key))

    def get_key(self, index: int) -> RowKey | None:
        if 0 <= index < len(self.table._items):
            return RowKey(self.table.key_at(index))
        return None

    def __contains__(self, key) -> bool:
        return key is not self.table._header_row_key and self.table.index_of(_plain_key(key)) is not None

    def __iter__(self):
        return iter(self.table.rows)

    def __len__(self) -> int:
        return len(self.table._items)


class _Offsets:
    """`DataTable._y_offsets`: (row key, line in the row) per line; every row is one line."""

    def __init__(self, table: "LazyTable") -> None:
        self.table = table

    def __len__(self) -> int:
        return len(self.table._items)

    def __getitem__(self, y: int) -> tuple[RowKey, int]:
        if not 0 <= y < len(self.table._items):
            raise IndexError(y)
        return RowKey(self.table.key_at(y)), 0

    def clear(self) -> None:
        pass


class LazyTable(ListTable):
    """A ListTable of items: `add_items` instead of `add_row` (see the module docstring)."""

    MEASURE_CHUNK = 2_000  # rows measured for the column widths per idle moment
    RECENT_KEYS = 1_024  # keys of the rows drawn lately remembered with their index

    def __init__(self, *, key_of: Callable[[object], str], cells_of: Callable[[object], tuple],
                 widths_of: Callable[[object], tuple] | None = None, **options) -> None:
        super().__init__(**options)
        self.key_of, self.cells_of = key_of, cells_of
        self.widths_of = widths_of or self._cell_widths  # the cells' widths, cheaper than making them
        self._items: Sequence = []
        self._shown = 0  # rows of `_items` the table has taken in (`rows_appended`)
        self._generation = 0  # bumped when the rows are replaced: a row's drawn line is kept by (generation, index)
        self._recent: dict[str, int] = {}  # key -> index of rows asked for lately (drawn, highlighted)
        self._measured = 0  # rows measured for the column widths so far
        self._drawn_lines: LRUCache = LRUCache(256)  # row's cache key -> its finished line
        self._ahead = 0  # bumped by every cursor move and scroll: a drawing ahead of an older one stops
        self.rows = _Rows(self)
        self._data = _Data(self)
        self._row_locations = _Locations(self)

    # --- the store --------------------------------------------------------------------------

    def key_at(self, index: int) -> str:
        items = self._items
        key = items.key_at(index) if hasattr(items, "key_at") else self.key_of(items[index])
        recent = self._recent
        if len(recent) >= self.RECENT_KEYS:
            recent.clear()
        recent[key] = index
        return key

    def item_at(self, index: int):
        return self._items[index]

    @property
    def items(self) -> Sequence:
        """The rows' items (`show_items`)."""
        return self._items

    def cells_at(self, index: int) -> dict:
        return dict(zip((column.key for column in self.ordered_columns), self.cells_of(self._items[index])))

    def index_of(self, key: str) -> int | None:
        """The index of the row with `key`, or None. No key -> index dict is kept (it would hold a
        string per row): the keys of rows drawn lately are remembered, others are searched for (by
        the items' own `index_of` if they have one)."""
        items = self._items
        index = self._recent.get(key)
        if index is not None and index < len(items):
            return index
        if hasattr(items, "index_of"):
            return items.index_of(key)
        key_of = self.key_of
        return next((i for i, item in enumerate(items) if key_of(item) == key), None)

    def show_items(self, items: Sequence, *, measured: bool = False) -> None:
        """Show `items` as the rows instead (after `clear`, which keeps the columns and their widths).
        The sequence may grow later: `rows_appended` then shows its new rows. `measured`: the
        columns are wide enough for every item already (a sort of rows measured before), so they
        are not measured again (a million rows took seconds)."""
        self._items, self._shown = items, 0
        self._generation += 1
        self._recent.clear()
        self.rows_appended()
        if measured:
            self._measured = len(items)

    @property
    def fully_measured(self) -> bool:
        """Every row shown was measured for the column widths."""
        return self._measured >= len(self._items)

    def add_items(self, items: Iterable) -> int:
        """Append rows; their keys are new (the caller's to see to). Returns how many."""
        self._items.extend(items)
        return self.rows_appended()

    def rows_appended(self) -> int:
        """Show the rows the items gained since last time. Returns how many."""
        start = self._shown
        self._shown = len(self._items)
        added = self._shown - start
        if added:
            self._changed(start, added)
            if start == 0 and self.columns and self.show_cursor and self.cursor_type != "none":
                self._highlight_cursor()  # a cursor where there was none: RowHighlighted
        return added

    def add_row(self, *cells, height: int | None = 1, key: str | None = None, label=None) -> RowKey:
        raise NotImplementedError("LazyTable holds items: use add_items")

    def update_cell(self, row_key, column_key, value, *, update_width: bool = False) -> None:
        raise NotImplementedError("LazyTable draws cells from its items: change the item, then redraw()")

    def redraw(self) -> None:
        """Draw the rows again from their items (a mark or style changed)."""
        self._update_count += 1
        self.refresh()

    # --- a cursor move drawn at once -------------------------------------------------------------
    # Textual draws frames on a 60 Hz timer: a key waited ~8 ms on average (up to 17) for the
    # next tick after its rows were ready. A cursor move asks the screen to draw right after the
    # table's refresh reaches it, at most once per 1/60 s (Textual's frame rate is kept).

    def watch_cursor_coordinate(self, old_coordinate, new_coordinate) -> None:
        super().watch_cursor_coordinate(old_coordinate, new_coordinate)
        self._draw_now = old_coordinate != new_coordinate
        step = new_coordinate.row - old_coordinate.row
        self._ahead += 1
        if step in (1, -1) and self._simple():
            self._step = step
            self.call_after_refresh(self._draw_ahead)
        elif step and self._simple():
            self.call_after_refresh(self._draw_far_ahead, self._ahead, step, True)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        lines = round(new_value) - round(old_value)
        if abs(lines) > 1 and self._simple():  # one line: a held `j` (`_draw_ahead`)
            self._ahead += 1
            self.call_after_refresh(self._draw_far_ahead, self._ahead, lines, False)

    def _draw_ahead(self) -> None:
        """Draw, while the app waits for the next key, the two rows that the next step in the same
        direction changes: the next row with the cursor, this row without. Drawing a row's cells
        took ~2 ms each on a busy machine, on the path of every held `j` or `k`. They go into the
        caches a frame reads (same keys as drawing them then: a style change or resize misses)."""
        if not self.is_attached:
            return
        row = self.cursor_row
        base_style = self.rich_style
        for index, cursor in ((row + self._step, True), (row, False)):
            if 0 <= index < len(self._items):
                self._render_row_line(RowKey(self.key_at(index)), index, 0, base_style, cursor,
                                      self.hover_coordinate.row == index)

    # --- a half page (ctrl+d/ctrl+u), a page or a scroll of several rows drawn ahead -----------
    # A half-page move scrolls half a window of rows never drawn, ~1-2 ms each: ctrl+d took ~35 ms
    # (p99 ~120 ms) against ~5 ms for `j`. While the app waits for the next key, the rows that the
    # next move in the same direction brings into view are drawn, one row per idle moment, so a
    # key arriving meanwhile waits for one row at most; a newer move or scroll stops it.

    def _draw_far_ahead(self, ahead: int, step: int, moved_cursor: bool) -> None:
        """Plan the rows a next move of `step` rows (a scroll of `step` lines if not
        `moved_cursor`) shows: the cursor's next row with the cursor, this row without, and the
        rows beyond the window's edge in that direction, nearest first."""
        if ahead != self._ahead or not self.is_attached:
            return
        shown = max(0, self.size.height - (self.header_height if self.show_header else 0))
        first, reach = int(self.scroll_offset.y), min(abs(step), shown)
        beyond = (range(first + shown, first + shown + reach) if step > 0
                  else range(first - 1, first - 1 - reach, -1))
        plan = [(index, False) for index in beyond]
        if moved_cursor:
            row = self.cursor_row
            target = min(max(row + step, 0), len(self._items) - 1)
            plan = [(target, True), (row, False)] + [entry for entry in plan if entry[0] != target]
        self._draw_rows_ahead(ahead, [(index, cursor) for index, cursor in plan if 0 <= index < len(self._items)])

    def _draw_rows_ahead(self, ahead: int, plan: list[tuple[int, bool]]) -> None:
        """Draw the first row of `plan` (row index, with the cursor?) into the caches of
        `_row_strip` and `_render_row_line`, then the rest after the next refresh."""
        if ahead != self._ahead or not self.is_attached or not plan:
            return
        if self.get_pseudo_class_state() != self._pseudo_class_state:
            return  # focus changed since the last frame: its styles are not the ones the caches are keyed by
        (index, cursor), rest = plan[0], plan[1:]
        if index < len(self._items):  # the rows may have been replaced meanwhile
            self._frame_styles = {}  # the styles looked up once, as in a frame
            try:
                x = self.scroll_offset.x  # as `render_line` crops it
                self._row_strip(RowKey(self.key_at(index)), index, 0, x, x + self.size.width, self.rich_style,
                                cursor, self.hover_coordinate.row == index)
            finally:
                self._frame_styles = None
        if rest:
            self.call_after_refresh(self._draw_rows_ahead, ahead, rest)

    def _set_hover_cursor(self, active: bool) -> None:
        """DataTable's redraws the row under the mouse on every cursor key, even with the hover
        cursor already off: a third line per `j`, far from the cursor, and the frame drew every
        line between them. Only a change is drawn."""
        if active != self._show_hover_cursor:
            super()._set_hover_cursor(active)

    def _check_refresh(self) -> None:
        draw_now = getattr(self, "_draw_now", False) and self._repaint_required
        super()._check_refresh()
        if draw_now:
            self._draw_now = False
            now = perf_counter()
            if now - getattr(self, "_drawn_at", 0.0) >= 1 / 60:
                self._drawn_at = now
                screen = self.screen
                screen.call_later(screen._on_timer_update)  # after the screen has taken our Update

    def clear(self, columns: bool = False):
        self._items, self._shown, self._measured = [], 0, 0
        self._generation += 1
        self._recent.clear()
        self._drawn_lines.clear()
        super().clear(columns)
        self._row_locations = _Locations(self)  # DataTable.clear puts a new dict there
        return self

    def _changed(self, start: int, added: int) -> None:
        """`added` rows were appended at `start`. The rows above did not change: only new rows
        in the window are drawn (no `_update_count` bump, which would redraw every line shown per
        page of a streaming listing; `_update_dimensions` bumps it when a column widens)."""
        self._require_update_dimensions = True
        self.cursor_coordinate = self.cursor_coordinate  # clamped to the rows there are
        top = start + (self.header_height if self.show_header else 0)
        # only the lines in the window: Textual keeps a set of every dirty line (a million rows
        # shown afresh, sorted say, made a set of a million numbers)
        added_lines = Region(0, top, max(self.size.width, self.virtual_size.width), added)
        self._refresh_region(added_lines.intersection(self.window_region))
        self.check_idle()

    # --- DataTable paths that walk every row, made O(1) or O(new rows) -----------------------

    @property
    def _y_offsets(self) -> _Offsets:
        return _Offsets(self)

    @property
    def ordered_rows(self) -> _Rows:
        rows = self.rows
        return rows[:] if isinstance(rows, _Rows) else []  # [] while DataTable.__init__ runs

    def _get_row_region(self, row_index: int) -> Region:
        if not self.is_valid_row_index(row_index):
            return Region(0, 0, 0, 0)
        width = sum(column.get_render_width(self) for column in self.columns.values())
        y = row_index + (self.header_height if self.show_header else 0)
        return Region(0, y, max(self.size.width, width), 1)

    def _get_cell_region(self, coordinate) -> Region:
        if not self.is_valid_coordinate(coordinate):
            return Region(0, 0, 0, 0)
        row_index, column_index = coordinate
        columns = self.ordered_columns
        x = sum(column.get_render_width(self) for column in columns[:column_index])
        y = row_index + (self.header_height if self.show_header else 0)
        return Region(x, y, columns[column_index].get_render_width(self), 1)

    # --- drawing: the styles of a frame looked up once, not per line ---------------------------
    # Textual computes a widget's (and each component class's) Rich style by walking every
    # ancestor; DataTable asks three times per line drawn, about 1 ms per line on a busy machine.

    def render_lines(self, crop: Region) -> list:
        self._frame_styles: dict | None = {}
        try:
            if not self._simple():
                return super().render_lines(crop)
            self._pseudo_class_state = self.get_pseudo_class_state()
            rows = self._rows_of_lines(crop)
            self._reuse_drawn_lines(rows)
            strips = super().render_lines(crop)
            self._keep_drawn_lines(rows)
            return strips
        finally:
            self._frame_styles = None

    # --- a row's finished line (borders and styles applied) kept per row -----------------------
    # Scrolling one row makes Textual draw every line of the widget again through its styles cache
    # (~0.3 ms a line here): the lines of rows that were already shown, unchanged, are put back
    # into that cache instead, so a scroll draws the one row that came into view.

    def _rows_of_lines(self, crop: Region) -> dict[int, tuple]:
        """Widget line -> the cache key of the row drawn on it, for the body lines in `crop`."""
        top = self.styles.gutter.top
        header = self.header_height if self.show_header else 0
        height, first = self.size.height, int(self.scroll_offset.y) - header
        cursor, hover = self.cursor_coordinate.row, self.hover_coordinate.row
        state = (self._update_count, self._pseudo_class_state, self.show_cursor, self._show_hover_cursor,
                 self.zebra_stripes, self.scroll_offset.x, self.outer_size, self.size, self.rich_style,
                 self.background_colors, self.opacity, self.styles.gutter)
        items, rows, generation = self._items, {}, self._generation
        for y in crop.line_range:
            line = y - top
            if header <= line < height:
                row = first + line
                if 0 <= row < len(items):
                    rows[y] = (generation, row, row == cursor, row == hover, state)
        return rows

    def _reuse_drawn_lines(self, rows: dict[int, tuple]) -> None:
        styles_cache, drawn = self._styles_cache, self._drawn_lines
        dirty = styles_cache._dirty_lines
        for y, key in rows.items():
            if y in dirty or y not in styles_cache._cache:
                strip = drawn.get(key)
                if strip is not None:
                    styles_cache._cache[y] = strip
                    dirty.discard(y)

    def _keep_drawn_lines(self, rows: dict[int, tuple]) -> None:
        cache, drawn = self._styles_cache._cache, self._drawn_lines
        for y, key in rows.items():
            strip = cache.get(y)
            if strip is not None:
                drawn.set(key, strip)

    def _set_dirty(self, *regions: Region) -> None:
        if not regions:  # everything drawn anew (a style or theme changed)
            self._drawn_lines.clear()
        super()._set_dirty(*regions)

    @property
    def vertical_scrollbar(self) -> ScrollBar:
        """Textual's, drawn again only when its thumb moves by a cell (see `_ThumbScrollBar`)."""
        if self._vertical_scrollbar is None:
            self._vertical_scrollbar = _ThumbScrollBar(vertical=True, name="vertical",
                                                       thickness=self.scrollbar_size_vertical)
            self._vertical_scrollbar.display = False
            self.app._start_widget(self, self._vertical_scrollbar)
        return self._vertical_scrollbar

    def _frame_style(self, name: str) -> Style:
        """The Rich style of the widget ("") or a component class, once per frame."""
        memo = getattr(self, "_frame_styles", None)
        if memo is not None and name in memo:
            return memo[name]
        style = super().rich_style if not name else self.get_component_styles(name).rich_style
        if memo is not None:
            memo[name] = style
        return style

    @property
    def rich_style(self) -> Style:
        return self._frame_style("")

    def _get_row_style(self, row_index: int, base_style: Style) -> Style:
        if row_index == -1:
            return self._frame_style("datatable--header")
        if row_index < self.fixed_rows:
            return self._frame_style("datatable--fixed")
        if self.zebra_stripes:
            return self._frame_style("datatable--odd-row" if row_index % 2 else "datatable--even-row")
        return base_style

    def _simple(self) -> bool:
        """The one case drawn here: a row cursor, no row labels, no fixed rows or columns."""
        return (self.cursor_type == "row" and not self.fixed_columns and not self.fixed_rows
                and not (self._labelled_row_exists and self.show_row_labels))

    def _render_line(self, y: int, x1: int, x2: int, base_style: Style) -> Strip:
        """DataTable's, with the drawn line cached per row and whether the cursor (or the mouse)
        is on that row, not per screen line and cursor position: moving the cursor or scrolling
        one row draws the one or two rows that changed, the others come from the cache."""
        if not self._simple():
            return super()._render_line(y, x1, x2, base_style)
        width = self.size.width
        try:
            row_key, line_no = self._get_offsets(y)
        except LookupError:
            return Strip.blank(width, base_style)
        row = y - self.header_height if self.show_header else y  # -1: the header
        cursor, hover = self.cursor_coordinate.row == row, self.hover_coordinate.row == row
        return self._row_strip(row_key, row, line_no, x1, x2, base_style, cursor, hover)

    def _row_strip(self, row_key, row: int, line_no: int, x1: int, x2: int, base_style, cursor: bool,
                   hover: bool) -> Strip:
        """Row `row`'s line cropped to x1..x2, cached per row and whether the cursor or the mouse
        is on it."""
        width = self.size.width
        cache_key = (row_key, line_no, x1, x2, width, cursor, hover, base_style, self._show_hover_cursor,
                     self._update_count, self._pseudo_class_state)
        strip = self._line_cache.get(cache_key)
        if strip is None:
            _, cells = self._render_row_line(row_key, row, line_no, base_style, cursor, hover)
            segments = line_crop(list(chain.from_iterable(cells)), x1, x2, width)
            strip = Strip(segments).adjust_cell_length(width, base_style).simplify()
            self._line_cache[cache_key] = strip
        return strip

    def _render_line_in_row(self, row_key, line_no, base_style, cursor_location, hover_location):
        if not self._simple():
            return super()._render_line_in_row(row_key, line_no, base_style, cursor_location, hover_location)
        row_index = self._row_locations.get(row_key)
        row_index = -1 if row_index is None else row_index
        return self._render_row_line(row_key, row_index, line_no, base_style, row_index == cursor_location.row,
                                     row_index == hover_location.row)

    def _render_row_line(self, row_key, row_index: int, line_no, base_style, cursor: bool, hover: bool):
        """DataTable's `_render_line_in_row` for the simple case, cached per row and whether the
        cursor or the mouse is on it (DataTable's cache key holds both positions)."""
        cache_key = (row_key, line_no, base_style, cursor, hover, self.show_cursor,
                     self._show_hover_cursor, self._update_count, self._pseudo_class_state)
        cached = self._row_render_cache.get(cache_key)
        if cached is not None:
            return cached
        row_style = self._get_row_style(row_index, base_style)
        cells, used = [], 0
        for column_index, column in enumerate(self.ordered_columns):
            width = column.get_render_width(self)
            used += width
            cells.append(self._render_cell(row_index, column_index, row_style, width, cursor=cursor,
                                           hover=hover)[line_no])
        extend_style, _ = self._get_styles_to_render_cell(
            row_index == -1, False, False, hover, cursor, self.show_cursor, self._show_hover_cursor, False, False)
        extend_style = row_style + extend_style + Style.from_meta(
            {"row": row_index, "column": 0, "out_of_bounds": True})
        cells.append([Segment(" " * max(0, self.size.width - used), extend_style)])
        pair = ([], cells)
        self._row_render_cache[cache_key] = pair
        return pair

    def _compute_row_renderables(self, row_index: int) -> RowRenderables:
        """DataTable's, by position (its own looks the row up by key): one-line cells."""
        if row_index == -1:
            return super()._compute_row_renderables(row_index)
        cells = list(self.cells_of(self._items[row_index]))[:len(self.columns)]
        cells += [None] * (len(self.columns) - len(cells))
        return RowRenderables(None, [_EMPTY_TEXT if cell is None else
                                     default_cell_formatter(cell, wrap=False, height=1) or _EMPTY_TEXT
                                     for cell in cells])

    def get_row_at(self, row_index: int) -> list:
        if not self.is_valid_row_index(row_index):
            raise RowDoesNotExist(f"Row index {row_index!r} is not valid.")
        return list(self.cells_at(row_index).values())

    def _cell_widths(self, item) -> tuple:
        console = self.app.console
        return tuple(cell.cell_len if isinstance(cell, Text) else measure(console, cell, 1)
                     for cell in self.cells_of(item))

    def _update_dimensions(self, new_rows) -> None:
        """Size the table, and widen the columns for the rows added since the last time: at most
        `MEASURE_CHUNK` rows per call, so a big page never holds up a keypress (the rest on the
        next idle)."""
        columns = self.ordered_columns
        start = self._measured
        end = min(len(self._items), start + self.MEASURE_CHUNK)
        widest = [column.content_width for column in columns]
        if end > start:
            items = self._items
            between = getattr(items, "widths_between", None)  # the items may measure faster themselves
            rows = (between(start, end, self.widths_of) if between is not None
                    else (self.widths_of(items[i]) for i in range(start, end)))
            measured = zip(*rows)  # per column
            widest = [max(width, *column) for width, column in zip(widest, measured)]
        self._measured = end
        widened = False
        for column, width in zip(columns, widest):
            if width > column.content_width:
                column.content_width, widened = width, True
        if widened:
            self._update_count += 1  # every drawn line has new column widths
            self.refresh()
        width = sum(column.get_render_width(self) for column in self.columns.values())
        self._set_virtual_size(Size(width, len(self._items) + (self.header_height if self.show_header else 0)))
        if end < len(self._items):
            self._require_update_dimensions = True
            self.call_later(self.check_idle)

    def _set_virtual_size(self, size: Size) -> None:
        """Setting `virtual_size` lays the whole screen out again (every widget drawn anew), per
        page of a streaming listing. While the table is taller than its window before and after,
        only the scroll bar changes: it is updated without a layout."""
        old, window = self.virtual_size, self.size.height + 1
        if size == old:
            return
        if size.width == old.width and old.height > window and size.height > window:
            self.set_reactive(Widget.virtual_size, size)
            self._scroll_update(size)
        else:
            self.virtual_size = size


class _ThumbScrollBar(ScrollBar):
    """A ScrollBar that draws again only when what it shows changes. Textual draws a vertical bar
    anew (~4 ms for 33 lines here) on every change of the scroll position, in a frame of its own
    after the rows' frame (~4 ms more of the compositor); in a long listing the thumb moves by a
    cell only every few hundred rows. A new position asks for a frame only when the thumb moves."""

    position: Reactive[float] = Reactive(0, repaint=False)  # `watch_position` refreshes instead

    def watch_position(self) -> None:
        if self._thumb(self._render_bar(Style())) != getattr(self, "_drawn_thumb", None):
            self.refresh()

    def render_lines(self, crop: Region) -> list:
        bar = self.render()
        thumb = self._drawn_thumb = self._thumb(bar)
        key = (crop, self.outer_size, getattr(bar, "style", None), getattr(bar, "vertical", None),
               getattr(bar, "thickness", None), thumb)
        if key == getattr(self, "_drawn_key", None):
            return self._drawn
        strips = super().render_lines(crop)
        self._drawn_key, self._drawn = key, strips
        return strips

    def _thumb(self, bar) -> tuple:
        """Where the thumb is, in eighths of a cell, as `ScrollBarRender.render_bar` works it out."""
        size = self.size.height if self.vertical else self.size.width
        virtual_size = getattr(bar, "virtual_size", None)
        window_size = getattr(bar, "window_size", None)
        if not (window_size and size and virtual_size and size != virtual_size):
            return (size, virtual_size, window_size)
        thumb_size = max(1, window_size / (virtual_size / size))
        position = (size - thumb_size) * (bar.position / (virtual_size - window_size))
        start = int(position * len(bar.VERTICAL_BARS))
        return start, start + ceil(thumb_size * len(bar.VERTICAL_BARS))
