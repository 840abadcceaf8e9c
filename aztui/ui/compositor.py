"""`FrontFirstCompositor`: the main screen's compositor, which draws only what a frame shows.

Textual's compositor (8.2) draws a frame by asking every widget whose clip meets the changed area
for all of its lines, front to back, then keeps the front-most piece of each line. Moving the
cursor one row in the listing drew the header, the footer, the tabs and the five containers
behind the table (33 lines each when it scrolled): ~5-10 ms of a ~12 ms keypress. This one asks
each widget only for the changed lines (and columns) that no widget in front of it has covered
already, so a cursor move draws the table's changed lines and nothing behind them. What is drawn
is the same: the front-most piece of each line, as before.

It replaces one private method, `Compositor._render_chops` (the pin on textual <8.3 is for it and
the `LazyTable` internals); tests/ui/test_frames.py checks that partial frames add up to a full one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from textual._compositor import Compositor
from textual.geometry import Region
from textual.strip import Strip


class FrontFirstCompositor(Compositor):
    """A `Compositor` that renders a widget's lines only where they are seen (see the module docstring)."""

    def _render_chops(self, crop: Region, is_rendered_line: Callable[[int], bool]
                      ) -> Sequence[Mapping[int, Strip | None]]:
        """Textual's: per screen line, {cut (x where a piece starts): the front-most strip}. Here a
        piece is filled only if it meets `crop` (an update writes no other), and a widget is asked
        only for the lines where it would fill one."""
        cuts = self.cuts
        chops: list[dict[int, Strip | None]] = [dict.fromkeys(cut_set[:-1]) for cut_set in cuts]
        left, right = crop.x, crop.right
        todo: dict[int, set[int]] = {}  # line -> the cuts of its pieces to fill
        for y in crop.line_range:
            if 0 <= y < len(cuts) and is_rendered_line(y):
                line_cuts = cuts[y]
                todo[y] = {cut for cut, end in zip(line_cuts, line_cuts[1:]) if cut < right and end > left}
        if not todo:
            return chops
        rows = Region(0, min(todo), self.size.width, max(todo) - min(todo) + 1)

        for widget, (region, clip) in self.visible_widgets.items():  # front to back
            shown = region.intersection(clip).intersection(rows)
            if not shown:
                continue
            first_cut, last_cut = shown.column_span
            lines = []  # (y, the widget's cuts on line y) where it fills a piece still to fill
            for y in shown.line_range:
                to_fill = todo.get(y)
                if to_fill:
                    widget_cuts = [cut for cut in cuts[y] if last_cut >= cut >= first_cut]
                    if not to_fill.isdisjoint(widget_cuts[:-1]):
                        lines.append((y, widget_cuts))
            if not lines:
                continue
            top, bottom = lines[0][0], lines[-1][0] + 1
            strips = widget.render_lines(Region(shown.x - region.x, top - region.y, shown.width, bottom - top))
            for y, widget_cuts in lines:
                to_fill, chops_line = todo[y], chops[y]
                pieces = strips[y - top].divide([cut - shown.x for cut in widget_cuts[1:]])
                for cut, piece in zip(widget_cuts, pieces):
                    if cut in to_fill:
                        chops_line[cut] = piece
                        to_fill.discard(cut)
        return chops
