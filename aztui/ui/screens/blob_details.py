"""One blob: properties, metadata, index tags, tier, lease, content settings, a preview, download."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, Label, Static

from aztui.blobs.tiering import archive_note
from aztui.errors import AztuiError
from aztui.profiles.model import Profile
from aztui.ui.lazy import opened_blob_store
from aztui.ui.widgets.footer import Footer
from aztui.ui.widgets.text import human_size, plain, when
from aztui.ui.widgets.work_bar import WorkBar

PREVIEW_BYTES = 1024
HEX_BYTES = 256


def preview_text(data: bytes, size: int) -> Text:
    """The first KiB as text (utf-8, bad bytes replaced), or a hex dump for binary data."""
    if not data:
        return Text("empty blob", style="dim")
    if b"\0" in data:
        text = Text(f"binary, {size:,} bytes\n", style="dim")
        for offset in range(0, min(len(data), HEX_BYTES), 16):
            chunk = data[offset:offset + 16]
            ascii_ = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
            text.append(f"{offset:08x}  {chunk.hex(' '):<47}  {ascii_}\n")
        return text
    text = Text(_visible(data.decode("utf-8", errors="replace")))
    if size > len(data):
        text.append(f"\n… first {len(data):,} of {size:,} bytes", "dim italic")
    return text


# control and bidi characters a terminal would obey; lines and tabs stay
_PREVIEW_ESCAPES = {i: (f"\\x{i:02x}" if i < 0x100 else f"\\u{i:04x}")
                    for i in (*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F, *range(0x80, 0xA0), 0x061C,
                              0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))}


def _visible(text: str) -> str:
    return text.translate(_PREVIEW_ESCAPES)


def detail_rows(details) -> list[tuple[str, object]]:
    """(property, value) pairs in the order the screen shows them."""
    info = details.info
    rows: list[tuple[str, object]] = [
        ("Name", info.name), ("Size", f"{human_size(info.size)} ({info.size:,} bytes)"),
        ("Blob type", details.blob_type),
        ("Tier", (info.tier or "") + (" (inferred)" if details.access_tier_inferred else "")),
        ("Archive status", details.archive_status),
        ("Rehydrate priority", getattr(details, "rehydrate_priority", None)),
        ("Last modified", when(info.last_modified)), ("Created", when(details.created)),
        ("ETag", info.etag), ("Version", details.version_id),
        ("Lease", " / ".join(v for v in (details.lease_state, details.lease_status, details.lease_duration)
                             if v)),
        ("Content type", info.content_type), ("Content encoding", details.content_encoding),
        ("Content language", details.content_language), ("Content disposition", details.content_disposition),
        ("Cache control", details.cache_control), ("Content MD5", details.content_md5),
        ("Server encrypted", details.server_encrypted),
    ]
    rows += [(f"metadata: {key}", value) for key, value in sorted(info.metadata.items())]
    rows += [(f"tag: {key}", value) for key, value in sorted(details.tags.items())]
    return [(name, value) for name, value in rows if value not in (None, "")]


class BlobDetailsScreen(Screen[None]):
    """Loads the details and the preview in a worker; `d` downloads."""

    BINDINGS = [
        Binding("escape,backspace", "close", "Back", id="back", tooltip="Back to the listing"),
        Binding("d", "download", "Download", id="download", tooltip="Download the blob to a file"),
        Binding("y", "copy('name')", "Copy name", id="copy-name", show=False,
                tooltip="Copy the name of the blob to the clipboard"),
        Binding("Y", "copy('url')", "Copy URL", id="copy-url", show=False,
                tooltip="Copy the URL of the blob (never a SAS) to the clipboard"),
        Binding("v", "view", "View", id="view", show=False,
                tooltip="Open the blob in $PAGER (up to --view-max, default 10 MiB)"),
    ]

    class DetailsLoaded(Message):
        def __init__(self, details, preview: bytes) -> None:
            super().__init__()
            self.details = details
            self.preview = preview

    class DownloadProgressed(Message):
        def __init__(self, done: int, total: int) -> None:
            super().__init__()
            self.done = done
            self.total = total

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, BlobDetailsScreen.DownloadProgressed)

    class Downloaded(Message):
        def __init__(self, path: Path, size: int) -> None:
            super().__init__()
            self.path = path
            self.size = size

    def __init__(self, profile: Profile, container: str, blob) -> None:
        super().__init__()
        self.profile = profile
        self.container = container
        self.blob = blob
        self.details = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label(Text.assemble(("Blob  ", "bold"), plain(f"{self.container}/{self.blob.name}")),
                    id="details-title")
        with VerticalScroll(id="details-body"):
            yield DataTable(id="properties", cursor_type="row", show_header=False)
            yield Label("Preview", classes="section")
            yield Static(Text("loading…", style="dim"), id="preview", markup=False)
        yield WorkBar(id="download-work")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#properties", DataTable).add_columns("Property", "Value")
        self.query_one("#properties", DataTable).loading = True
        self._load()

    @work(exclusive=True, exit_on_error=False, group="details")
    async def _load(self) -> None:
        """The properties first, then the preview: a preview that cannot be read (an archived or
        rehydrating blob, a read refused) still leaves every property on screen."""
        try:
            async with opened_blob_store(self.profile) as store:
                # the listing's ETag: never show another blob's data, or a newer one than the row says
                details = await store.get_details(self.container, self.blob.name, etag=self.blob.etag)
                self.post_message(self.DetailsLoaded(details, None))
                note = archive_note(details.info.tier, details.archive_status, details.rehydrate_priority)
                if note:
                    self.post_message(self.PreviewLoaded(Text(note, style="italic")))
                    return
                try:
                    preview = await store.read_blob(self.container, self.blob.name, etag=self.blob.etag,
                                                    length=min(PREVIEW_BYTES, details.info.size))
                except AztuiError as error:
                    self.post_message(self.PreviewLoaded(Text(f"No preview: {error.title}. {error.message}")))
                    return
                self.post_message(self.PreviewLoaded(preview_text(preview, details.info.size)))
        except AztuiError as error:
            self.query_one("#properties", DataTable).loading = False
            self.query_one("#preview", Static).update(Text(f"Could not load: {error.title}"))
            self.app.notify_error(error)

    class PreviewLoaded(Message):
        def __init__(self, text: Text) -> None:
            super().__init__()
            self.text = text

    def on_blob_details_screen_details_loaded(self, event: DetailsLoaded) -> None:
        self.details = event.details
        table = self.query_one("#properties", DataTable)
        table.loading = False
        for name, value in detail_rows(event.details):
            table.add_row(Text(name, style="bold"), plain(value), key=name)
        table.focus()

    def on_blob_details_screen_preview_loaded(self, event: PreviewLoaded) -> None:
        self.query_one("#preview", Static).update(event.text)

    def action_close(self) -> None:
        """Esc: cancel a running download first; else back to the listing."""
        downloads = [w for w in self.workers if w.node is self and w.group == "download" and w.is_running]
        if downloads:
            for worker in downloads:
                worker.cancel()
            self.query_one(WorkBar).finish()
            self.notify("Download cancelled.")
            return
        self.workers.cancel_node(self)
        self.dismiss(None)

    # --- y / Y: copy; v: view in $PAGER (as in the listing) -------------------------------------

    def action_copy(self, what: str) -> None:
        """Copy the blob's name or plain URL (OSC 52) and say so."""
        text = self.blob.name
        if what == "url":
            from aztui.azure.blobs import blob_url

            try:
                text = blob_url(self.profile, self.container, self.blob.name)
            except AztuiError as error:
                self.app.notify_error(error)
                return
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied the {'URL' if what == 'url' else 'name'}: {text}", markup=False)

    def action_view(self) -> None:
        """Download the blob (up to the view limit) to a private temp file and open it in $PAGER."""
        from aztui.ui.widgets.pager import pager_for

        pager = pager_for(self.app, self.blob)
        if pager is not None:
            self.query_one(WorkBar).start(f"Downloading {self.blob.name} to view it… (Esc cancels)")
            self._view(pager)

    @work(exclusive=True, exit_on_error=False, group="download")
    async def _view(self, pager: list[str]) -> None:
        from aztui.ui.widgets.pager import download_for_pager, show_in_pager

        try:
            async with opened_blob_store(self.profile) as store:
                path = await download_for_pager(store, self.container, self.blob)
        except AztuiError as error:
            self.query_one(WorkBar).finish()
            self.app.notify_error(error)
            return
        self.query_one(WorkBar).finish()
        show_in_pager(self.app, path, pager)

    # --- download -----------------------------------------------------------------------------

    def action_download(self) -> None:
        from aztui.ui.screens.dialogs import PathPrompt

        default = f"./{Path(self.blob.name).name}"
        self.app.push_screen(PathPrompt(f"Download {self.blob.name} to:", default), self._download_to)

    def _download_to(self, path: str | None) -> None:
        from aztui.ui.screens.dialogs import Confirm

        if not path:
            return
        target = Path(path).expanduser()
        if target.exists() and not target.is_dir():
            def answered(overwrite: bool | None) -> None:
                if overwrite:
                    self._start_download(target, overwrite=True)

            self.app.push_screen(Confirm(f"{target} exists. Overwrite it?", yes="Overwrite"), answered)
        else:
            self._start_download(target, overwrite=False)

    def _start_download(self, path: Path, *, overwrite: bool) -> None:
        self.query_one(WorkBar).start(f"Downloading to {path}…", total=self.blob.size or None)
        self._download(path, overwrite)

    @work(exclusive=True, exit_on_error=False, group="download")
    async def _download(self, path: Path, overwrite: bool) -> None:
        try:
            async with opened_blob_store(self.profile) as store:
                size = await store.download_to(
                    self.container, self.blob.name, path, overwrite=overwrite, etag=self.blob.etag,
                    progress=lambda done, total: self.post_message(self.DownloadProgressed(done, total)))
        except AztuiError as error:
            self.query_one(WorkBar).finish()
            self.app.notify_error(error)
            return
        self.post_message(self.Downloaded(path, size))

    def on_blob_details_screen_download_progressed(self, event: DownloadProgressed) -> None:
        self.query_one(WorkBar).show_progress(f"Downloading: {human_size(event.done)} of "
                                              f"{human_size(event.total)}", event.done, event.total)

    def on_blob_details_screen_downloaded(self, event: Downloaded) -> None:
        self.query_one(WorkBar).finish()
        self.notify(f"Downloaded {human_size(event.size)} to {event.path}", markup=False)
