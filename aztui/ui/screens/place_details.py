"""`i` on a container or a virtual folder: the container's properties, or the folder's size.

A container's properties come in one request. A folder has no properties of its own: its blob
count and bytes (in total and per tier) are counted on demand by `aztui.blobs.usage` in a worker,
page by page, with the running totals on screen; Esc stops the count (what is shown then says so).
"""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, Label, Static

from aztui.errors import AztuiError
from aztui.profiles.model import Profile
from aztui.ui.lazy import opened_blob_store
from aztui.ui.widgets.footer import Footer
from aztui.ui.widgets.text import human_size, plain, when
from aztui.ui.widgets.work_bar import WorkBar


def container_rows(info) -> list[tuple[str, object]]:
    """(property, value) pairs of a container, in the order the screen shows them."""
    lease = " / ".join(v for v in (info.lease_state, info.lease_status, info.lease_duration) if v)
    rows: list[tuple[str, object]] = [
        ("Name", info.name), ("Public access", info.public_access or "private (no anonymous access)"),
        ("Lease", lease), ("Last modified", when(info.last_modified)), ("ETag", info.etag),
        ("Immutable storage with versioning", info.immutable_storage_with_versioning),
        ("Immutability policy", info.has_immutability_policy), ("Legal hold", info.has_legal_hold),
        ("Default encryption scope", info.default_encryption_scope),
    ]
    rows += [(f"metadata: {key}", value) for key, value in sorted(info.metadata.items())]
    return [(name, value) for name, value in rows if value not in (None, "")]


def usage_rows(usage) -> list[tuple[str, object]]:
    """(property, value) pairs of a folder's size; partial totals say so."""
    so_far = "" if usage.complete else " so far (counting…)"
    rows: list[tuple[str, object]] = [
        ("Container", usage.container), ("Folder", usage.prefix or "(the whole container)"),
        ("Blobs", f"{usage.blobs:,}{so_far}"),
        ("Size", f"{human_size(usage.bytes)} ({usage.bytes:,} bytes){so_far}"),
    ]
    rows += [(f"tier: {tier}", f"{human_size(size)} ({size:,} bytes)")
             for tier, size in sorted(usage.bytes_by_tier.items())]
    return rows


class PlaceDetailsScreen(Screen[None]):
    """A title, a table of properties, a work bar; Esc goes back (cancelling any count first)."""

    BINDINGS = [Binding("escape,backspace", "close", "Back", id="back", tooltip="Back to the listing")]

    class Loaded(Message):
        def __init__(self, rows: list[tuple[str, object]], done: bool) -> None:
            super().__init__()
            self.rows = rows
            self.done = done

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, PlaceDetailsScreen.Loaded) and not message.done

    def __init__(self, profile: Profile, title: str) -> None:
        super().__init__()
        self.profile = profile
        self.title_text = title
        self.rows: list[tuple[str, object]] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label(self.title_text, id="details-title", markup=False)
        yield DataTable(id="properties", cursor_type="row", show_header=False)
        yield Static("", id="place-status", markup=False)
        yield WorkBar(id="place-work")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#properties", DataTable)
        table.add_columns("Property", "Value")
        self._load()

    def _load(self) -> None:
        raise NotImplementedError

    def on_place_details_screen_loaded(self, event: Loaded) -> None:
        self.rows = event.rows
        table = self.query_one("#properties", DataTable)
        table.loading = False
        table.clear()
        for name, value in event.rows:
            table.add_row(Text(name, style="bold"), plain(value), key=name)
        if event.done:
            self.query_one(WorkBar).finish()
            table.focus()

    def failed(self, error: AztuiError) -> None:
        self.query_one("#properties", DataTable).loading = False
        self.query_one(WorkBar).finish()
        self.query_one("#place-status", Static).update(Text(f"Could not load: {error.title}"))
        self.app.notify_error(error)

    def action_close(self) -> None:
        running = [w for w in self.workers if w.node is self and w.is_running]
        if running:  # a count on its way: stop it, keep the partial totals on screen
            for worker in running:
                worker.cancel()
            self.query_one(WorkBar).finish()
            self.query_one("#place-status", Static).update(Text("Stopped: the totals are partial."))
            return
        self.dismiss(None)


class ContainerDetailsScreen(PlaceDetailsScreen):
    """A container's properties: public access, lease, metadata, ETag, last modified."""

    def __init__(self, profile: Profile, container: str) -> None:
        super().__init__(profile, f"Container  {container}")
        self.container = container

    def _load(self) -> None:
        self.query_one("#properties", DataTable).loading = True
        self._read()

    @work(exclusive=True, exit_on_error=False, group="details")
    async def _read(self) -> None:
        try:
            async with opened_blob_store(self.profile) as store:
                info = await store.get_container_details(self.container)
        except AztuiError as error:
            self.failed(error)
            return
        self.post_message(self.Loaded(container_rows(info), done=True))


class FolderDetailsScreen(PlaceDetailsScreen):
    """A virtual folder's blob count and bytes (per tier), counted now with the running totals shown."""

    def __init__(self, profile: Profile, container: str, prefix: str) -> None:
        super().__init__(profile, f"Folder  {container}/{prefix}")
        self.container = container
        self.prefix = prefix

    def _load(self) -> None:
        self.query_one(WorkBar).start(f"Counting the blobs under {self.container}/{self.prefix}… (Esc stops)")
        self._count()

    @work(exclusive=True, exit_on_error=False, group="usage")
    async def _count(self) -> None:
        from aztui.blobs.usage import measure_usage

        def progressed(usage) -> None:
            self.post_message(self.Loaded(usage_rows(usage), done=usage.complete))

        try:
            async with opened_blob_store(self.profile) as store:
                await measure_usage(store, self.container, self.prefix, progress=progressed)
        except AztuiError as error:
            self.failed(error)
