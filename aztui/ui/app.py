"""The aztui app shell: header with the active profile, three panes, footer, help, command palette.

`create_app(profile_set)` is the one factory used by the CLI, the demo and the tests.
Storage work runs in workers (see `ContainersView`); failures (`PaneFailed`) become notifications, never tracebacks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Header, Label, TabbedContent, TabPane, Tabs
from textual.worker import Worker, WorkerState

from aztui.errors import AztuiError
from aztui.profiles.model import Profile
from aztui.ui.commands import ActionsProvider
from aztui.ui.compositor import FrontFirstCompositor
from aztui.ui.messages import PaneFailed
from aztui.ui.panes.containers import DEFAULT_MAX_ROWS, DEFAULT_PAGE_SIZE, ContainersView
from aztui.ui.widgets.footer import Footer
from aztui.ui.widgets.list_table import ListTable
from aztui.ui.widgets.text import account_label, plain
from aztui.ui.workers import as_aztui_error

if TYPE_CHECKING:
    from aztui.ui.panes.cache import CacheView
    from aztui.ui.panes.registry import RegistryView

PANES = {"containers": "containers-pane", "registry": "registry-pane", "cache": "cache-pane"}
KIND_PANES = {"acr": "registry", "distribution": "registry", "buildkit-cache": "cache"}  # else containers


def kind_pane(profile: Profile) -> str:
    """The pane a profile opens on: the one of its kind."""
    return KIND_PANES.get(profile.kind, "containers")


def jump_provider():
    """The palette's jump targets (`screens/jump.py`), imported when the palette first opens."""
    from aztui.ui.screens.jump import JumpProvider

    return JumpProvider


class AztuiApp(App[None]):
    """The terminal admin tool; works on one profile at a time, switchable with `p`."""

    TITLE = "aztui"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {ActionsProvider, jump_provider}
    # binding ids are what `[keymap]` in the profiles file remaps, e.g. `profiles = "o"`
    BINDINGS = [
        Binding("1", "show_pane('containers')", "Containers", id="pane-containers",
                tooltip="Show the Containers pane", show=False),
        Binding("2", "show_pane('registry')", "Registry", id="pane-registry",
                tooltip="Show the Registry pane", show=False),
        Binding("3", "show_pane('cache')", "Cache", id="pane-cache", tooltip="Show the Cache pane", show=False),
        Binding("p", "pick_profile", "Profiles", id="profiles", tooltip="Switch to another profile"),
        Binding("t", "test_profile", "Test", id="test-profile",
                tooltip="Test the active profile step by step: endpoint, clock, credential, authorization"),
        Binding("r", "refresh", "Refresh", id="refresh", tooltip="Reload the current pane"),
        Binding("question_mark", "help", "Help", id="help", tooltip="Every key binding"),
        Binding("q", "quit", "Quit", id="quit", tooltip="Quit aztui"),
        Binding("colon", "jump", "Jump", id="jump", show=False,
                tooltip="Jump to a container, container/path/, a profile or a pane (with completion)"),
    ]

    # always_update: choosing the active profile again reloads it
    profile: reactive[Profile | None] = reactive(None, init=False, always_update=True)

    def __init__(self, profile_set, *, profile_name: str | None = None, page_size: int = DEFAULT_PAGE_SIZE,
                 max_rows: int = DEFAULT_MAX_ROWS) -> None:
        super().__init__()
        self.profile_set = profile_set
        self.start_profile = profile_name
        self.page_size = page_size
        self.max_rows = max_rows
        self.building: set[str] = set()  # "registry", "cache": views being built (see `show_view`)

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="context-bar"):
            yield Label(Text("No profile. Press p to choose one."), id="profile-label")
            yield Label("PROTECTED", id="protected-badge")
            yield Label("READ-ONLY", id="read-only-badge")
        with TabbedContent(id="panes", initial=PANES[self.start_pane()]):
            with TabPane("1 Containers", id="containers-pane"):
                yield ContainersView(page_size=self.page_size, max_rows=self.max_rows, id="containers")
            # the Registry and Cache views are built the first time they are needed (see `show_view`):
            # the first frame shows the Containers pane only, and paints sooner without them
            yield TabPane("2 Registry", id="registry-pane")
            yield TabPane("3 Cache", id="cache-pane")
        yield Footer(compact=True)  # more keys fit on a small terminal

    def get_default_screen(self) -> Screen:
        """The main screen, without Textual's auto focus: it would focus a widget of a pane that is
        about to be hidden (and so switch back to its tab); the panes focus their own tables.
        Its frames draw only the lines that changed (`FrontFirstCompositor`): a keypress is drawn sooner."""
        screen = Screen(id="_default")
        screen.AUTO_FOCUS = ""
        screen._compositor = FrontFirstCompositor()
        return screen

    def start_pane(self) -> str:
        """The pane of the profile the app starts on (the tab bar cannot switch before it is mounted)."""
        try:
            return kind_pane(self.profile_set.get(self.start_profile or self.profile_set.default_profile))
        except Exception:  # no or a broken start profile: `activate` reports it
            return "containers"

    def on_mount(self) -> None:
        # the tab bar never takes the focus (1/2/3 switch panes): Tab stays in the pane, with its keys
        self.query_one(TabbedContent).query_one(Tabs).can_focus = False
        self.open_profile_set(self.profile_set, self.start_profile)

    def open_profile_set(self, profile_set, name: str | None = None) -> None:
        """What start does with the profiles file: keymap, warnings, then profile `name`
        (default: the file's default profile) or, without one, the picker."""
        self.profile_set = profile_set
        self.set_keymap(dict(profile_set.keymap))
        for problem in profile_set.warnings:
            self.notify(problem.render(), severity="warning", markup=False)
        name = name or profile_set.default_profile
        if name:
            self.activate(name)
        else:
            self.action_pick_profile()

    @property
    def containers(self) -> ContainersView:
        return self.query_one(ContainersView)

    @property
    def cache(self) -> CacheView:
        """The Cache view; NoMatches until the pane has been shown once (see `show_view`)."""
        return self.query_one("#cache-pane > #cache")

    @property
    def registry(self) -> RegistryView:
        """The Registry view; NoMatches until it has been needed once (see `show_view`)."""
        return self.query_one("#registry-pane > #registry")

    def built_view(self, pane: str):
        """The Registry or Cache view if it is built and mounted, else None."""
        if pane in self.building:
            return None
        tab = self.query_one(f"#{PANES[pane]}", TabPane)
        return tab.children[0] if tab.children else None

    def show_view(self, pane: str, *, focus: bool = True) -> None:
        """Read the Registry or Cache view if stale and focus its table, building it first if needed.

        Both panes start empty so that the first frame paints sooner: a view is built the first
        time it is shown (or, for registry profiles, needed), then loaded with the active profile.
        """
        view = self.built_view(pane)
        if view is not None:
            view.ensure_loaded()
            if focus:
                view.focus_pane()
        elif pane not in self.building:
            self.building.add(pane)
            self.call_later(self.build_view, pane)

    async def build_view(self, pane: str) -> None:
        if pane == "cache":
            from aztui.ui.panes.cache import CacheView as view_class
        else:
            from aztui.ui.panes.registry import RegistryView as view_class
        view = view_class(id=pane)
        try:
            await self.query_one(f"#{PANES[pane]}", TabPane).mount(view)
        finally:
            self.building.discard(pane)
        if self.profile is not None:
            view.load(self.profile)
        if self.query_one(TabbedContent).active == PANES[pane]:
            view.ensure_loaded()
            view.focus_pane()

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
                                    + ["protected"] * profile.protected + ["read-only"] * profile.read_only)
        label = Text.assemble(plain(profile.name, "bold"), "  ", plain(profile.kind, "cyan"), "  ",
                              plain(profile.auth, "magenta"))
        if account:
            label.append("  ")
            label.append(account + (f"/{profile.container}" if profile.container else ""), "dim")
        self.query_one("#profile-label", Label).update(label)
        self.query_one("#read-only-badge").display = profile.read_only
        self.query_one("#protected-badge").display = profile.protected
        self.set_class(profile.protected, "-protected")
        # the pane of the profile's kind first: a view loading below never keeps the focus on a pane left
        self.query_one(TabbedContent).active = PANES[kind_pane(profile)]
        # views not built yet get the profile when they are (see `show_view`)
        if (cache := self.built_view("cache")) is not None:
            cache.load(profile)  # read when the Cache pane is shown
        if (registry := self.built_view("registry")) is not None:
            registry.load(profile)  # ACR and registry-in-blob profiles read at once, others when shown
        elif profile.kind in ("acr", "distribution"):
            self.show_view("registry", focus=False)
        if profile.kind == "acr":  # no blob storage behind an ACR profile
            self.containers.show_nothing("This profile is a container registry: see the Registry pane.")
            self.action_show_pane("registry")
        else:
            self.action_show_pane(kind_pane(profile))
            self.containers.load(profile)  # after: its spinner keeps the focus only if its pane is shown
        if self.query_one(TabbedContent).active == PANES["cache"]:
            self.show_view("cache", focus=False)

    def action_pick_profile(self) -> None:
        from aztui.ui.screens.profile_picker import ProfilePicker

        if isinstance(self.screen, ProfilePicker):
            return
        active = self.profile.name if self.profile else None

        def chosen(name: str | None) -> None:
            if name:
                self.activate(name)

        self.push_screen(ProfilePicker(self.profile_set, active=active), chosen)

    def action_test_profile(self, name: str | None = None) -> None:
        """Open the profile test screen for `name` (default: the active profile)."""
        from aztui.ui.screens.profile_doctor import ProfileDoctorScreen

        name = name or (self.profile.name if self.profile else None)
        if name is None:
            self.notify("Choose a profile first (p); t in the picker tests the highlighted one.")
            return
        if not isinstance(self.screen, ProfileDoctorScreen):
            self.push_screen(ProfileDoctorScreen(self.profile_set, name))

    def action_refresh(self) -> None:
        if self.profile is not None:
            self.profile = self.profile  # always_update: runs watch_profile again

    def action_show_pane(self, pane: str) -> None:
        self.query_one(TabbedContent).active = PANES[pane]
        if pane == "containers":
            self.containers.focus_pane()
        else:
            self.show_view(pane)

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        """A click on the Cache or Registry tab reads it too."""
        if event.pane.id == PANES["cache"]:
            self.show_view("cache", focus=False)
        elif event.pane.id == PANES["registry"]:
            self.show_view("registry", focus=False)

    def binding_lists(self) -> list[tuple[str, list[Binding]]]:
        """(section, bindings) of the app, its panes and screens, for the help screen."""
        from aztui.ui.panes.cache import CacheView
        from aztui.ui.panes.registry import RegistryView
        from aztui.ui.screens.blob_details import BlobDetailsScreen
        from aztui.ui.screens.gc_plan import GcPlanScreen
        from aztui.ui.screens.profile_doctor import ProfileDoctorScreen
        from aztui.ui.screens.profile_picker import ProfilePicker

        return [("Everywhere", type(self).BINDINGS), ("Every list", ListTable.BINDINGS),
                ("Containers pane", ContainersView.BINDINGS),
                ("Blob details", BlobDetailsScreen.BINDINGS), ("Registry pane", RegistryView.BINDINGS),
                ("Cache pane", CacheView.BINDINGS),
                ("GC plan", GcPlanScreen.BINDINGS), ("Profile picker", ProfilePicker.BINDINGS),
                ("Profile test", ProfileDoctorScreen.BINDINGS)]

    def action_jump(self) -> None:
        from aztui.ui.screens.jump import JumpBar, go_to, known_targets

        if isinstance(self.screen, JumpBar):
            return

        def chosen(target) -> None:
            if target is not None:
                go_to(self, target)

        self.push_screen(JumpBar(known_targets(self), self.containers.profile), chosen)

    def action_help(self) -> None:
        from aztui.ui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    # --- failures -------------------------------------------------------------------------

    def notify_error(self, error: AztuiError) -> None:
        message = f"{error.title}: {error.message}"
        if error.hint:
            message += f"\nHint: {error.hint}"
        self.notify(message, severity="error", markup=False, timeout=12)

    def on_pane_failed(self, event: PaneFailed) -> None:
        self.notify_error(event.error)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """An app worker died of an exception: report it, keep running. (This message does not
        bubble: panes and screens report their own workers with `workers.worker_failure`.)"""
        if event.state == WorkerState.ERROR:
            self.notify_error(as_aztui_error(event.worker.error))


def create_app(profile_set, *, profile_name: str | None = None, page_size: int = DEFAULT_PAGE_SIZE,
               max_rows: int = DEFAULT_MAX_ROWS) -> AztuiApp:
    """The app for a loaded `ProfileSet`, opened on `profile_name` (else the default, else the picker).

    `page_size` is how many rows one listing page fetches; `max_rows` caps the rows kept.
    """
    return AztuiApp(profile_set, profile_name=profile_name, page_size=page_size, max_rows=max_rows)
