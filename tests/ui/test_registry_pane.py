"""The Registry pane driven by Pilot, hosted in a small App of its own, against real parts:

- a Distribution registry's real storage tree (pushed with Debian's docker-registry) in Azurite;
- the local ACR-compatible HTTPS server in front of a real docker-registry (tests/support/acr_server.py),
  with the local Entra token server for a credential that may write;
- an unreachable registry.
"""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.widgets import DataTable
from textual.worker import WorkerState

from aztui.azure.acr import AcrRegistry
from aztui.azure.blobs import BlobStore
from aztui.errors import AztuiError
from aztui.profiles.file import load_profiles
from aztui.profiles.model import Profile
from aztui.ui.messages import PaneFailed
from aztui.ui.panes.registry import DISTRIBUTION_NOTE, RegistryView
from aztui.ui.screens.registry_dialogs import (
    RegistryDeleteReportScreen,
    RegistryDeleteReview,
)
from tests.support.acr_server import acr_profile as anonymous_acr_profile
from tests.support.acr_server import credential_profile as _credential_profile
from tests.support.distribution_data import pushed_registry  # noqa: F401 - fixture
from tests.support.pilot import cursor_to, errors, recording, settle, text_of
from tests.support.profiles import azurite_profile
from tests.support.registry_server import registry_binary

SIZE = (150, 45)
needs_registry = pytest.mark.skipif(registry_binary() is None, reason="docker-registry is not installed")


@pytest.fixture(autouse=True)
def journals_in_tmp(tmp_path, monkeypatch):
    """Delete journals go to the user state dir: keep them in the test's folder."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


class RegistryApp(App[None]):
    """Hosts one RegistryView; reports failures the way the aztui app does (title, message, hint)."""

    def __init__(self) -> None:
        super().__init__()
        self.worker_errors: list[BaseException] = []

    def compose(self) -> ComposeResult:
        yield RegistryView(id="registry")

    @property
    def view(self) -> RegistryView:
        return self.query_one(RegistryView)

    def on_pane_failed(self, event: PaneFailed) -> None:
        error: AztuiError = event.error
        message = f"{error.title}: {error.message}"
        if error.hint:
            message += f"\nHint: {error.hint}"
        self.notify(message, severity="error", markup=False, timeout=12)

    def on_worker_state_changed(self, event) -> None:
        if event.state == WorkerState.ERROR:
            self.worker_errors.append(event.worker.error)


def start(notes: list):
    app = RegistryApp()
    return app, app.run_test(size=SIZE, message_hook=recording(notes))


def column(app, table_id: str, label: str) -> list[str]:
    table = app.query_one(table_id, DataTable)
    labels = [key.value for key in table.columns]  # the labels may carry the sort's ▲/▼
    index = labels.index(label)
    return [table.get_row_at(i)[index].plain for i in range(table.row_count)]


def row_of(app, table_id: str, key: str) -> dict[str, str]:
    table = app.query_one(table_id, DataTable)
    labels = [key.value for key in table.columns]  # the labels may carry the sort's ▲/▼
    return dict(zip(labels, (cell.plain for cell in table.get_row(key))))


def action_names(app) -> set[str]:
    """The actions the footer, help and palette offer right now (check_action False: absent)."""
    return {active.binding.action for active in app.screen.active_bindings.values()}


# --- Distribution registry stored in Azurite ------------------------------------------------------

@pytest.mark.slow
async def test_distribution_registry_is_browsed_from_storage(pushed_registry):  # noqa: F811
    data = pushed_registry
    profiles = load_profiles(data.config)
    notes: list = []
    app, running = start(notes)
    async with running as pilot:
        app.view.load(profiles.get("v3"))
        await settle(pilot)
        assert column(app, "#registry-repositories", "Repository") == sorted(data.catalog)
        nginx = row_of(app, "#registry-repositories", "library/nginx")
        assert (nginx["Tags"], nginx["Manifests"]) == ("2", "2")
        assert DISTRIBUTION_NOTE in text_of(app, "#registry-status")
        assert "v3 layout" in text_of(app, "#registry-title")
        assert not {"delete", "lock", "lock_delete"} & action_names(app)
        assert app.view.check_action("delete", ()) is False

        # Enter: tags and manifests; the first `latest` revision is untagged now
        await cursor_to(pilot, "library/nginx", "#registry-repositories")
        await pilot.press("enter")
        await settle(pilot)
        assert sorted(column(app, "#registry-tags", "Tag")) == sorted(data.tags["library/nginx"]) == ["1.27", "latest"]
        old = row_of(app, "#registry-manifests", data.digests["nginx_old"])
        assert old["Tags"] == "untagged" and old["Platform"] == "linux/amd64" and old["Media type"] == "Docker v2"
        assert row_of(app, "#registry-manifests", data.digests["nginx"])["Tags"] == "1.27, latest"
        assert "1 untagged" in text_of(app, "#registry-status")

        # x and l do nothing here: no review screen, no request
        await pilot.press("x", "L")
        await settle(pilot)
        assert not isinstance(app.screen, RegistryDeleteReview)

        # Backspace: back to the repositories, cursor on the one we left
        await pilot.press("backspace")
        await settle(pilot)
        table = app.query_one("#registry-repositories", DataTable)
        assert table.display and table.get_row_at(table.cursor_row)[0].plain == "library/nginx"

        # an index with two platform children, each shown with its platform
        await cursor_to(pilot, "team/api/server", "#registry-repositories")
        await pilot.press("enter")
        await settle(pilot)
        index = row_of(app, "#registry-manifests", data.digests["index"])
        assert index["Media type"] == "OCI index (2)" and index["Tags"] == "v2"
        assert index["Platform"] == "multi-platform"
        assert row_of(app, "#registry-manifests", data.digests["child_arm64"])["Platform"] == "linux/arm64"
        assert row_of(app, "#registry-manifests", data.digests["child_amd64"])["Tags"] == "untagged"

        # sorted by time: newest first by default, m reverses
        first = column(app, "#registry-manifests", "Updated")
        assert first == sorted(first, reverse=True)
        await pilot.press("m")
        await pilot.pause()
        assert column(app, "#registry-manifests", "Updated") == sorted(first)
        assert "last update ↑" in text_of(app, "#registry-status")

        # Enter on a tag goes to its manifest
        await cursor_to(pilot, "v2", "#registry-tags")
        await pilot.press("enter")
        await pilot.pause()
        manifests = app.query_one("#registry-manifests", DataTable)
        assert app.focused is manifests
        assert manifests.coordinate_to_cell_key(manifests.cursor_coordinate).row_key.value == data.digests["index"]
    assert not errors(notes) and not app.worker_errors


async def test_v28_layout_and_read_only(pushed_registry):  # noqa: F811
    data = pushed_registry
    profiles = load_profiles(data.config)
    notes: list = []
    app, running = start(notes)
    async with running as pilot:
        app.view.load(profiles.get("v28"))
        await settle(pilot)
        assert column(app, "#registry-repositories", "Repository") == sorted(data.catalog)
        assert "v2.8 layout" in text_of(app, "#registry-title")
        app.view.load(profiles.get("v3ro"))
        await settle(pilot)
        assert column(app, "#registry-repositories", "Repository") == sorted(data.catalog)
        assert not {"delete", "lock"} & action_names(app)
    assert not errors(notes)


async def test_a_profile_without_a_registry_says_how_to_add_one(azurite, container_name):
    account = azurite_profile(azurite, connection_string=True, name="plain")
    empty = azurite_profile(azurite, connection_string=True, name="empty", container=container_name)
    async with BlobStore(account) as store:
        await store.create_container(container_name)
        await store.upload_blob(container_name, "notes.txt", b"not a registry")
    notes: list = []
    app, running = start(notes)
    async with running as pilot:
        app.view.load(account)
        await settle(pilot)
        help_text = text_of(app, "#registry-help")
        assert 'uri = "<name>.azurecr.io"' in help_text and "container" in help_text
        assert not app.query_one("#registry-repositories").display
        app.view.load(empty)
        await settle(pilot)
        help_text = text_of(app, "#registry-help")
        assert "No registry data" in help_text and 'uri = "<name>.azurecr.io"' in help_text
        assert not {"delete", "lock"} & action_names(app)
    assert not errors(notes) and not app.worker_errors


# --- Azure Container Registry (the local ACR-compatible server) -------------------------------------

def writes(server) -> list:
    return [(method, path) for method, path, _ in server.requests if method in ("DELETE", "PATCH", "PUT")]


async def tags_at_server(profile: Profile, repository: str) -> set[str]:
    async with AcrRegistry(profile, {}) as reg:
        return {t.name for t in await reg.list_tags(repository)}


@pytest.mark.slow
@needs_registry
async def test_acr_list_delete_a_tag_and_a_locked_manifest(acr, tls, token_server, registry):  # noqa: F811
    p = _credential_profile(acr, tls, token_server)
    notes: list = []
    app, running = start(notes)
    async with running as pilot:
        app.view.load(p)
        await settle(pilot)
        assert column(app, "#registry-repositories", "Repository") == ["app", "multi", "tools/lint"]
        repo = row_of(app, "#registry-repositories", "app")
        assert (repo["Tags"], repo["Manifests"], repo["Can dwrl"]) == ("3", "3", "dwrl")
        assert {"delete", "lock"} <= action_names(app)
        assert DISTRIBUTION_NOTE not in text_of(app, "#registry-status")

        await cursor_to(pilot, "app", "#registry-repositories")
        await pilot.press("enter")
        await settle(pilot)
        assert sorted(column(app, "#registry-tags", "Tag")) == ["latest", "v1", "v2"]
        assert column(app, "#registry-manifests", "Tags").count("untagged") == 1

        # delete the tag `latest`: plan → review → confirm → report; gone at the server
        await cursor_to(pilot, "latest", "#registry-tags")
        await pilot.press("x")
        await settle(pilot)
        review = app.screen
        assert isinstance(review, RegistryDeleteReview)
        assert "app:latest" in text_of(app, "#review-title")
        assert "still tagged v2" in text_of(app, "#review-names")
        assert not writes(acr)                              # nothing sent before the confirmation
        await pilot.click("#confirm")
        await settle(pilot)
        assert isinstance(app.screen, RegistryDeleteReportScreen)
        assert [o.status for o in app.screen.report.outcomes] == ["deleted"]
        await pilot.press("escape")
        await settle(pilot)
        assert await tags_at_server(p, "app") == {"v1", "v2"}
        assert sorted(column(app, "#registry-tags", "Tag")) == ["v1", "v2"]

        # lock the manifest of v1 (L), then delete is refused with a clear error, before any DELETE
        v1 = registry.digests["app:v1"]
        await cursor_to(pilot, v1, "#registry-manifests")
        await pilot.press("L")
        await settle(pilot)
        assert row_of(app, "#registry-manifests", v1)["Can dwrl"] == "--rl"
        assert acr.flags[("app", "digest", v1)] == {"can_delete": False, "can_write": False}
        deletes_before = [w for w in writes(acr) if w[0] == "DELETE"]
        await cursor_to(pilot, v1, "#registry-manifests")
        await pilot.press("x")
        await settle(pilot)
        assert not isinstance(app.screen, RegistryDeleteReview)
        refused = errors(notes)
        assert refused and refused[-1].startswith("Locked: app@" + v1)
        assert "unlock" in refused[-1]
        assert [w for w in writes(acr) if w[0] == "DELETE"] == deletes_before

        # unlock (L again) and the manifest delete goes through, with its tag
        await cursor_to(pilot, v1, "#registry-manifests")
        await pilot.press("L")
        await settle(pilot)
        assert row_of(app, "#registry-manifests", v1)["Can dwrl"] == "dwrl"
        await cursor_to(pilot, v1, "#registry-manifests")
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, RegistryDeleteReview)
        assert "and its tag v1" in text_of(app, "#review-names")
        await pilot.click("#confirm")
        await settle(pilot)
        assert [o.status for o in app.screen.report.outcomes] == ["deleted"]
        await pilot.press("escape")
        await settle(pilot)
        assert v1 not in app.query_one("#registry-manifests", DataTable).rows
        assert await tags_at_server(p, "app") == {"v2"}
    assert not app.worker_errors


@pytest.mark.slow
@needs_registry
async def test_acr_delete_a_repository_on_a_protected_profile(acr, tls, token_server, registry):  # noqa: F811
    p = _credential_profile(acr, tls, token_server, protected=True)
    notes: list = []
    app, running = start(notes)
    async with running as pilot:
        app.view.load(p)
        await settle(pilot)
        await cursor_to(pilot, "tools/lint", "#registry-repositories")
        await pilot.press("x")
        await settle(pilot)
        review = app.screen
        assert isinstance(review, RegistryDeleteReview)
        assert review.query_one("#confirm").disabled              # type the profile's name first
        await pilot.press(*p.name)
        await pilot.pause()
        assert not review.query_one("#confirm").disabled
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, RegistryDeleteReportScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert column(app, "#registry-repositories", "Repository") == ["app", "multi"]
    async with AcrRegistry(p, {}) as reg:
        assert await reg.list_repository_names() == ["app", "multi"]
    assert not errors(notes) and not app.worker_errors


@pytest.mark.slow
@needs_registry
async def test_acr_read_only_profile_offers_no_delete_or_lock_and_sends_no_write(acr, tls, token_server):  # noqa: F811
    p = _credential_profile(acr, tls, token_server, read_only=True)
    notes: list = []
    app, running = start(notes)
    async with running as pilot:
        app.view.load(p)
        await settle(pilot)
        assert column(app, "#registry-repositories", "Repository") == ["app", "multi", "tools/lint"]
        assert not {"delete", "lock", "lock_delete"} & action_names(app)
        await cursor_to(pilot, "app", "#registry-repositories")
        await pilot.press("x", "L", "D", "delete")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await cursor_to(pilot, "v1", "#registry-tags")
        await pilot.press("x", "L", "D")
        await settle(pilot)
        assert not isinstance(app.screen, RegistryDeleteReview)
        assert not {"delete", "lock", "lock_delete"} & action_names(app)
        assert "read-only profile" in text_of(app, "#registry-status")
    assert writes(acr) == []
    assert not errors(notes) and not app.worker_errors


@needs_registry
async def test_acr_anonymous_listing(acr, tls):  # noqa: F811
    notes: list = []
    app, running = start(notes)
    async with running as pilot:
        app.view.load(anonymous_acr_profile(acr, tls))
        await settle(pilot)
        assert column(app, "#registry-repositories", "Repository") == ["app", "multi", "tools/lint"]
    assert not errors(notes)


# --- failures ---------------------------------------------------------------------------------------

async def test_unreachable_registry_is_a_notification_not_a_traceback():
    import socket

    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    p = Profile(name="gone", kind="acr", auth="anonymous", registry_url=f"https://127.0.0.1:{port}",
                max_retries=0, connect_timeout=2, read_timeout=2)
    notes: list = []
    app, running = start(notes)
    async with running as pilot:
        app.view.load(p)
        await settle(pilot)
        assert "Could not read the registry" in text_of(app, "#registry-status")
        assert not app.query_one("#registry-repositories", DataTable).loading
        assert not app.query_one("#registry-work").display
    assert not app.worker_errors
    failures = errors(notes)
    assert len(failures) == 1 and "Hint:" in failures[0] and "Traceback" not in failures[0]
