"""The aztui app shell: header with the active profile, profile picker, Storage/Registry/Cache panes.

`create_app(profile_set)` is the one factory used by the CLI, the demo and the tests.
Storage work runs in workers (see `StorageView`); failures become notifications, never tracebacks.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import Footer, Header, Label, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from aztui.errors import AztuiError
from aztui.model import Profile
from aztui.ui.screens.profile_picker import ProfilePicker
from aztui.ui.widgets.storage_view import StorageView
from aztui.ui.widgets.text import account_label, plain


class AztuiApp(App[None]):
    """The terminal admin tool; works on one profile at a time, switchable with `p`."""

    TITLE = "aztui"
    CSS_PATH = "app.tcss"
    # binding ids are what `[keymap]` in the profiles file remaps, e.g. `profiles = "o"`
    BINDINGS = [
        Binding("p", "pick_profile", "Profiles", id="profiles", tooltip="Switch to another profile"),
        Binding("r", "refresh", "Refresh", id="refresh", tooltip="Reload the current pane"),
        Binding("q", "quit", "Quit", id="quit", tooltip="Quit aztui"),
    ]

    # always_update: choosing the active profile again reloads it
    profile: reactive[Profile | None] = reactive(None, init=False, always_update=True)

    def __init__(self, profile_set, *, profile_name: str | None = None) -> None:
        super().__init__()
        self.profile_set = profile_set
        self.start_profile = profile_name

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="context-bar"):
            yield Label(Text("No profile. Press p to choose one."), id="profile-label")
            yield Label("READ-ONLY", id="read-only-badge")
        with TabbedContent(id="panes"):
            with TabPane("Storage", id="storage-pane"):
                yield StorageView(id="storage")
            with TabPane("Registry", id="registry-pane"):
                yield Static("Registry browser: coming soon.", classes="placeholder")
            with TabPane("Cache", id="cache-pane"):
                yield Static("BuildKit cache browser: coming soon.", classes="placeholder")
        yield Footer()

    def on_mount(self) -> None:
        if self.profile_set.keymap:
            self.update_keymap(dict(self.profile_set.keymap))
        for problem in self.profile_set.warnings:
            self.notify(problem.render(), severity="warning", markup=False)
        name = self.start_profile or self.profile_set.default_profile
        if name:
            self.activate(name)
        else:
            self.action_pick_profile()

    # --- profiles -------------------------------------------------------------------------

    def activate(self, name: str) -> bool:
        """Make profile `name` the active one; an unknown or invalid name opens the picker."""
        try:
            profile = self.profile_set.get(name)
        except AztuiError as error:
            self.notify_error(error)
            self.action_pick_profile()
            return False
        self.profile = profile
        return True

    def watch_profile(self, profile: Profile | None) -> None:
        if profile is None:
            return
        account = account_label(profile)
        self.sub_title = " · ".join([profile.name] + [account] * bool(account)
                                    + ["read-only"] * profile.read_only)
        label = Text.assemble(plain(profile.name, "bold"), "  ", plain(profile.kind, "cyan"), "  ",
                              plain(profile.auth, "magenta"))
        if account:
            label.append("  ")
            label.append(account + (f"/{profile.container}" if profile.container else ""), "dim")
        self.query_one("#profile-label", Label).update(label)
        self.query_one("#read-only-badge").display = profile.read_only
        storage = self.query_one(StorageView)
        if profile.kind == "acr":  # no blob storage behind an ACR profile
            storage.show_nothing("This profile is a container registry: see the Registry pane.")
            self.query_one(TabbedContent).active = "registry-pane"
        else:
            storage.load(profile)
            self.query_one(TabbedContent).active = "storage-pane"

    def action_pick_profile(self) -> None:
        if isinstance(self.screen, ProfilePicker):
            return
        active = self.profile.name if self.profile else None

        def chosen(name: str | None) -> None:
            if name:
                self.activate(name)

        self.push_screen(ProfilePicker(self.profile_set, active=active), chosen)

    def action_refresh(self) -> None:
        if self.profile is not None:
            self.profile = self.profile  # always_update: runs watch_profile again

    # --- failures -------------------------------------------------------------------------

    def notify_error(self, error: AztuiError) -> None:
        message = f"{error.title}: {error.message}"
        if error.hint:
            message += f"\nHint: {error.hint}"
        self.notify(message, severity="error", markup=False, timeout=12)

    def on_storage_view_load_failed(self, event: StorageView.LoadFailed) -> None:
        self.notify_error(event.error)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A worker that died of an unexpected exception: report it, keep running."""
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            if not isinstance(error, AztuiError):
                error = AztuiError(f"{type(error).__name__}: {error}", title="Unexpected error",
                                   hint="this is a bug in aztui; please report it")
            self.notify_error(error)


def create_app(profile_set, *, profile_name: str | None = None) -> AztuiApp:
    """The app for a loaded `ProfileSet`, opened on `profile_name` (else the default, else the picker)."""
    return AztuiApp(profile_set, profile_name=profile_name)
