"""The Registry pane: repositories → one repository's tags and images → a manifest's details;
deletes and locks on ACR; GC and purge on a Distribution registry's storage.

Two kinds of registry behind `aztui.registry.model.open_registry`: Azure Container Registry
(`uri` profiles; delete a tag, a manifest or a repository, lock and unlock) and a Distribution
registry stored in Azure Blob (read from storage; `C` GC and `P` purge it there, as
`aztui registry gc` / `purge` do). Manifests are shown as images (aztui.registry.images): an
index's platforms under it, sizes of config + layers; Enter opens `ManifestDetailsScreen`.
Every network call runs in a worker with the registry opened inside it, one exclusive worker
per purpose ("registry-read", "registry-write"), so moving on cancels the stale one. Workers
report with messages named for what happened; failures become `PaneFailed` (the app notifies).

Deletes: plan (a fresh read, locks checked) → `RegistryDeleteReview` → confirm (protected
profiles type the name) → execute exactly the plan → `RegistryDeleteReportScreen` → reload.
GC and purge: policy form → plan (aztui.registry.review) → `RegistryWorkPlanScreen` → confirm →
execute exactly the plan → `RegistryWorkReport` → reload (`flow` says which of the two is in flight).
"""

from __future__ import annotations

import asyncio
import importlib
import sys
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timezone

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Label, Static

from aztui.profiles.model import Profile
from aztui.registry.backends import backend_module, open_registry
from aztui.registry.delete import (
    RegistryDeletePlan,
    Target,
    execute_registry_delete,
    plan_registry_delete,
    require,
)
from aztui.registry.images import display_order, read_images, summarize
from aztui.registry.model import capabilities_for, is_locked, media_label, platform_label, short_digest
from aztui.registry.review import RegistryWork, WorkReport, execute_work, plan_gc_work, plan_purge_work
from aztui.ui.panes.base import CANCELLED, DeleteFlow, Pane, cursor_key, sort_binding
from aztui.ui.widgets.list_table import ListTable
from aztui.ui.widgets.text import account_label, count, human_size, plain, shown, when
from aztui.ui.widgets.work_bar import WorkBar

MUTATING_ACTIONS = frozenset({"delete", "lock", "lock_delete"})
STORAGE_ACTIONS = frozenset({"gc", "purge"})     # Distribution on Blob: GC and purge on storage
DISTRIBUTION_NOTE = "read from storage: C garbage-collects, P purges"
NOT_A_REGISTRY = (
    "This profile points at no container registry.\n\n"
    "The Registry pane shows an Azure Container Registry, or a Docker Distribution registry whose "
    "storage is an Azure Blob container.\n\n"
    "Add an ACR profile:\n\n"
    "    [profiles.acr]\n"
    "    uri = \"<name>.azurecr.io\"\n"
    "    auth = \"default_credentials\"     # or client_secret, anonymous\n\n"
    "or point a profile at the registry's container, in the storage driver's words:\n\n"
    "    [profiles.registry]\n"
    "    accountname = \"<account>\"\n"
    "    container = \"registry\"\n"
    "    rootdirectory = \"/prod\"          # if the registry uses one\n"
)
REPOSITORY_COLUMNS = ("Repository", "Tags", "Manifests", "Last update", "Can dwrl")
TAG_COLUMNS = ("Tag", "Digest", "Created", "Updated", "Can dwrl")
MANIFEST_COLUMNS = ("Digest", "Size", "Platform", "Media type", "Created", "Updated", "Tags", "Can dwrl")
SORT_LABELS = {"name": "name", "updated": "last update", "created": "created"}
DROP_ORDER = {  # the columns a narrow terminal gives up first; never the name, digest or tags
    "#registry-repositories": ("Can dwrl", "Manifests", "Tags"),
    "#registry-tags": ("Can dwrl", "Created", "Digest"),
    "#registry-manifests": ("Media type", "Can dwrl", "Created", "Platform", "Size"),
}
FLAG_LETTERS = (("can_delete", "d"), ("can_write", "w"), ("can_read", "r"), ("can_list", "l"))
_OLDEST = datetime.min.replace(tzinfo=timezone.utc)
FIRST_ROWS = 20          # repositories shown as soon as they are read; then the rest ...
MORE_ROWS_EVERY = 0.5    # ... at most this often (seconds) until the listing ends


def flags_text(item) -> Text:
    """The four `can_*` flags as `dwrl`: a letter when allowed, a red `-` when locked, blank if unknown."""
    values = [getattr(item, name, None) for name, _ in FLAG_LETTERS]
    if all(v is None for v in values):
        return Text("")
    text = Text()
    for (_, letter), value in zip(FLAG_LETTERS, values):
        text.append("-" if value is False else letter if value else "?", "bold red" if value is False else "")
    return text


def _count(value: int | None) -> Text:
    return Text("" if value is None else f"{value:,}", justify="right")


def repository_row(repo) -> tuple:
    return (plain(repo.name, "bold"), _count(repo.tag_count), _count(repo.manifest_count),
            Text(when(repo.last_updated)), flags_text(repo))


def tag_row(tag) -> tuple:
    return (plain(tag.name, "bold"), plain(short_digest(tag.digest)), Text(when(tag.created)),
            Text(when(tag.last_updated)), flags_text(tag))


def manifest_row(manifest, image=None, depth: int = 0) -> tuple:
    """One manifest; with its `Image` (aztui.registry.images): the image's size and platform, an
    index's children indented under it, "untagged" only for what a --untagged purge would take."""
    if manifest.tags:
        tags = plain(", ".join(manifest.tags))
    elif image is not None and image.parents:
        tags = Text("in index", style="dim")
    elif image is not None and image.subject:
        tags = Text("referrer", style="dim")
    else:
        tags = Text("untagged", style="italic yellow")
    size_value = image.size if image is not None else manifest.size
    size = Text("" if size_value is None else human_size(size_value), justify="right")
    platform = image.platform if image is not None else platform_label(manifest)
    digest = Text("  " * (depth - 1) + "└ " if depth else "", style="dim")
    digest.append_text(plain(short_digest(manifest.digest)))
    return (digest, size, plain(platform), plain(media_label(manifest)), Text(when(manifest.created)),
            Text(when(manifest.last_updated)), tags, flags_text(manifest))


def _sort(items: list, key: str | None, descending: bool, name) -> list:
    if key is None:
        return items
    if key == "name":
        return sorted(items, key=name, reverse=descending)
    attr = "last_updated" if key == "updated" else "created"
    return sorted(items, key=lambda i: getattr(i, attr, None) or _OLDEST, reverse=descending)


@asynccontextmanager
async def _opened_registry(profile: Profile):
    """`async with open_registry(profile)`; the backend (and the Azure SDK) imported in a thread the first time."""
    module_name = backend_module(profile)
    if module_name not in sys.modules:
        await asyncio.to_thread(importlib.import_module, module_name)

    registry = open_registry(profile)
    async with registry:
        yield registry


def may_hold_registry(profile: Profile) -> bool:
    """ACR profiles, and profiles naming a container (a Distribution registry may live there)."""
    return profile.kind == "acr" or bool(profile.container)


class RegistryView(Pane):
    """One profile's registry; attributes down (`load`), messages up."""

    MUTATING = MUTATING_ACTIONS
    READ_GROUP, WRITE_GROUP = "registry-read", "registry-write"
    STATUS = "#registry-status"
    READ_FAILED = "Could not read the registry"

    BINDINGS = [
        Binding("enter,l,right", "open", "Open", id="open",
                tooltip="Open the repository; on a tag: go to its manifest; on a manifest: its details"),
        Binding("backspace,h,left", "back", "Repositories", id="up", tooltip="Back to the repositories"),
        Binding("tab", "other_table", "Tags ⇄ manifests", id="registry-other-table",
                tooltip="In a repository: move between the tags and the manifests", show=False),
        sort_binding("n", "name", "Name", "name"),
        sort_binding("m", "updated", "Updated", "last update, newest first", id="sort-modified"),
        sort_binding("c", "created", "Created", "creation time, newest first"),
        Binding("x,delete", "delete", "Delete", id="registry-delete",
                tooltip="Delete the tag, manifest or repository under the cursor (review, then confirm)"),
        Binding("L", "lock", "Lock", id="registry-lock",
                tooltip="Lock or unlock the item under the cursor (can_delete and can_write together)"),
        Binding("D", "lock_delete", "Delete lock", id="registry-lock-delete",
                tooltip="Toggle only can_delete of the item under the cursor", show=False),
        Binding("C", "gc", "GC", id="registry-gc",
                tooltip="Distribution: garbage collection like `registry garbage-collect` (policy, plan, confirm)"),
        Binding("P", "purge", "Purge", id="registry-purge",
                tooltip="Distribution: purge old tags and manifests like `acr purge` (policy, plan, confirm)"),
        Binding("escape", "cancel", "Cancel", id="cancel", tooltip="Cancel running work, else go back",
                show=False),
    ]

    # --- messages: what happened ----------------------------------------------------------

    @dataclass
    class RepositoriesListed(Pane.Read):
        kind: str
        repositories: tuple
        storage_layout: str | None
        partial: bool = False          # the first rows: more are on the way

    @dataclass
    class NoRegistryFound(Pane.Read):
        reason: str

    @dataclass
    class RepositoryRead(Pane.Read):
        repository: str
        tags: tuple
        manifests: tuple
        images: dict

    @dataclass
    class LocksChanged(Message):
        target: Target
        flags: dict

    # --- state ----------------------------------------------------------------------------

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.kind: str | None = None            # "acr" | "distribution" once read
        self.storage_layout: str | None = None
        self.repository: str | None = None      # None: the repositories list
        self.repositories: list = []
        self.tags: list = []
        self.manifests: list = []
        self.images: dict = {}                  # digest -> aztui.registry.images.Image of the open repository
        self.side = "manifests"                 # which table of a repository acts: "tags" | "manifests"
        self.flow = "delete"                    # what a plan in flight is: "delete" (ACR) | "storage" (GC, purge)
        self.policies: dict = {}                # the last GC and purge forms' values, offered again

    def compose(self) -> ComposeResult:
        yield Label(id="registry-title", markup=False)
        yield Static(id="registry-status", markup=False)
        yield ListTable(id="registry-repositories")
        yield Label(Text("Tags"), id="registry-tags-caption", classes="registry-caption")
        yield ListTable(id="registry-tags")
        yield Label(Text("Manifests"), id="registry-manifests-caption", classes="registry-caption")
        yield ListTable(id="registry-manifests")
        yield Static(id="registry-help", markup=False)
        yield WorkBar(id="registry-work")

    def on_mount(self) -> None:
        for table_id, columns in (("#registry-repositories", REPOSITORY_COLUMNS), ("#registry-tags", TAG_COLUMNS),
                                  ("#registry-manifests", MANIFEST_COLUMNS)):
            table = self.query_one(table_id, DataTable)
            for column in columns:
                table.add_column(column, key=column)
            table.drop_order = DROP_ORDER[table_id]
        self.show_text(NOT_A_REGISTRY)

    @property
    def table(self) -> DataTable:
        """The table that has (or gets) the focus at this level."""
        if self.repository is None:
            return self.repositories_table
        return self.tags_table if self.side == "tags" else self.manifests_table

    @property
    def repositories_table(self) -> DataTable:
        return self.query_one("#registry-repositories", DataTable)

    @property
    def tags_table(self) -> DataTable:
        return self.query_one("#registry-tags", DataTable)

    @property
    def manifests_table(self) -> DataTable:
        return self.query_one("#registry-manifests", DataTable)

    @property
    def can_change(self) -> bool:
        """Deletes and locks: profiles that are not read-only, on a backend that can (ACR)."""
        return (self.profile is not None and not self.profile.read_only
                and capabilities_for(self.profile).delete)

    @property
    def can_clean_storage(self) -> bool:
        """GC and purge on storage: writable profiles whose backend has them (Distribution on Blob),
        once registry data was found there."""
        return (self.profile is not None and not self.profile.read_only and self.kind is not None
                and capabilities_for(self.profile).storage_cleanup)

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """Read-only and Distribution profiles: deletes and locks are hidden (footer, palette, help) and inert."""
        if action in MUTATING_ACTIONS and not self.can_change:
            return False
        if action in STORAGE_ACTIONS and not self.can_clean_storage:
            return False
        if action in ("back", "other_table") and self.repository is None:
            return None  # shown, dimmed: nothing to go back to
        return True

    # --- loading --------------------------------------------------------------------------

    # `load` reads at once for registry profiles or when the pane is shown, else `ensure_loaded`
    # reads (the app calls it when the pane is shown)

    def forget(self, profile: Profile) -> None:
        self.kind, self.storage_layout = None, None
        self.repository, self.repositories, self.tags, self.manifests = None, [], [], []
        self.images = {}
        self.sort_key, self.sort_descending = None, False

    def can_read(self, profile: Profile) -> bool:
        return may_hold_registry(profile)

    def show_unreadable(self) -> None:
        self.show_text(NOT_A_REGISTRY)

    def reads_at_once(self, profile: Profile) -> bool:
        return profile.kind in ("acr", "distribution") or shown(self)

    def show_unread(self) -> None:
        self.show_text("")
        self.set_title(Text.assemble(("Registry ", "bold"), plain(self.where())))

    def read(self) -> None:
        """Read the current level again (the repositories, or the open repository)."""
        if self.repository is None:
            self.show_repositories()
            self.show_loading(True, self.repositories_table)
            self.set_status("Reading the repositories…")
            self.call_after_refresh(self._start_read, self.profile, None)
        else:
            self.open_repository(self.repository)

    def opened(self, profile: Profile):
        return _opened_registry(profile)

    def _start_read(self, profile: Profile, repository: str | None) -> None:
        if profile is not self.profile or repository != self.repository:
            return  # the user moved on before the next frame
        if repository is None:
            self.start_read(self._read_repositories(profile))
        else:
            self.start_read(self._read_repository(profile, repository))

    def where(self) -> str:
        profile = self.profile
        if profile is None:
            return ""
        if profile.kind == "acr":
            return account_label(profile)
        place = f"{account_label(profile)}/{profile.container}"
        return place + (f"/{profile.prefix}" if profile.prefix else "")

    async def _read_repositories(self, profile: Profile) -> None:
        with self.read_failures(lambda: profile is self.profile):
            async with _opened_registry(profile) as registry:
                if reason := registry.no_data_reason():
                    self.post_message(self.NoRegistryFound(profile, reason))
                    return
                repositories: list = []
                shown_at = None
                async for repo in registry.iter_repositories():
                    repositories.append(repo)
                    now = asyncio.get_running_loop().time()
                    if len(repositories) >= FIRST_ROWS and (shown_at is None or now - shown_at >= MORE_ROWS_EVERY):
                        shown_at = now
                        self.post_message(self.RepositoriesListed(profile, registry.kind, tuple(repositories),
                                                                  registry.layout, partial=True))
                self.post_message(self.RepositoriesListed(profile, registry.kind, tuple(repositories),
                                                          registry.layout))

    async def _read_repository(self, profile: Profile, repository: str) -> None:
        with self.read_failures(lambda: profile is self.profile):
            async with _opened_registry(profile) as registry:
                tags, (manifests, images) = await asyncio.gather(registry.list_tags(repository),
                                                                 read_images(registry, repository))
                kind = registry.kind
            self.kind = kind
            self.post_message(self.RepositoryRead(profile, repository, tuple(tags), tuple(manifests), images))

    def on_registry_view_repositories_listed(self, event: RepositoriesListed) -> None:
        if event.profile is not self.profile or self.repository is not None:
            return  # a listing of a profile or level the user already left
        self.kind, self.storage_layout = event.kind, event.storage_layout
        self.repositories = list(event.repositories)
        if event.partial:  # the first rows, while the read goes on (its work bar keeps running)
            self.show_loading(False, self.repositories_table)
            self.render_rows()
            return
        self.show_read(self.repositories_table)

    def on_registry_view_no_registry_found(self, event: NoRegistryFound) -> None:
        if event.profile is not self.profile:
            return
        self.kind = None
        self.work_bar.finish()
        self.show_loading(False, self.repositories_table)
        self.refresh_bindings()
        self.show_text(f"{event.reason}\n\n{NOT_A_REGISTRY}")

    def on_registry_view_repository_read(self, event: RepositoryRead) -> None:
        if event.profile is not self.profile or event.repository != self.repository:
            return
        self.tags, self.manifests, self.images = list(event.tags), list(event.manifests), event.images
        self.show_read(self.tags_table, self.manifests_table)

    def show_read(self, *tables: DataTable) -> None:
        """A read arrived: uncover `tables`, show its rows, focus the level's table if the pane is shown."""
        self.show_loading(False, *tables)
        self.work_bar.finish()
        self.refresh_bindings()
        self.render_rows()
        if shown(self):
            self.table.focus()

    # --- showing --------------------------------------------------------------------------

    def show_text(self, text: str) -> None:
        """Hide the tables; show `text` (how to add a registry profile, or why there is none)."""
        for widget_id in ("#registry-repositories", "#registry-tags", "#registry-tags-caption",
                          "#registry-manifests", "#registry-manifests-caption"):
            self.query_one(widget_id).display = False
        self.set_title(Text(""))
        self.set_status("")
        help_text = self.query_one("#registry-help", Static)
        help_text.update(Text(text))
        help_text.display = bool(text)

    def show_repositories(self) -> None:
        self.query_one("#registry-help").display = False
        self.repositories_table.display = True
        for widget_id in ("#registry-tags", "#registry-tags-caption", "#registry-manifests",
                          "#registry-manifests-caption"):
            self.query_one(widget_id).display = False

    def show_repository(self) -> None:
        self.query_one("#registry-help").display = False
        self.repositories_table.display = False
        for widget_id in ("#registry-tags", "#registry-tags-caption", "#registry-manifests",
                          "#registry-manifests-caption"):
            self.query_one(widget_id).display = True

    def set_title(self, text: Text) -> None:
        self.query_one("#registry-title", Label).update(text)

    def render_rows(self) -> None:
        """Rebuild the rows of the current level, keeping each cursor on the same item."""
        if self.repository is None:
            repositories = _sort(self.repositories, self.sort_key or "name",
                                 self.sort_descending if self.sort_key else False, lambda r: r.name)
            self._fill(self.repositories_table, repositories, lambda r: r.name, repository_row)
        else:
            key, descending = self.sort_key or "updated", self.sort_descending if self.sort_key else True
            tags = _sort(self.tags, key, descending, lambda t: t.name)
            manifests = _sort(self.manifests, key, descending, lambda m: (m.tags[0] if m.tags else "~", m.digest))
            self._fill(self.tags_table, tags, lambda t: t.name, tag_row)
            self._fill_manifests(manifests)
        self.show_sort_in_headers()
        self.update_title()
        self.update_status()

    @staticmethod
    def _fill(table: DataTable, ordered: list, key, row) -> None:
        current = cursor_key(table)
        table.clear()
        for item in ordered:
            table.add_row(*row(item), key=key(item))
        if current is not None and current in table.rows:
            table.move_cursor(row=table.get_row_index(current))

    def _fill_manifests(self, ordered: list) -> None:
        """Manifests in `ordered`'s order, each index's platforms (and each referrer) right under it."""
        images = self.images
        if not images:
            self._fill(self.manifests_table, ordered, lambda m: m.digest, manifest_row)
            return
        rows = display_order(images, [m.digest for m in ordered])
        table = self.manifests_table
        current = cursor_key(table)
        table.clear()
        for image, depth in rows:
            table.add_row(*manifest_row(image.manifest, image, depth), key=image.digest)
        if current is not None and current in table.rows:
            table.move_cursor(row=table.get_row_index(current))

    def update_title(self) -> None:
        kind = {"acr": "Azure Container Registry", "distribution": "Distribution registry"}.get(self.kind or "",
                                                                                              "Registry")
        title = Text.assemble((kind, "bold"), " ", plain(self.where(), "cyan"))
        if self.storage_layout:
            title.append(f"  ({self.storage_layout} layout)", "dim")
        if self.repository is not None:
            title.append("  ›  ")
            title.append_text(plain(self.repository, "bold"))
        self.set_title(title)

    def update_status(self) -> None:
        if self.repository is None:
            n = len(self.repositories)
            parts = [f"{n:,} repositor{'y' if n == 1 else 'ies'}"]
        else:
            parts = [count(len(self.tags), "tag")]
            if self.images:
                summary = summarize(self.images)
                extra = [f"{summary.untagged:,} untagged"] if summary.untagged else []
                extra += [f"{summary.children:,} in indexes"] if summary.children else []
                parts.append(count(summary.images, "image") + f", {count(summary.manifests, 'manifest')}"
                             + (f" ({', '.join(extra)})" if extra else ""))
            else:
                untagged = sum(1 for m in self.manifests if not m.tags)
                parts.append(count(len(self.manifests), "manifest")
                             + (f" ({untagged:,} untagged)" if untagged else ""))
            parts.append("Tab: tags ⇄ manifests")
        key = self.sort_key or (None if self.repository is None else "updated")
        if key:
            descending = self.sort_descending if self.sort_key else True
            parts.append(f"sorted by {SORT_LABELS[key]} {'↓' if descending else '↑'}")
        if self.kind and self.profile is not None and not capabilities_for(self.profile).delete:
            parts.append(DISTRIBUTION_NOTE)
        elif self.kind and self.profile is not None and self.profile.read_only:
            parts.append("read-only profile")
        self.set_status(" · ".join(parts))

    # --- navigation -----------------------------------------------------------------------

    def on_descendant_focus(self, event) -> None:
        widget = getattr(event, "widget", None) or getattr(event, "control", None)
        if widget is self.tags_table:
            self.side = "tags"
        elif widget is self.manifests_table:
            self.side = "manifests"

    def action_open(self) -> None:
        if self.profile is None:
            return
        if self.repository is None:
            name = cursor_key(self.repositories_table)
            if name is not None:
                self.open_repository(name)
        elif self.side == "tags":
            tag = self._current_tag()
            if tag is not None and tag.digest in self.manifests_table.rows:
                table = self.manifests_table
                table.move_cursor(row=table.get_row_index(tag.digest))
                table.focus()
        else:
            manifest = self._current_manifest()
            image = self.images.get(manifest.digest) if manifest is not None else None
            if image is not None:
                from aztui.ui.screens.manifest_details import ManifestDetailsScreen

                self.app.push_screen(ManifestDetailsScreen(self.profile, image, self.images))

    def open_repository(self, name: str) -> None:
        if self.repository != name:
            self.tags, self.manifests, self.images = [], [], {}
            self.side = "manifests"
            self.sort_key, self.sort_descending = None, False
            for table in (self.tags_table, self.manifests_table):
                table.clear()
        self.repository = name
        self.show_repository()
        self.update_title()
        self.show_loading(True, self.tags_table, self.manifests_table)
        self.set_status(f"Reading the tags and manifests of {name}…")
        self.refresh_bindings()
        self.call_after_refresh(self._start_read, self.profile, name)

    def action_back(self) -> None:
        if self.profile is None or self.repository is None:
            return
        left = self.repository
        self.cancel_work()
        self.repository, self.tags, self.manifests, self.images = None, [], [], {}
        self.sort_key, self.sort_descending = None, False
        self.show_repositories()
        self.refresh_bindings()
        self.render_rows()
        table = self.repositories_table
        if left in table.rows:
            table.move_cursor(row=table.get_row_index(left))
        table.focus()

    def show_sort_in_headers(self) -> None:
        """▲/▼ on the column each table of the level is sorted by."""
        if self.repository is None:
            key = self.sort_key or "name"
            descending = self.sort_descending if self.sort_key else False
            columns = {"name": "Repository", "updated": "Last update"}
            self.repositories_table.show_sort(columns.get(key), descending)
            return
        key, descending = self.sort_key or "updated", self.sort_descending if self.sort_key else True
        self.tags_table.show_sort({"name": "Tag"}.get(key, key.capitalize()), descending)
        self.manifests_table.show_sort({"name": "Tags"}.get(key, key.capitalize()), descending)

    def action_other_table(self) -> None:
        """Tab in a repository: the other table takes the focus (never the tab bar)."""
        if self.repository is not None:
            (self.manifests_table if self.side == "tags" else self.tags_table).focus()

    def action_cancel(self) -> None:
        """Esc: cancel running work, else back to the repositories."""
        if not self.cancel_and_say():
            self.action_back()

    def action_sort(self, key: str) -> None:
        current = self.sort_key or (None if self.repository is None else "updated")
        if current == key:
            descending = self.sort_descending if self.sort_key else True
            self.sort_key, self.sort_descending = key, not descending
        else:
            self.sort_key, self.sort_descending = key, key != "name"
        self.render_rows()

    def show_cancelled(self, reading: bool) -> None:
        if reading:  # nothing read: not "Reading…" any more
            self.set_status(CANCELLED)
        elif self.profile is not None:
            self.update_status()

    # --- the item under the cursor ----------------------------------------------------------

    def _current_tag(self):
        key = cursor_key(self.tags_table)
        return next((t for t in self.tags if t.name == key), None)

    def _current_manifest(self):
        key = cursor_key(self.manifests_table)
        return next((m for m in self.manifests if m.digest == key), None)

    def current_item(self):
        """(Target, item) under the cursor of the acting table, or (None, None)."""
        if self.repository is None:
            key = cursor_key(self.repositories_table)
            repo = next((r for r in self.repositories if r.name == key), None)
            return (Target(repo.name), repo) if repo else (None, None)
        if self.side == "tags":
            tag = self._current_tag()
            return (Target(self.repository, tag=tag.name), tag) if tag else (None, None)
        manifest = self._current_manifest()
        return (Target(self.repository, digest=manifest.digest), manifest) if manifest else (None, None)

    # --- delete -----------------------------------------------------------------------------

    def action_delete(self) -> None:
        if not self.can_change:
            return  # hidden by check_action; and the client layer refuses anyway
        target, _item = self.current_item()
        if target is None:
            self.notify("Nothing to delete: put the cursor on a repository, tag or manifest.")
            return
        self._plan_delete(self.profile, target)

    def _plan_delete(self, profile: Profile, target: Target) -> None:
        self.flow = "delete"
        async def planned(registry) -> RegistryDeletePlan:
            plan = await plan_registry_delete(registry, [target], where=account_label(profile),
                                              reason="chosen in the Registry pane")
            plan.refuse_locked()
            return plan

        self.plan(f"Planning the delete of {target.label}…", profile, planned)

    def delete_flow(self) -> DeleteFlow:
        if self.flow == "storage":
            from aztui.ui.screens.registry_work import RegistryWorkPlanScreen, RegistryWorkReport

            return DeleteFlow(RegistryWorkPlanScreen, RegistryWorkReport, execute_work)
        from aztui.ui.screens.registry_dialogs import RegistryDeleteReportScreen, RegistryDeleteReview

        return DeleteFlow(RegistryDeleteReview, RegistryDeleteReportScreen, execute_registry_delete)

    def executing(self, plan) -> tuple[str, int | None]:
        if isinstance(plan, RegistryWork):
            verb = "Sweeping" if plan.kind == "gc" else "Purging"
            return f"{verb} {plan.where}: {plan.files:,} files…", plan.files
        return f"Deleting {plan.target.label}…", None

    # --- GC and purge on storage (Distribution) ---------------------------------------------

    def action_gc(self) -> None:
        if not self.can_clean_storage:
            return  # hidden by check_action; and the executor refuses anyway
        from aztui.ui.screens.registry_work import RegistryGcForm

        self.app.push_screen(RegistryGcForm(self.profile, self.policies.get("gc")),
                             lambda chosen: self._storage_policy_chosen("gc", chosen))

    def action_purge(self) -> None:
        if not self.can_clean_storage:
            return
        from aztui.ui.screens.registry_work import RegistryPurgeForm

        self.app.push_screen(RegistryPurgeForm(self.profile, self.policies.get("purge")),
                             lambda chosen: self._storage_policy_chosen("purge", chosen))

    def _storage_policy_chosen(self, kind: str, chosen) -> None:
        if chosen is None or self.profile is None:
            return
        policy, values = chosen
        self.policies[kind] = values
        self.flow = "storage"
        planner = plan_gc_work if kind == "gc" else plan_purge_work
        what = "the GC: reading every link and manifest" if kind == "gc" else "the purge: reading tags and manifests"

        async def planned(registry) -> RegistryWork:
            work = await planner(registry, policy)
            # soft delete, for the plan screen: read here, in the planning worker
            return replace(work, recoverable_days=await registry.store.delete_retention_days())

        self.plan(f"Planning {what}…", self.profile, planned)

    def executed(self, report) -> None:
        if isinstance(report, WorkReport):
            self.flow = "delete"
            return
        if self.repository is not None and any(
                o.status == "deleted" and o.item.tag is None and not o.item.digest for o in report.outcomes):
            self.repository = None  # the repository itself is gone
            self.show_repositories()

    # --- locks ------------------------------------------------------------------------------

    def action_lock(self) -> None:
        """Locked (either flag off) → unlock both; else lock both (`aztui registry lock|unlock`)."""
        target, item = self.current_item() if self.can_change else (None, None)
        if target is not None:
            value = is_locked(item)
            self._set_locks(self.profile, target, {"can_delete": value, "can_write": value})

    def action_lock_delete(self) -> None:
        """Toggle only `can_delete` (`aztui registry lock --delete-only`)."""
        target, item = self.current_item() if self.can_change else (None, None)
        if target is not None:
            self._set_locks(self.profile, target, {"can_delete": item.can_delete is False})

    def _set_locks(self, profile: Profile, target: Target, flags: dict) -> None:
        async def set_locks(registry) -> RegistryView.LocksChanged:
            require(registry, "lock", f"Changing the locks of {target.label}")
            await registry.set_locks(target.repository, tag=target.tag, digest=target.digest, **flags)
            return self.LocksChanged(target, flags)

        words = ", ".join(f"{k} = {str(v).lower()}" for k, v in flags.items())
        self.run_work(f"{target.label}: {words}…", profile, set_locks)

    def on_registry_view_locks_changed(self, event: LocksChanged) -> None:
        self.work_bar.finish()
        words = ", ".join(f"{k} = {str(v).lower()}" for k, v in event.flags.items())
        self.notify(f"{event.target.label}: {words}", title="Locks changed", markup=False)
        self.reload()
