"""Small helpers that turn values into plain (never markup) display text."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from rich.text import Text

from aztui.profiles.model import Profile
from aztui.units import count, human_size, terminal_safe  # noqa: F401 (the UI imports count, human_size from here)


def plain(value: object, style: str = "") -> Text:
    """Storage and profile text, shown literally: `[bold]` stays `[bold]`, and control and bidi
    characters are escaped as the CLI does (`\\x1b`, `\\u202e`), so one value is one line."""
    return Text("" if value is None else terminal_safe(str(value)), style=style)


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else ""


def account_label(profile: Profile) -> str:
    """The account a profile works on: its name, else the endpoint's host (never a secret)."""
    if profile.account_name:
        return profile.account_name
    if profile.registry_url:
        return urlsplit(profile.registry_url).hostname or profile.registry_url
    if profile.account_url:
        parts = urlsplit(profile.account_url)
        return parts.path.strip("/") or parts.hostname or ""
    return ""


def shown(widget) -> bool:
    """The widget and every ancestor are displayed (a pane on a hidden tab is not)."""
    return all(getattr(node, "display", True) for node in widget.ancestors_with_self)
