"""One manifest of the Registry pane in detail: properties, config, layers, an index's platforms, referrers.

Everything but the image config comes with the pane's listing (aztui.registry.images); the config
blob is read in a worker through the same backend (Distribution: from storage; ACR: the client).
"""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, Label

from aztui.errors import AztuiError
from aztui.profiles.model import Profile
from aztui.registry.backends import open_registry
from aztui.registry.images import Image, ImageConfig, manifest_detail, read_config
from aztui.registry.model import short_digest
from aztui.ui.widgets.footer import Footer
from aztui.ui.widgets.text import human_size, plain

SECTIONS = ("layers", "platforms", "referrers")


class ManifestDetailsScreen(Screen[None]):
    """Esc or Backspace goes back to the repository."""

    BINDINGS = [Binding("escape,backspace", "close", "Back", id="back", tooltip="Back to the repository")]

    class ConfigRead(Message):
        def __init__(self, config: ImageConfig | None) -> None:
            super().__init__()
            self.config = config

    def __init__(self, profile: Profile, image: Image, images: dict) -> None:
        super().__init__()
        self.profile = profile
        self.image = image
        self.images = images

    def compose(self) -> ComposeResult:
        m = self.image.manifest
        yield Header()
        yield Label(Text.assemble(("Manifest  ", "bold"), plain(f"{m.repository}@{short_digest(m.digest)}")),
                    id="details-title")
        with VerticalScroll(id="details-body"):
            yield DataTable(id="manifest-properties", cursor_type="row", show_header=False)
            for section, title in zip(SECTIONS, ("Layers", "Platforms", "Referrers")):
                yield Label(title, classes="section", id=f"manifest-{section}-title")
                yield DataTable(id=f"manifest-{section}", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#manifest-properties", DataTable).add_columns("Property", "Value")
        self.query_one("#manifest-layers", DataTable).add_columns("#", "Digest", "Size", "Media type")
        self.query_one("#manifest-platforms", DataTable).add_columns("Platform", "Digest", "Size", "Tags")
        self.query_one("#manifest-referrers", DataTable).add_columns("Digest", "Type", "Tags")
        self.show(None, loading=self._has_config())
        self.query_one("#manifest-properties", DataTable).focus()
        if self._has_config():
            self._read_config()

    def _has_config(self) -> bool:
        content = self.image.content
        return content is not None and content.config is not None and not self.image.is_index

    @work(exclusive=True, exit_on_error=False, group="manifest-config")
    async def _read_config(self) -> None:
        try:
            async with open_registry(self.profile) as registry:
                config = await read_config(registry, self.image)
        except AztuiError as error:
            self.notify(error.render(), title="Could not read the image config", severity="error", markup=False)
            config = None
        self.post_message(self.ConfigRead(config))

    def on_manifest_details_screen_config_read(self, event: ConfigRead) -> None:
        self.show(event.config, loading=False)

    def show(self, config: ImageConfig | None, *, loading: bool) -> None:
        detail = manifest_detail(self.image, self.images, config)
        properties = self.query_one("#manifest-properties", DataTable)
        properties.clear()
        for name, value in detail.properties:
            properties.add_row(Text(name, style="bold"), plain(value), key=name)
        if loading:
            properties.add_row(Text("Config", style="bold"), Text("reading the image config…", style="dim"))

        def size(value: int | None) -> Text:
            return Text("" if value is None else human_size(value), justify="right")

        layers = self.query_one("#manifest-layers", DataTable)
        layers.clear()
        for number, (digest, layer_size, media) in enumerate(detail.layers, start=1):
            layers.add_row(Text(str(number)), plain(digest), size(layer_size), plain(media), key=digest + f"#{number}")
        platforms = self.query_one("#manifest-platforms", DataTable)
        platforms.clear()
        for digest, platform, child_size, tags in detail.platforms:
            platforms.add_row(plain(platform), plain(digest), size(child_size), plain(tags), key=digest)
        referrers = self.query_one("#manifest-referrers", DataTable)
        referrers.clear()
        for digest, kind, tags in detail.referrers:
            referrers.add_row(plain(digest), plain(kind), plain(tags), key=digest)
        for section, rows in zip(SECTIONS, (detail.layers, detail.platforms, detail.referrers)):
            for widget_id in (f"#manifest-{section}", f"#manifest-{section}-title"):
                self.query_one(widget_id).display = bool(rows)

    def action_close(self) -> None:
        self.workers.cancel_node(self)
        self.dismiss(None)
