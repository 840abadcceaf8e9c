"""The Storage pane: the account's containers, or the blobs of the profile's container."""

from __future__ import annotations

import asyncio
from contextlib import aclosing
from dataclasses import dataclass

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static

from aztui.errors import AztuiError
from aztui.model import Profile
from aztui.ui.widgets.text import human_size, plain, when

MAX_BLOB_ROWS = 1000  # the first page of a container profile's blobs

CONTAINER_COLUMNS = ("Container", "Public access", "Lease", "Last modified")
BLOB_COLUMNS = ("Blob", "Size", "Tier", "Last modified")


@dataclass(frozen=True)
class Listing:
    """What one load produced: a title, column names and rows of plain text cells."""

    what: str
    columns: tuple[str, ...]
    rows: list[tuple[Text, ...]]
    truncated: bool = False


async def list_containers(store) -> Listing:
    rows = []
    async for info in store.iter_containers():
        rows.append((plain(info.name, "bold"), plain(getattr(info, "public_access", None) or "private"),
                     plain(getattr(info, "lease_state", None) or ""),
                     plain(when(getattr(info, "last_modified", None)))))
    return Listing("containers", CONTAINER_COLUMNS, rows)


async def list_blobs(store, container: str, prefix: str, limit: int = MAX_BLOB_ROWS) -> Listing:
    rows, truncated = [], False
    prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
    async with aclosing(store.iter_blobs(container, prefix, recursive=True, page_size=limit)) as blobs:
        async for info in blobs:
            if len(rows) >= limit:
                truncated = True
                break
            rows.append((plain(info.name), Text(human_size(info.size), justify="right"),
                         plain(info.tier or ""), plain(when(info.last_modified))))
    return Listing(f"blobs in {container}/{prefix}", BLOB_COLUMNS, rows, truncated)


class StorageView(Vertical):
    """Loads in a worker and reports what happened with `Loaded` / `LoadFailed` messages."""

    class Loaded(Message):
        def __init__(self, profile: Profile, listing: Listing) -> None:
            super().__init__()
            self.profile = profile
            self.listing = listing

    class LoadFailed(Message):
        def __init__(self, profile: Profile, error: AztuiError) -> None:
            super().__init__()
            self.profile = profile
            self.error = error

    def compose(self) -> ComposeResult:
        yield Static(id="storage-status", markup=False)
        yield DataTable(id="storage-table", cursor_type="row", zebra_stripes=True)

    def load(self, profile: Profile) -> None:
        """Start loading for `profile`, cancelling any load still running."""
        self.query_one(DataTable).loading = True
        self._set_status(f"Loading {'blobs' if profile.container else 'containers'}...")
        self._load(profile)

    @work(exclusive=True, exit_on_error=False, group="storage")
    async def _load(self, profile: Profile) -> Listing | None:
        from aztui.azure.blobs import BlobStore  # lazy: keeps the app's start fast

        try:
            async with BlobStore(profile) as store:
                if profile.container:
                    listing = await list_blobs(store, profile.container, profile.prefix)
                else:
                    listing = await list_containers(store)
        except asyncio.CancelledError:
            raise  # a newer load replaced this one: it owns the table now
        except AztuiError as error:
            self._show_failure(error)
            self.post_message(self.LoadFailed(profile, error))
            return None
        except Exception:
            self._show_failure(None)
            raise  # the app's worker handler reports it
        self._show(listing)
        self.post_message(self.Loaded(profile, listing))
        return listing

    def show_nothing(self, reason: str) -> None:
        """Cancel any load and show an empty pane with `reason`."""
        self.workers.cancel_group(self, "storage")
        table = self.query_one(DataTable)
        table.clear(columns=True)
        table.loading = False
        self._set_status(reason)

    def _show(self, listing: Listing) -> None:
        table = self.query_one(DataTable)
        table.clear(columns=True)
        table.add_columns(*listing.columns)
        for row in listing.rows:
            table.add_row(*row)
        table.loading = False
        more = f" (first {len(listing.rows)} shown)" if listing.truncated else ""
        self._set_status(f"{len(listing.rows)} {listing.what}{more}")

    def _show_failure(self, error: AztuiError | None) -> None:
        table = self.query_one(DataTable)
        table.clear(columns=True)
        table.loading = False
        self._set_status(f"Could not load: {error.title}" if error else "Could not load (unexpected error)")

    def _set_status(self, text: str) -> None:
        self.query_one("#storage-status", Static).update(Text(text))
