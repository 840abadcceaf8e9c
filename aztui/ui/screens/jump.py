"""The jump bar (`:`, like k9s's): type a container, `container/path/`, a profile name or a pane.

Completion comes from what is loaded (the containers and folders the Containers pane holds) and
from the profiles file. Tab takes the highlighted suggestion; Enter jumps; Esc closes.
`JumpProvider` offers the same targets in the command palette.

The screen only returns a `JumpTarget`; `go_to` carries it out through the app's own actions
(`activate`, `action_show_pane`, the Containers pane's `go`), so nothing here imports a pane.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from aztui.errors import AztuiError
from aztui.ui.lazy import opened_blob_store
from aztui.ui.widgets.listing import Location

PANE_NAMES = ("containers", "registry", "cache")
MAX_SUGGESTIONS = 12
MAX_CONTAINERS = 5000  # containers read for completion when the bar opens


@dataclass(frozen=True)
class JumpTarget:
    kind: str       # "pane", "profile" or "path"
    value: str      # the pane or profile name, or "container/prefix/"

    @property
    def label(self) -> str:
        return {"pane": "pane", "profile": "profile", "path": "container"}[self.kind] + f"  {self.value}"


def known_targets(app) -> list[JumpTarget]:
    """Panes, profiles (valid ones) and the containers and folders the Containers pane has loaded."""
    targets = [JumpTarget("pane", name) for name in PANE_NAMES]
    targets += [JumpTarget("profile", name) for name in sorted(app.profile_set.profiles)]
    pane = app.containers
    here = pane.location
    paths: list[str] = []
    if pane.profile is not None:
        if here.container is None:
            paths += [f"{entry.name}/" for entry in pane.entries.kept() if hasattr(entry, "public_access")]
        else:
            paths.append(f"{here.container}/{here.prefix}")
            paths += [f"{here.container}/{entry.prefix}" for entry in pane.entries.kept() if hasattr(entry, "prefix")]
    targets += [JumpTarget("path", path) for path in dict.fromkeys(paths)]
    return targets


def parse_jump(app, text: str) -> JumpTarget | None:
    """What typed `text` names: a pane, a profile, else a container path (None: nothing usable)."""
    text = text.strip()
    if not text:
        return None
    if text.lower() in PANE_NAMES:
        return JumpTarget("pane", text.lower())
    if text in app.profile_set.profiles:
        return JumpTarget("profile", text)
    container = text.lstrip("/").split("/", 1)[0]
    if not container:
        return None
    return JumpTarget("path", text.lstrip("/"))


def go_to(app, target: JumpTarget) -> None:
    """Carry out a jump with the app's own actions."""
    if target.kind == "pane":
        app.action_show_pane(target.value)
    elif target.kind == "profile":
        app.activate(target.value)
    else:
        pane = app.containers
        if pane.profile is None or pane.profile.kind == "acr":
            app.notify("Choose a storage profile first (p): containers are read through it.")
            return
        container, _, prefix = target.value.partition("/")
        prefix = prefix if not prefix or prefix.endswith("/") else prefix + "/"
        app.action_show_pane("containers")
        pane.go(Location(container, prefix))


def matching(targets: list[JumpTarget], text: str) -> list[JumpTarget]:
    """Targets starting with `text` first (shortest first: the nearest completion), then those
    containing it (case-insensitive)."""
    needle = text.strip().lower()
    starts = sorted((t for t in targets if t.value.lower().startswith(needle)), key=lambda t: len(t.value))
    contains = [t for t in targets if needle in t.value.lower() and t not in starts]
    return (starts + contains)[:MAX_SUGGESTIONS]


class JumpBar(ModalScreen["JumpTarget | None"]):
    """An input with suggestions; dismisses the target to jump to, or None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="close"),
                Binding("tab", "complete", "Complete", id="jump-complete", show=False),
                Binding("down", "move(1)", "Next", show=False), Binding("up", "move(-1)", "Previous", show=False)]

    def __init__(self, targets: list[JumpTarget], profile=None) -> None:
        """`profile`: the active storage profile, whose containers are read for completion."""
        super().__init__()
        self.targets = targets
        self.profile = profile

    def compose(self) -> ComposeResult:
        with Vertical(id="jump", classes="dialog"):
            yield Label(Text("Container, container/path/, profile or pane (Tab completes)", style="dim"))
            yield Input(placeholder=":", id="jump-input")
            yield OptionList(id="jump-suggestions")

    def on_mount(self) -> None:
        self._suggest("")
        self.query_one("#jump-input", Input).focus()
        if self.profile is not None and self.profile.kind != "acr":
            self._read_containers()

    @work(exclusive=True, exit_on_error=False, group="jump")
    async def _read_containers(self) -> None:
        """The account's containers (the pane may be deep in one), added to the suggestions."""
        names: list[str] = []
        try:
            async with opened_blob_store(self.profile) as store:
                async for info in store.iter_containers():
                    names.append(info.name)
                    if len(names) >= MAX_CONTAINERS:
                        break
        except AztuiError:
            return  # completion only: the jump itself says what is wrong
        known = set(self.targets)
        self.targets += [t for t in (JumpTarget("path", f"{name}/") for name in names) if t not in known]
        self._suggest(self.query_one("#jump-input", Input).value)

    def _suggest(self, text: str) -> None:
        options = self.query_one("#jump-suggestions", OptionList)
        options.clear_options()
        options.add_options([Option(Text(t.label), id=f"{t.kind}:{t.value}") for t in matching(self.targets, text)])
        if options.option_count:
            options.highlighted = 0

    def _highlighted(self) -> JumpTarget | None:
        options = self.query_one("#jump-suggestions", OptionList)
        if options.highlighted is None or not options.option_count:
            return None
        kind, _, value = (options.get_option_at_index(options.highlighted).id or "").partition(":")
        return JumpTarget(kind, value)

    @on(Input.Changed, "#jump-input")
    def _typed(self, event: Input.Changed) -> None:
        self._suggest(event.value)

    def action_complete(self) -> None:
        target = self._highlighted()
        if target is not None:
            field = self.query_one("#jump-input", Input)
            field.value = target.value
            field.cursor_position = len(target.value)

    def action_move(self, step: int) -> None:
        options = self.query_one("#jump-suggestions", OptionList)
        if options.option_count:
            options.highlighted = ((options.highlighted or 0) + step) % options.option_count

    @on(Input.Submitted, "#jump-input")
    def _submitted(self, event: Input.Submitted) -> None:
        typed = parse_jump(self.app, event.value)
        highlighted = self._highlighted()
        # an exact suggestion wins (a profile named like a container); else what was typed
        if highlighted is not None and highlighted.value == event.value.strip():
            typed = highlighted
        self.dismiss(typed)

    @on(OptionList.OptionSelected, "#jump-suggestions")
    def _picked(self) -> None:
        self.dismiss(self._highlighted())

    def action_cancel(self) -> None:
        self.dismiss(None)


class JumpProvider(Provider):
    """The command palette's jump targets: "Go to container …", "Switch to profile …", "Show pane …"."""

    WORDS = {"pane": "Show pane", "profile": "Switch to profile", "path": "Go to container"}

    def _hits(self) -> list[tuple[str, object]]:
        return [(f"{self.WORDS[t.kind]} {t.value}", partial(go_to, self.app, t)) for t in known_targets(self.app)]

    async def discover(self) -> Hits:
        for title, callback in self._hits():
            yield DiscoveryHit(Text(title), callback, text=title)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, callback in self._hits():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, text=title)
