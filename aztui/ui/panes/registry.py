"""The Registry pane: repositories → one repository's tags and manifests; deletes and locks on ACR.

Two kinds of registry behind `aztui.registry.model.open_registry`: Azure Container Registry
(`uri` profiles; delete a tag, a manifest or a repository, lock and unlock) and a Distribution
registry stored in Azure Blob (read from storage only: browsing; `aztui registry gc` cleans up).
Every network call runs in a worker with the registry opened inside it, one exclusive worker
per purpose ("registry-read", "registry-write"), so moving on cancels the stale one. Workers
report with messages named for what happened; failures become `PaneFailed` (the app notifies).

Deletes: plan (a fresh read, locks checked) → `RegistryDeleteReview` → confirm (protected
profiles type the name) → execute exactly the plan → `RegistryDeleteReportScreen` → reload.
"""

from __future__ import annotations

import asyncio
import importlib
import sys
from contextlib import asynccontextmanager
from datetime import datetime, timezone

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Label, Static

from aztui.errors import AztuiError
from aztui.profiles.model import Profile
from aztui.registry.backends import backend_module, open_registry
from aztui.registry.delete import (
    RegistryDeletePlan,
    Target,
    execute_registry_delete,
    plan_registry_delete,
    require_locks,
)
from aztui.registry.model import capabilities_for, is_locked, media_label, platform_label, short_digest
from aztui.ui.messages import PaneFailed, PlanExecuted
from aztui.ui.panes.base import failure_posted, pane_worker_failed, show_loading
from aztui.ui.widgets.text import account_label, count, human_size, plain, shown, when
from aztui.ui.widgets.work_bar import WorkBar

MUTATING_ACTIONS = frozenset({"delete", "lock", "lock_delete"})
DISTRIBUTION_NOTE = "read from storage: use `aztui registry gc` to clean up"
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
FLAG_LETTERS = (("can_delete", "d"), ("can_write", "w"), ("can_read", "r"), ("can_list", "l"))
_OLDEST = datetime.min.replace(tzinfo=timezone.utc)


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


def manifest_row(manifest) -> tuple:
    tags = plain(", ".join(manifest.tags)) if manifest.tags else Text("untagged", style="italic yellow")
    size = Text("" if manifest.size is None else human_size(manifest.size), justify="right")
    return (plain(short_digest(manifest.digest)), size, plain(platform_label(manifest)),
            plain(media_label(manifest)), Text(when(manifest.created)), Text(when(manifest.last_updated)),
            tags, flags_text(manifest))


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


class RegistryView(Vertical):
    """One profile's registry; attributes down (`load`), messages up."""

    BINDINGS = [
        Binding("enter", "open", "Open", id="open",
                tooltip="Open the repository; on a tag: go to its manifest"),
        Binding("backspace", "back", "Repositories", id="up", tooltip="Back to the repositories"),
        Binding("n", "sort('name')", "Name", id="sort-name", tooltip="Sort by name (again: reverse)", show=False),
        Binding("m", "sort('updated')", "Updated", id="sort-modified",
                tooltip="Sort by last update, newest first (again: reverse)", show=False),
        Binding("c", "sort('created')", "Created", id="sort-created",
                tooltip="Sort by creation time, newest first (again: reverse)", show=False),
        Binding("x,delete", "delete", "Delete", id="registry-delete",
                tooltip="Delete the tag, manifest or repository under the cursor (review, then confirm)"),
        Binding("l", "lock", "Lock", id="registry-lock",
                tooltip="Lock or unlock the item under the cursor (can_delete and can_write together)"),
        Binding("D", "lock_delete", "Delete lock", id="registry-lock-delete",
                tooltip="Toggle only can_delete of the item under the cursor", show=False),
        Binding("escape", "cancel", "Cancel", id="cancel", tooltip="Cancel running work", show=False),
    ]

    # --- messages: what happened ----------------------------------------------------------

    class RepositoriesListed(Message):
        def __init__(self, profile: Profile, kind: str, repositories: tuple, layout: str | None) -> None:
            super().__init__()
            self.profile = profile
            self.kind = kind
            self.repositories = repositories
            self.storage_layout = layout

    class NoRegistryFound(Message):
        def __init__(self, profile: Profile, reason: str) -> None:
            super().__init__()
            self.profile = profile
            self.reason = reason

    class RepositoryRead(Message):
        def __init__(self, profile: Profile, repository: str, tags: tuple, manifests: tuple) -> None:
            super().__init__()
            self.profile = profile
            self.repository = repository
            self.tags = tags
            self.manifests = manifests

    class DeletePlanned(Message):
        def __init__(self, plan: RegistryDeletePlan) -> None:
            super().__init__()
            self.plan = plan

    class LocksChanged(Message):
        def __init__(self, target: Target, flags: dict) -> None:
            super().__init__()
            self.target = target
            self.flags = flags

    # --- state ----------------------------------------------------------------------------

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.profile: Profile | None = None
        self.kind: str | None = None            # "acr" | "distribution" once read
        self.storage_layout: str | None = None
        self.stale = False                      # a profile was given but not read yet
        self.repository: str | None = None      # None: the repositories list
        self.repositories: list = []
        self.tags: list = []
        self.manifests: list = []
        self.side = "manifests"                 # which table of a repository acts: "tags" | "manifests"
        self.sort_key: str | None = None        # None: the default order of the level
        self.sort_descending = False

    def compose(self) -> ComposeResult:
        yield Label(id="registry-title", markup=False)
        yield Static(id="registry-status", markup=False)
        yield DataTable(id="registry-repositories", cursor_type="row", zebra_stripes=True)
        yield Label(Text("Tags"), id="registry-tags-caption", classes="registry-caption")
        yield DataTable(id="registry-tags", cursor_type="row", zebra_stripes=True)
        yield Label(Text("Manifests"), id="registry-manifests-caption", classes="registry-caption")
        yield DataTable(id="registry-manifests", cursor_type="row", zebra_stripes=True)
        yield Static(id="registry-help", markup=False)
        yield WorkBar(id="registry-work")

    def on_mount(self) -> None:
        for table_id, columns in (("#registry-repositories", REPOSITORY_COLUMNS), ("#registry-tags", TAG_COLUMNS),
                                  ("#registry-manifests", MANIFEST_COLUMNS)):
            table = self.query_one(table_id, DataTable)
            for column in columns:
                table.add_column(column, key=column)
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
    def work_bar(self) -> WorkBar:
        return self.query_one(WorkBar)

    @property
    def can_change(self) -> bool:
        """Deletes and locks: profiles that are not read-only, on a backend that can (ACR)."""
        return (self.profile is not None and not self.profile.read_only
                and capabilities_for(self.profile).delete)

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """Read-only and Distribution profiles: deletes and locks are hidden (footer, palette, help) and inert."""
        if action in MUTATING_ACTIONS and not self.can_change:
            return False
        if action == "back" and self.repository is None:
            return None  # shown, dimmed: nothing to go back to
        return True

    # --- loading --------------------------------------------------------------------------

    def load(self, profile: Profile) -> None:
        """Show `profile`'s registry: read now for registry profiles or when the pane is shown,
        else when `ensure_loaded` is called (the app calls it when the pane is shown)."""
        self.cancel_work()
        self.profile, self.kind, self.storage_layout = profile, None, None
        self.repository, self.repositories, self.tags, self.manifests = None, [], [], []
        self.sort_key, self.sort_descending = None, False
        self.refresh_bindings()
        if not may_hold_registry(profile):
            self.stale = False
            self.show_text(NOT_A_REGISTRY)
            return
        self.stale = True
        if profile.kind in ("acr", "distribution") or shown(self):
            self.reload()
        else:
            self.show_text("")
            self.set_title(Text.assemble(("Registry ", "bold"), plain(self.where())))
            self.set_status("Not read yet: it is read when this pane is shown.")

    def ensure_loaded(self) -> None:
        if self.stale:
            self.reload()

    def reload(self) -> None:
        """Read the current level again (the repositories, or the open repository)."""
        if self.profile is None or not may_hold_registry(self.profile):
            return
        self.stale = False
        if self.repository is None:
            self.show_repositories()
            show_loading(self, True, self.repositories_table)
            self.set_status("Reading the repositories…")
            self.call_after_refresh(self._start_read, self.profile, None)
        else:
            self.open_repository(self.repository)

    def _start_read(self, profile: Profile, repository: str | None) -> None:
        if profile is not self.profile or repository != self.repository:
            return  # the user moved on before the next frame
        if repository is None:
            self._read_repositories(profile)
        else:
            self._read_repository(profile, repository)

    def where(self) -> str:
        profile = self.profile
        if profile is None:
            return ""
        if profile.kind == "acr":
            return account_label(profile)
        place = f"{account_label(profile)}/{profile.container}"
        return place + (f"/{profile.prefix}" if profile.prefix else "")

    @work(exclusive=True, exit_on_error=False, group="registry-read")
    async def _read_repositories(self, profile: Profile) -> None:
        try:
            async with _opened_registry(profile) as registry:
                if registry.kind == "distribution" and getattr(registry, "layout", None) is None:
                    self.post_message(self.NoRegistryFound(
                        profile, f"No registry data in container {profile.container!r}"
                                 + (f" under {profile.prefix!r}" if profile.prefix else "") + "."))
                    return
                repositories = tuple([repo async for repo in registry.iter_repositories()])
                self.post_message(self.RepositoriesListed(profile, registry.kind, repositories,
                                                          getattr(registry, "layout", None)))
        except AztuiError as error:
            self.post_message(PaneFailed(error))
            if profile is self.profile:
                self.call_later(self._show_failure, error)

    @work(exclusive=True, exit_on_error=False, group="registry-read")
    async def _read_repository(self, profile: Profile, repository: str) -> None:
        try:
            async with _opened_registry(profile) as registry:
                tags, manifests = await asyncio.gather(registry.list_tags(repository),
                                                       registry.list_manifests(repository))
                kind = registry.kind
        except AztuiError as error:
            self.post_message(PaneFailed(error))
            if profile is self.profile:
                self.call_later(self._show_failure, error)
            return
        self.kind = kind
        self.post_message(self.RepositoryRead(profile, repository, tuple(tags), tuple(manifests)))

    def on_registry_view_repositories_listed(self, event: RepositoriesListed) -> None:
        if event.profile is not self.profile or self.repository is not None:
            return  # a listing of a profile or level the user already left
        self.kind, self.storage_layout = event.kind, event.storage_layout
        self.repositories = list(event.repositories)
        show_loading(self, False, self.repositories_table)
        self.work_bar.finish()
        self.refresh_bindings()
        self.render_rows()
        if shown(self):
            self.repositories_table.focus()

    def on_registry_view_no_registry_found(self, event: NoRegistryFound) -> None:
        if event.profile is not self.profile:
            return
        self.kind = None
        self.work_bar.finish()
        show_loading(self, False, self.repositories_table)
        self.refresh_bindings()
        self.show_text(f"{event.reason}\n\n{NOT_A_REGISTRY}")

    def on_registry_view_repository_read(self, event: RepositoryRead) -> None:
        if event.profile is not self.profile or event.repository != self.repository:
            return
        self.tags, self.manifests = list(event.tags), list(event.manifests)
        show_loading(self, False, self.tags_table, self.manifests_table)
        self.work_bar.finish()
        self.refresh_bindings()
        self.render_rows()
        if shown(self):
            self.table.focus()

    def _show_failure(self, error: AztuiError) -> None:
        show_loading(self, False, self.repositories_table, self.tags_table, self.manifests_table)
        self.work_bar.finish()
        self.set_status(f"Could not read the registry: {error.title}")

    def on_worker_state_changed(self, event) -> None:
        pane_worker_failed(self, event, read_group="registry-read")

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

    def set_status(self, text: str) -> None:
        self.query_one("#registry-status", Static).update(Text(text))

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
            self._fill(self.manifests_table, manifests, lambda m: m.digest, manifest_row)
        self.update_title()
        self.update_status()

    @staticmethod
    def _fill(table: DataTable, ordered: list, key, row) -> None:
        current = _cursor_key(table)
        table.clear()
        for item in ordered:
            table.add_row(*row(item), key=key(item))
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
            untagged = sum(1 for m in self.manifests if not m.tags)
            parts = [count(len(self.tags), "tag"), count(len(self.manifests), "manifest")
                     + (f" ({untagged:,} untagged)" if untagged else "")]
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

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        if self.profile is None:
            return
        if self.repository is None:
            name = _cursor_key(self.repositories_table)
            if name is not None:
                self.open_repository(name)
        elif self.side == "tags":
            tag = self._current_tag()
            if tag is not None and tag.digest in self.manifests_table.rows:
                table = self.manifests_table
                table.move_cursor(row=table.get_row_index(tag.digest))
                table.focus()

    def open_repository(self, name: str) -> None:
        if self.repository != name:
            self.tags, self.manifests = [], []
            self.side = "manifests"
            self.sort_key, self.sort_descending = None, False
            for table in (self.tags_table, self.manifests_table):
                table.clear()
        self.repository = name
        self.show_repository()
        self.update_title()
        show_loading(self, True, self.tags_table, self.manifests_table)
        self.set_status(f"Reading the tags and manifests of {name}…")
        self.refresh_bindings()
        self.call_after_refresh(self._start_read, self.profile, name)

    def action_back(self) -> None:
        if self.profile is None or self.repository is None:
            return
        left = self.repository
        self.cancel_work()
        self.repository, self.tags, self.manifests = None, [], []
        self.sort_key, self.sort_descending = None, False
        self.show_repositories()
        self.refresh_bindings()
        self.render_rows()
        table = self.repositories_table
        if left in table.rows:
            table.move_cursor(row=table.get_row_index(left))
        table.focus()

    def action_sort(self, key: str) -> None:
        current = self.sort_key or (None if self.repository is None else "updated")
        if current == key:
            descending = self.sort_descending if self.sort_key else True
            self.sort_key, self.sort_descending = key, not descending
        else:
            self.sort_key, self.sort_descending = key, key != "name"
        self.render_rows()

    def action_cancel(self) -> None:
        reading = any(w.node is self and w.is_running and w.group == "registry-read" for w in self.workers)
        if self.cancel_work():
            self.notify("Cancelled.")
            if reading:  # nothing read: not "Reading…" any more
                self.set_status("Cancelled — r reloads")
            elif self.profile is not None:
                self.update_status()

    def cancel_work(self) -> bool:
        """Cancel reads, plans, deletes and lock changes; True if anything was running."""
        running = [w for w in self.workers if w.node is self and w.is_running
                   and w.group in ("registry-read", "registry-write")]
        for worker in running:
            worker.cancel()
        show_loading(self, False, self.repositories_table, self.tags_table, self.manifests_table)
        self.work_bar.finish()
        return bool(running)

    # --- the item under the cursor ----------------------------------------------------------

    def _current_tag(self):
        key = _cursor_key(self.tags_table)
        return next((t for t in self.tags if t.name == key), None)

    def _current_manifest(self):
        key = _cursor_key(self.manifests_table)
        return next((m for m in self.manifests if m.digest == key), None)

    def current_item(self):
        """(Target, item) under the cursor of the acting table, or (None, None)."""
        if self.repository is None:
            key = _cursor_key(self.repositories_table)
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
        self.work_bar.start(f"Planning the delete of {target.label}…")
        self._plan_delete(self.profile, target)

    @work(exclusive=True, exit_on_error=False, group="registry-write")
    async def _plan_delete(self, profile: Profile, target: Target) -> None:
        with failure_posted(self):
            async with _opened_registry(profile) as registry:
                plan = await plan_registry_delete(registry, [target], where=account_label(profile),
                                                  reason="chosen in the Registry pane")
            plan.refuse_locked()
            self.post_message(self.DeletePlanned(plan))

    def on_registry_view_delete_planned(self, event: DeletePlanned) -> None:
        from aztui.ui.screens.registry_dialogs import RegistryDeleteReview

        self.work_bar.finish()
        plan = event.plan
        profile = self.profile

        def confirmed(yes: bool | None) -> None:
            if yes and profile is self.profile:
                self.work_bar.start(f"Deleting {plan.target.label}…")
                self._execute_delete(profile, plan)

        self.app.push_screen(RegistryDeleteReview(plan, profile), confirmed)

    @work(exclusive=True, exit_on_error=False, group="registry-write")
    async def _execute_delete(self, profile: Profile, plan: RegistryDeletePlan) -> None:
        with failure_posted(self, reload=True):
            async with _opened_registry(profile) as registry:
                report = await execute_registry_delete(registry, plan)
            self.post_message(PlanExecuted(report))

    def on_plan_executed(self, event: PlanExecuted) -> None:
        from aztui.ui.screens.registry_dialogs import RegistryDeleteReportScreen

        self.work_bar.finish()
        self.app.push_screen(RegistryDeleteReportScreen(event.report))
        if self.repository is not None and any(
                o.status == "deleted" and o.item.tag is None and not o.item.digest for o in event.report.outcomes):
            self.repository = None  # the repository itself is gone
            self.show_repositories()
        self.reload()

    # --- locks ------------------------------------------------------------------------------

    def action_lock(self) -> None:
        """Locked (either flag off) → unlock both; else lock both (`aztui registry lock|unlock`)."""
        if not self.can_change:
            return
        target, item = self.current_item()
        if target is None:
            return
        value = is_locked(item)
        self._change_locks(target, {"can_delete": value, "can_write": value})

    def action_lock_delete(self) -> None:
        """Toggle only `can_delete` (`aztui registry lock --delete-only`)."""
        if not self.can_change:
            return
        target, item = self.current_item()
        if target is None:
            return
        self._change_locks(target, {"can_delete": item.can_delete is False})

    def _change_locks(self, target: Target, flags: dict) -> None:
        words = ", ".join(f"{k} = {str(v).lower()}" for k, v in flags.items())
        self.work_bar.start(f"{target.label}: {words}…")
        self._set_locks(self.profile, target, flags)

    @work(exclusive=True, exit_on_error=False, group="registry-write")
    async def _set_locks(self, profile: Profile, target: Target, flags: dict) -> None:
        with failure_posted(self):
            async with _opened_registry(profile) as registry:
                require_locks(registry, f"Changing the locks of {target.label}")
                await registry.set_locks(target.repository, tag=target.tag, digest=target.digest, **flags)
            self.post_message(self.LocksChanged(target, flags))

    def on_registry_view_locks_changed(self, event: LocksChanged) -> None:
        self.work_bar.finish()
        words = ", ".join(f"{k} = {str(v).lower()}" for k, v in event.flags.items())
        self.notify(f"{event.target.label}: {words}", title="Locks changed", markup=False)
        self.reload()


def _cursor_key(table: DataTable) -> str | None:
    if table.row_count == 0:
        return None
    try:
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
    except Exception:  # the cursor is outside the rows
        return None
