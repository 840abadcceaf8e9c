"""`LazyTable`: a `ListTable` that keeps its rows as plain items and renders only the lines shown.

Textual's DataTable keeps, per row, a `RowKey`, a `Row`, a dict of cells and a place in two
dicts, and several of its paths walk every row: each added row rebuilds a list of every line's
offset, the cursor's region sums the heights of the rows above it, a page of rows is measured
cell by cell. With 100,000 rows a keypress took ~100 ms and a streaming listing stalled for
seconds; a million rows would not fit in memory.

Here the rows are a list of items (the pane's entries) plus a key -> index dict; `cells_of(item)`
makes the cells of a row when it is drawn (so marks and styles are read at draw time) and the
DataTable's own rendering, cursor, header, zebra stripes, focus styling and messages work
unchanged on top of lazy views of its row storage (`rows`, `_data`, `_row_locations`). Every row is
one line high. The views fit Textual's DataTable as of 8.x: what they stand in for is private.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from rich.text import Text
from textual.geometry import Region, Size
from textual.render import measure
from textual.widgets._data_table import Row, RowKey, StringKey

from aztui.ui.widgets.list_table import ListTable


def _plain_key(key) -> str:
    return key.value if isinstance(key, StringKey) else key


class _Rows:
    """`DataTable.rows` and `ordered_rows` (by index, slices too): a `Row` made on demand."""

    def __init__(self, table: "LazyTable", span: range | None = None) -> None:
        self.table, self.span = table, span

    # --- the mapping RowKey -> Row ---
    def __contains__(self, key) -> bool:
        return _plain_key(key) in self.table._index

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
        if where not in self:
            raise KeyError(where)
        return Row(RowKey(_plain_key(where)), 1)

    def __iter__(self):
        if self.span is None:  # the mapping: its keys
            return (RowKey(self.table.key_at(i)) for i in range(len(self.table._items)))
        return (Row(RowKey(self.table.key_at(i)), 1) for i in self.span)


class _Data:
    """`DataTable._data`: RowKey -> {ColumnKey: cell}, made from the item when asked for."""

    def __init__(self, table: "LazyTable") -> None:
        self.table = table

    def get(self, key, default=None):
        index = self.table._index.get(_plain_key(key))
        return default if index is None else self.table.cells_at(index)

    def __getitem__(self, key):
        cells = self.get(key)
        if cells is None:
            raise KeyError(key)
        return cells

    def __contains__(self, key) -> bool:
        return _plain_key(key) in self.table._index

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
        return self.table._index.get(_plain_key(key))

    def get_key(self, index: int) -> RowKey | None:
        if 0 <= index < len(self.table._items):
            return RowKey(self.table.key_at(index))
        return None

    def __contains__(self, key) -> bool:
        return _plain_key(key) in self.table._index

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
    """A ListTable of items: `set_items`/`add_items` instead of `add_row` (see the module docstring)."""

    def __init__(self, *, key_of: Callable[[object], str], cells_of: Callable[[object], tuple],
                 **options) -> None:
        super().__init__(**options)
        self.key_of, self.cells_of = key_of, cells_of
        self._items: list = []
        self._index: dict[str, int] = {}
        self._measured = 0  # rows measured for the column widths so far
        self.rows = _Rows(self)
        self._data = _Data(self)
        self._row_locations = _Locations(self)

    # --- the store --------------------------------------------------------------------------

    def key_at(self, index: int) -> str:
        return self.key_of(self._items[index])

    def item_at(self, index: int):
        return self._items[index]

    def cells_at(self, index: int) -> dict:
        return dict(zip((column.key for column in self.ordered_columns), self.cells_of(self._items[index])))

    def add_items(self, items: Iterable) -> int:
        """Append the items whose key is not shown yet; returns how many were added."""
        index, start = self._index, len(self._items)
        for item in items:
            key = self.key_of(item)
            if key not in index:
                index[key] = len(self._items)
                self._items.append(item)
        added = len(self._items) - start
        if added:
            self._changed()
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

    def clear(self, columns: bool = False):
        self._items, self._index, self._measured = [], {}, 0
        super().clear(columns)
        self._row_locations = _Locations(self)  # DataTable.clear puts a new dict there
        return self

    def _changed(self) -> None:
        self._require_update_dimensions = True
        self.cursor_coordinate = self.cursor_coordinate  # clamped to the rows there are
        self._update_count += 1
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

    def _update_dimensions(self, new_rows) -> None:
        """Widen the columns for the rows added since the last time, then size the table."""
        columns = self.ordered_columns
        console = self.app.console
        for index in range(self._measured, len(self._items)):
            for column, cell in zip(columns, self.cells_of(self._items[index])):
                width = cell.cell_len if isinstance(cell, Text) else measure(console, cell, 1)
                if width > column.content_width:
                    column.content_width = width
        self._measured = len(self._items)
        width = sum(column.get_render_width(self) for column in self.columns.values())
        self.virtual_size = Size(width, len(self._items) + (self.header_height if self.show_header else 0))
