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
from aztui.registry.model import short_digest
from aztui.ui.messages import PaneFailed
from aztui.ui.panes.registry import DISTRIBUTION_NOTE, RegistryView
from aztui.ui.screens.manifest_details import ManifestDetailsScreen
from aztui.ui.screens.registry_dialogs import (
    RegistryDeleteReportScreen,
    RegistryDeleteReview,
)
from aztui.units import human_size
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
        # the children sit right under their index, with their platform, never "untagged"
        digests = column(app, "#registry-manifests", "Digest")
        at = digests.index(short_digest(data.digests["index"]))
        assert digests[at + 1:at + 3] == [f"└ {short_digest(data.digests[c])}" for c in ("child_amd64", "child_arm64")]
        arm = row_of(app, "#registry-manifests", data.digests["child_arm64"])
        assert arm["Platform"] == "linux/arm64" and arm["Tags"] == "in index"
        assert row_of(app, "#registry-manifests", data.digests["child_amd64"])["Tags"] == "in index"
        assert "untagged" not in text_of(app, "#registry-status")
        assert "2 images, 4 manifests (2 in indexes)" in text_of(app, "#registry-status")
        # sizes of whole images: config + layers; the index counts the shared base layer once
        assert index["Size"] == human_size(data.image_size(data.digests["index"]))
        assert arm["Size"] == human_size(data.image_size(data.digests["child_arm64"]))

        # sorted by time: newest first by default, m reverses (images; children stay under their index)
        def top_level() -> list[str]:
            return [u for d, u in zip(column(app, "#registry-manifests", "Digest"),
                                      column(app, "#registry-manifests", "Updated")) if not d.startswith("└")]
        first = top_level()
        assert first == sorted(first, reverse=True)
        await pilot.press("m")
        await pilot.pause()
        assert top_level() == sorted(first)
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


async def test_a_registry_beside_the_configured_root_is_located(pushed_registry, tmp_path):  # noqa: F811
    """A v2.8 registry config copied with `rootdirectory: /prod`: the pane says where the data is."""
    data = pushed_registry
    config = tmp_path / "profiles.toml"
    config.write_text(data.config.read_text().replace('container = "%s"' % data.containers["v2.8"],
                                                      'container = "%s"\nrootdirectory = "/prod"'
                                                      % data.containers["v2.8"]))
    notes: list = []
    app, running = start(notes)
    async with running as pilot:
        app.view.load(load_profiles(config).get("v28"))
        await settle(pilot)
        help_text = " ".join(text_of(app, "#registry-help").split())
        assert "registry data found at the container root ('/docker/registry/v2/', v2.8 naming)" in help_text
        assert "the v2.8 azure driver ignores rootdirectory — remove it from this profile" in help_text
        assert not app.query_one("#registry-repositories").display
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


async def test_the_first_repositories_show_while_the_listing_goes_on(tls):
    """60 repositories; the properties of the 41st are held back: the first 40 show, the read goes on."""
    import asyncio
    import threading

    from tests.support.acr_server import AcrServer

    names = sorted(f"team/service-{i:02d}" for i in range(60))
    release = threading.Event()

    class HeldServer(AcrServer):
        def acr(self, method, segments, query, body):
            if segments and segments[0] == names[40]:
                release.wait(30)
            return super().acr(method, segments, query, body)

    notes: list = []
    with HeldServer(tls["cert"], tls["key"], synthetic={n: ["v1"] for n in names}, default_page=10) as server:
        app, running = start(notes)
        async with running as pilot:
            app.view.load(anonymous_acr_profile(server, tls))
            for _ in range(200):                       # until the first rows are on screen
                await pilot.pause(0.05)
                if app.query_one("#registry-repositories", DataTable).row_count:
                    break
            shown_early = column(app, "#registry-repositories", "Repository")
            assert shown_early and shown_early == names[:len(shown_early)] and len(shown_early) <= 40
            assert any(w.is_running for w in app.workers)              # the read is still going on
            release.set()
            await asyncio.sleep(0)
            await settle(pilot)
            assert column(app, "#registry-repositories", "Repository") == names
    assert not errors(notes) and not app.worker_errors


@pytest.mark.slow
async def test_enter_on_a_manifest_shows_its_layers_config_and_platforms(pushed_registry):  # noqa: F811
    data, d = pushed_registry, pushed_registry.digests
    notes: list = []
    app, running = start(notes)
    async with running as pilot:
        app.view.load(load_profiles(data.config).get("v3"))
        await settle(pilot)
        await cursor_to(pilot, "tools", "#registry-repositories")
        await pilot.press("enter")
        await settle(pilot)
        await cursor_to(pilot, d["tools"], "#registry-manifests")
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ManifestDetailsScreen)
        properties = {app.screen.query_one("#manifest-properties", DataTable).get_row_at(i)[0].plain:
                      app.screen.query_one("#manifest-properties", DataTable).get_row_at(i)[1].plain
                      for i in range(screen.query_one("#manifest-properties", DataTable).row_count)}
        assert properties["Entrypoint"] == '["/usr/bin/tool"]' and properties["Cmd"] == '["--help"]'
        assert properties["Created"].startswith("2024-05-01T10:00:00.123456")
        assert properties["OS/arch"] == "linux/amd64" and properties["Working dir"] == "/work"
        assert properties["label: org.opencontainers.image.source"] == "https://example.invalid/tools"
        assert properties["Image size"].startswith(human_size(data.image_size(d["tools"])))
        manifest = data.manifest(d["tools"])
        layers = screen.query_one("#manifest-layers", DataTable)
        assert [layers.get_row_at(i)[1].plain for i in range(layers.row_count)] == \
            [layer["digest"] for layer in manifest["layers"]]
        assert not screen.query_one("#manifest-platforms", DataTable).display   # not an index
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, ManifestDetailsScreen)

        # an index: its platforms, each with its size; no layers of its own
        await pilot.press("backspace")
        await settle(pilot)
        await cursor_to(pilot, "team/api/server", "#registry-repositories")
        await pilot.press("enter")
        await settle(pilot)
        await cursor_to(pilot, d["index"], "#registry-manifests")
        await pilot.press("enter")
        await settle(pilot)
        platforms = app.screen.query_one("#manifest-platforms", DataTable)
        assert [(platforms.get_row_at(i)[0].plain, platforms.get_row_at(i)[1].plain,
                 platforms.get_row_at(i)[2].plain) for i in range(platforms.row_count)] == [
            ("linux/amd64", d["child_amd64"], human_size(data.image_size(d["child_amd64"]))),
            ("linux/arm64", d["child_arm64"], human_size(data.image_size(d["child_arm64"])))]
        assert not app.screen.query_one("#manifest-layers", DataTable).display
    assert not errors(notes) and not app.worker_errors


# --- GC and purge of a Distribution registry, in the pane ---------------------------------------------

def _table_rows(screen, selector: str) -> list[list[str]]:
    table = screen.query_one(selector, DataTable)
    return [[cell.plain for cell in table.get_row_at(i)] for i in range(table.row_count)]


@pytest.mark.slow
async def test_distribution_gc_and_purge_policy_plan_confirm_report(pushed_registry, azurite, container_name,  # noqa: F811
                                                                     tmp_path):
    """g and P: policy → plan (each item with its reason) → confirm → report → reload; the storage then
    holds what `registry purge` / `registry gc` would leave (checked with aztui's own GC planner)."""
    from aztui.registry.distribution import DistributionRegistry
    from aztui.registry.distribution_gc import load_snapshot, plan_registry_gc
    from aztui.ui.screens.registry_work import (
        RegistryGcForm,
        RegistryPurgeForm,
        RegistryWorkConfirm,
        RegistryWorkPlanScreen,
        RegistryWorkReport,
    )
    from tests.support.distribution_data import profiles_for_container, upload_tree
    from tests.support.profiles import seed_profile

    data, d = pushed_registry, pushed_registry.digests
    await upload_tree(seed_profile(azurite), data.root, container_name, "/")
    profiles = load_profiles(profiles_for_container(data, container_name, "v2.8", tmp_path / "profiles.toml"))
    notes: list = []
    app, running = start(notes)
    async with running as pilot:
        app.view.load(profiles.get("v28"))
        await settle(pilot)
        assert {"gc", "purge"} <= action_names(app)

        # purge: untag team/api/server:v1 and take the manifests left without tags
        await pilot.press("P")
        await settle(pilot)
        assert isinstance(app.screen, RegistryPurgeForm)
        await pilot.press(*"team/api/server:^v1$")
        app.screen.query_one("#policy-untagged").value = True
        await pilot.click("#plan")
        await settle(pilot)
        assert isinstance(app.screen, RegistryWorkPlanScreen)
        delete = _table_rows(app.screen, "#plan-delete")
        assert [(row[0], row[3]) for row in delete] == [
            ("tag", "team/api/server:v1"), ("manifest", f"team/api/server@{short_digest(d['api_v1'])}")]
        assert "tag matches the filter" in delete[0][2] and "--untagged" in delete[1][2]
        kept = _table_rows(app.screen, "#plan-keep")
        assert {row[2] for row in kept} == {f"team/api/server@{short_digest(d[c])}" for c in ("child_amd64", "child_arm64")}
        assert all("child of index" in row[1] for row in kept)
        assert text_of(app, "#plan-recoverable") == "Soft delete is off: deleted blobs cannot be recovered."
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, RegistryWorkConfirm)
        await pilot.click("#confirm")
        await settle(pilot)
        assert isinstance(app.screen, RegistryWorkReport)
        assert "Purge: 2 done, 0 failed" in text_of(app, "Label")
        await pilot.press("escape")
        await settle(pilot)
        assert row_of(app, "#registry-repositories", "team/api/server")["Tags"] == "1"

        # GC: delete untagged, uploads of any age; the sweep leaves nothing for a second plan
        await pilot.press("C")
        await settle(pilot)
        assert isinstance(app.screen, RegistryGcForm)
        app.screen.query_one("#policy-upload-age").value = "0s"
        app.screen.query_one("#policy-delete-untagged").value = True
        await pilot.click("#plan")
        await settle(pilot)
        plan_screen = app.screen
        assert isinstance(plan_screen, RegistryWorkPlanScreen)
        reasons = {row[0]: row[2] for row in _table_rows(plan_screen, "#plan-delete")}
        assert reasons["blob"] == "referenced by no manifest that stays" and "older than" in reasons["upload"]
        assert "no tag points at it" in reasons["manifest"]           # nginx's first `latest`
        assert plan_screen.work.recoverable_days == 0  # read with the plan: Azurite's soft delete is off
        planned_blobs = {item.name for item in plan_screen.work.delete if item.kind == "blob"}
        api_v1 = data.manifest(d["api_v1"])
        assert {d["api_v1"], api_v1["config"]["digest"], api_v1["layers"][1]["digest"]} <= planned_blobs
        await pilot.press("x")
        await settle(pilot)
        await pilot.click("#confirm")
        await settle(pilot)
        assert isinstance(app.screen, RegistryWorkReport) and app.screen.report.failed == 0
        await pilot.press("escape")
        await settle(pilot)
    assert not errors(notes) and not app.worker_errors
    async with DistributionRegistry(profiles.get("v28")) as registry:
        again = plan_registry_gc(await load_snapshot(registry), delete_untagged=True)
        tags = {t.name for t in await registry.list_tags("team/api/server")}
    assert again.empty and not again.problems and tags == {"v2"}


async def test_gc_and_purge_are_not_offered_read_only_or_without_a_registry(pushed_registry, azurite):  # noqa: F811
    data = pushed_registry
    notes: list = []
    app, running = start(notes)
    async with running as pilot:
        app.view.load(load_profiles(data.config).get("v3ro"))
        await settle(pilot)
        assert not {"gc", "purge"} & action_names(app)
        await pilot.press("g", "P")
        await settle(pilot)
        assert app.screen is app.screen_stack[0]        # no form opened
        app.view.load(azurite_profile(azurite, connection_string=True, name="plain"))
        await settle(pilot)
        assert not {"gc", "purge"} & action_names(app)
        app.view.load(load_profiles(data.config).get("v3"))
        await settle(pilot)
        assert {"gc", "purge"} <= action_names(app)


async def test_keys_typed_while_a_repository_loads_move_in_its_manifests(tls):
    """The tags and manifests of `team/app` are held back while `j j` is typed: once they come, the
    cursor of the manifests (the table a repository opens on) is two rows down, as typed
    (type-ahead, as in the Containers pane), not on the first row."""
    import asyncio
    import threading

    from tests.support.acr_server import AcrServer

    holding, release = threading.Event(), threading.Event()

    class HeldServer(AcrServer):
        def acr(self, method, segments, query, body):
            if holding.is_set() and segments and segments[0] == "team/app":
                release.wait(30)
            return super().acr(method, segments, query, body)

    notes: list = []
    tags = [f"v{i}" for i in range(1, 7)]
    with HeldServer(tls["cert"], tls["key"], synthetic={"team/app": tags, "team/db": ["v1"]}) as server:
        app, running = start(notes)
        async with running as pilot:
            app.view.load(anonymous_acr_profile(server, tls))
            await settle(pilot)
            await cursor_to(pilot, "team/app", "#registry-repositories")
            holding.set()
            await pilot.press("enter")
            await pilot.pause(0.2)
            manifests = app.query_one("#registry-manifests", DataTable)
            assert manifests.loading and manifests.row_count == 0
            await pilot.press("j", "j")
            release.set()
            await asyncio.sleep(0)
            await settle(pilot)
            assert manifests.row_count >= 3 and app.screen.focused is manifests
            assert manifests.cursor_row == 2
    assert not errors(notes) and not app.worker_errors
