"""The profile picker: every profile of the file with its kind and auth; invalid ones with their problem."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from aztui.profiles.model import Profile
from aztui.ui.widgets.list_table import ListOptions
from aztui.ui.widgets.text import account_label, plain


def profile_prompt(profile: Profile, *, active: bool = False) -> Text:
    """One line per profile: name, kind, auth, account, badges. Plain text, never markup."""
    text = Text.assemble(
        ("● " if active else "  ", "green"),
        plain(profile.name, "bold"),
        "  ",
        plain(profile.kind, "cyan"),
        "  ",
        plain(profile.auth, "magenta"),
    )
    where = account_label(profile)
    if profile.container:
        where = f"{where}/{profile.container}" if where else profile.container
    if where:
        text.append("  ")
        text.append(where, "dim")
    if profile.read_only:
        text.append("  read-only", "bold yellow")
    description = profile.written.get("description")
    if description:
        text.append("\n    ")
        text.append(str(description), "italic dim")
    return text


def problem_prompt(name: str | None, problems: list) -> Text:
    """An invalid profile (or a file-level problem) with its rendered problems, escaped."""
    text = Text("✗ ", style="red")
    text.append(name or "profiles file", "bold red")
    for problem in problems:
        text.append("\n    ")
        text.append(problem.render(), "red")
    return text


def problems_by_profile(profile_set) -> dict[str | None, list]:
    """Error-level problems grouped by the profile they belong to (None: the file itself)."""
    grouped: dict[str | None, list] = {}
    for problem in profile_set.errors:
        grouped.setdefault(problem.profile, []).append(problem)
    return grouped


class ProfilePicker(ModalScreen[str | None]):
    """Pick the profile to work with; dismisses with its name, or None on Escape."""

    BINDINGS = [
        Binding("escape", "cancel", "Close", id="close"),
        Binding("t", "test_highlighted", "Test", id="test-profile",
                tooltip="Test the highlighted profile step by step"),
    ]

    def __init__(self, profile_set, *, active: str | None = None) -> None:
        super().__init__()
        self.profile_set = profile_set
        self.active = active

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Label("Choose a profile", id="picker-title")
            yield Label(plain(self.profile_set.path, "dim"), id="picker-source")
            yield ListOptions(*self._options(), id="profile-list")
            yield Label("Enter: open   t: test   Esc: close", id="picker-help")

    def _options(self) -> list[Option]:
        options = [Option(profile_prompt(profile, active=name == self.active), id=name)
                   for name, profile in self.profile_set.profiles.items()]
        for name, problems in problems_by_profile(self.profile_set).items():
            if name in self.profile_set.profiles:
                continue  # a valid profile with a problem elsewhere: already listed
            options.append(Option(problem_prompt(name, problems), disabled=True))  # no id: any name is a valid id
        if not options:
            options.append(Option(Text("No profiles. Add [profiles.<name>] tables to the profiles file."),
                                  disabled=True))
        return options

    def on_mount(self) -> None:
        option_list = self.query_one(OptionList)
        if self.active in self.profile_set.profiles:
            option_list.highlighted = option_list.get_option_index(self.active)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id in self.profile_set.profiles:
            self.dismiss(event.option.id)

    def action_test_highlighted(self) -> None:
        option_list = self.query_one(OptionList)
        if option_list.highlighted is None:
            return
        option = option_list.get_option_at_index(option_list.highlighted)
        if option.id in self.profile_set.profiles:
            self.app.action_test_profile(option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
