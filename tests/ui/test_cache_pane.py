"""The Cache pane driven by Pilot against a real Azurite: names, layers, orphans, anomalies, GC end to end.

The cache is written the way BuildKit writes it, with the helpers of tests/integration/test_buildcache.py.
"""

from __future__ import annotations

import pytest
from textual.widgets import Button, Checkbox, DataTable, Input

from aztui.azure.blobs import BlobStore
from aztui.ui.commands import ActionsProvider
from aztui.ui.panes.cache import CacheView
from aztui.ui.screens.gc_plan import (
    GcConfirm,
    GcPlanScreen,
    GcPolicyForm,
    GcReportScreen,
)
from tests.support.buildcache import CacheWriter, cache_profile, raced_export
from tests.support.faultproxy import FaultProxy
from tests.support.pilot import cursor_to, settle, start, text_of


@pytest.fixture(autouse=True)
def journals_in_tmp(tmp_path, monkeypatch):
    """GC journals go to the user state dir: keep them in the test's folder."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


@pytest.fixture
async def layout(azurite, container_name):
    """`app` = base(100) + app1(10) + app2(20); `ci/main` = base + ci1(7); an orphan (3); a non-digest blob."""
    async with BlobStore(cache_profile(azurite, container_name)) as store:
        await store.create_container(container_name)
        w = CacheWriter(store, container_name)
        base, app1, app2, ci1, orphan = await w.layers(100, 10, 20, 7, 3, seed="pane")
        await w.export("app", [base, app1, app2])
        await w.export("ci/main", [base, ci1])
        await store.upload_blob(container_name, "blobs/not-a-digest", b"odd")
    return {"container": container_name, "base": base, "app1": app1, "app2": app2, "ci1": ci1,
            "orphan": orphan}


@pytest.fixture
def profiles(azurite, write_profiles, layout):
    cache_keys = f"""
        account_url = "{azurite.blob_endpoint}"
        account_name = "{azurite.account}"
        container = "{layout['container']}"
        secret_access_key = "{azurite.key}"
        max_retries = 0"""
    return write_profiles(f"""
        [profiles.cache]{cache_keys}

        [profiles.ro]{cache_keys}
        read_only = true

        [profiles.prod]{cache_keys}
        protected = true

        [profiles.account]
        connection_string = "{azurite.connection_string}"
        """)


def rows(app, selector: str = "#cache-table") -> dict[str, list[str]]:
    """Row key -> the cells as shown (plain text)."""
    table = app.screen.query_one(selector, DataTable)
    return {row.key.value: [cell.plain for cell in table.get_row(row.key)] for row in table.ordered_rows}


async def blob_names(azurite, container: str) -> set[str]:
    async with BlobStore(cache_profile(azurite, container)) as store:
        return {b.name async for b in store.iter_blobs(container)}


async def plan_gc(pilot, **fields: str) -> GcPlanScreen:
    """x, fill the policy form (grace defaults to 0s here), Enter: the plan screen."""
    await pilot.press("x")
    await settle(pilot)
    form = pilot.app.screen
    assert isinstance(form, GcPolicyForm)
    for field, value in {"grace": "0s", **fields}.items():
        form.query_one(f"#policy-{field}", Input).value = value
    form.query_one("#policy-grace", Input).focus()
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, GcPlanScreen)
    return pilot.app.screen


async def confirm_gc(pilot) -> GcReportScreen:
    await pilot.press("x")
    await settle(pilot)
    assert isinstance(pilot.app.screen, GcConfirm)
    await pilot.click("#confirm")
    await settle(pilot)
    assert isinstance(pilot.app.screen, GcReportScreen)
    return pilot.app.screen


# --- browsing --------------------------------------------------------------------------------


@pytest.mark.slow
async def test_a_cache_profile_opens_on_the_names_with_bytes_and_unique_bytes(profiles, layout):
    app, running = start(profiles, "cache")
    async with running as pilot:
        await settle(pilot)
        assert app.focused.id == "cache-table"  # a cache profile opens on the Cache pane
        assert "cache-gc" in {b.binding.id for b in app.screen.active_bindings.values()}
        shown = rows(app)
        assert list(shown) == ["n:app", "n:ci/main"]
        assert shown["n:app"][:5] == ["app", "3", "130 B", "30 B", "100 B"]
        assert shown["n:ci/main"][:5] == ["ci/main", "2", "107 B", "7 B", "100 B"]
        status = text_of(app, "#cache-status")
        assert "2 cache names" in status and "6 blobs" in status and "2 orphans" in status
        assert "1 anomaly" in status
        await pilot.press("z")  # sort by size, largest first
        await pilot.pause()
        assert list(rows(app)) == ["n:app", "n:ci/main"]
        await pilot.press("u", "u")  # unique bytes, then reversed: smallest first
        await pilot.pause()
        assert list(rows(app)) == ["n:ci/main", "n:app"]


@pytest.mark.slow
async def test_enter_shows_the_layers_and_who_shares_them(profiles, layout):
    app, running = start(profiles, "cache")
    async with running as pilot:
        await settle(pilot)
        await cursor_to(pilot, "n:app", "#cache-table")
        await pilot.press("enter")
        await pilot.pause()
        shown = rows(app)
        assert list(shown) == [f"l:{layout[k]}" for k in ("base", "app1", "app2")]
        assert shown[f"l:{layout['base']}"][1:3] == ["100 B", "ci/main"]
        assert shown[f"l:{layout['app1']}"][1:3] == ["10 B", "only this name"]
        assert "layers of app" in text_of(app, "#cache-title")
        await pilot.press("backspace")
        await pilot.pause()
        assert list(rows(app)) == ["n:app", "n:ci/main"]


@pytest.mark.slow
async def test_orphans_and_anomalies_are_views_of_their_own(profiles, layout):
    app, running = start(profiles, "cache")
    async with running as pilot:
        await settle(pilot)
        await pilot.press("o")
        await pilot.pause()
        shown = rows(app)
        orphan = shown[f"o:blobs/{layout['orphan']}"]
        assert orphan[:2] == [layout["orphan"], "3 B"]
        assert orphan[2][-1] in "smhd"  # its age
        assert shown["o:blobs/not-a-digest"][0] == "not-a-digest  not a digest"
        await pilot.press("o")  # again: back to the names
        await pilot.pause()
        assert list(rows(app)) == ["n:app", "n:ci/main"]
        await pilot.press("a")
        await pilot.pause()
        (anomaly,) = rows(app).values()
        assert anomaly[:2] == ["blob-name-not-digest", "blobs/not-a-digest"]


@pytest.mark.slow
async def test_a_profile_without_a_cache_says_how_to_point_at_one(profiles):
    app, running = start(profiles, "account")
    async with running as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        assert "points at no BuildKit cache" in text_of(app, "#cache-help")
        assert "container" in text_of(app, "#cache-help")
        assert app.query_one(CacheView).check_action("gc", ()) is False


# --- GC ----------------------------------------------------------------------------------------


@pytest.mark.slow
async def test_gc_plans_confirms_deletes_the_orphan_and_keeps_referenced_blobs(azurite, profiles, layout):
    container = layout["container"]
    app, running = start(profiles, "cache")
    async with running as pilot:
        await settle(pilot)
        plan = await plan_gc(pilot)
        planned = rows(app, "#plan-delete")
        orphan = f"blobs/{layout['orphan']}"
        assert list(planned) == [orphan]
        assert planned[orphan][:3] == ["blob", "3 B", "orphan older than 0s"]
        kept = rows(app, "#plan-keep")
        assert kept[f"blobs/{layout['base']}"][1] == "referenced by app, ci/main"
        assert kept["blobs/not-a-digest"][1] == "not a BuildKit layer (name is not a digest)"
        assert "Would delete 1 blob and 0 manifests, reclaiming 3 B" in text_of(app, "#plan-summary")
        assert plan.check_action("execute", ()) is True
        report = await confirm_gc(pilot)
        summary = text_of(app, "#gc-report-summary")
        assert "1 deleted" in summary and "0 failed" in summary
        assert "Journal:" in text_of(app, "#gc-report-journal")
        assert report.report.journal.exists()
        await pilot.press("escape")
        await settle(pilot)
    remaining = await blob_names(azurite, container)
    assert orphan not in remaining
    assert {f"blobs/{layout[k]}" for k in ("base", "app1", "app2", "ci1")} <= remaining
    assert {"manifests/app", "manifests/ci/main", "blobs/not-a-digest"} <= remaining


@pytest.mark.slow
async def test_the_plan_says_for_how_long_deleted_blobs_stay_recoverable(azurite, profiles, layout):
    """The soft-delete retention, read with the plan in its worker; Azurite's default is off."""
    from azure.storage.blob import RetentionPolicy

    app, running = start(profiles, "cache")
    async with running as pilot:
        await settle(pilot)
        await plan_gc(pilot)
        assert text_of(app, "#plan-recoverable") == "Soft delete is off: deleted blobs cannot be recovered."
        await pilot.press("escape")
        await settle(pilot)
    async with BlobStore(cache_profile(azurite, layout["container"])) as store:
        await store.service.set_service_properties(delete_retention_policy=RetentionPolicy(enabled=True, days=4))
    try:
        app, running = start(profiles, "cache")  # a fresh store: the retention is read once per store
        async with running as pilot:
            await settle(pilot)
            await plan_gc(pilot)
            assert text_of(app, "#plan-recoverable") == \
                "Soft delete is on: deleted blobs stay recoverable for 4 days."
    finally:
        async with BlobStore(cache_profile(azurite, layout["container"])) as store:
            await store.service.set_service_properties(delete_retention_policy=RetentionPolicy(enabled=False))


@pytest.mark.slow
async def test_the_default_grace_keeps_a_young_orphan_and_says_why(profiles, layout):
    app, running = start(profiles, "cache")
    async with running as pilot:
        await settle(pilot)
        plan = await plan_gc(pilot, grace="24h")
        assert rows(app, "#plan-delete") == {}
        kept = rows(app, "#plan-keep")[f"blobs/{layout['orphan']}"]
        assert kept[1] == "orphan younger than 24h: may belong to an export in progress"
        assert "Nothing to delete: 1 orphan is younger than the 24h grace; " in text_of(app, "#plan-summary")
        assert "no cache name expires without --max-age or --keep" in text_of(app, "#plan-summary")
        assert plan.check_action("execute", ()) is False  # nothing to confirm
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen.query_one(CacheView), CacheView)


@pytest.mark.slow
async def test_the_confirm_and_the_report_repeat_the_plans_counts(profiles, layout):
    app, running = start(profiles, "cache")
    async with running as pilot:
        await settle(pilot)
        await plan_gc(pilot, keep="0", include="^ci/")
        assert "Would delete 2 blobs and 1 manifest, reclaiming 804 B; keeps 5." in text_of(app, "#plan-summary")
        why = rows(app, "#plan-delete")["manifests/ci/main"][2]
        assert why.startswith("not among the 0 newest names of group 'ci' (--keep 0); last exported 20")
        await pilot.press("x")
        await settle(pilot)
        assert text_of(app, "#gc-confirm-title") == "Delete 2 blobs and 1 manifest (804 B)?"
        await pilot.click("#confirm")
        await settle(pilot)
        assert text_of(app, "#gc-report-title") == \
            "GC: deleted 2 of 2 planned blobs and 1 of 1 manifest (804 B freed)"


@pytest.mark.slow
async def test_a_manifest_written_between_plan_and_confirm_saves_its_blob(azurite, profiles, layout):
    container = layout["container"]
    orphan = f"blobs/{layout['orphan']}"
    app, running = start(profiles, "cache")
    async with running as pilot:
        await settle(pilot)
        await plan_gc(pilot)
        assert list(rows(app, "#plan-delete")) == [orphan]
        async with BlobStore(cache_profile(azurite, container)) as store:  # a build exports meanwhile
            await CacheWriter(store, container).export("late", [layout["base"], layout["orphan"]])
        await confirm_gc(pilot)
        summary = text_of(app, "#gc-report-summary")
        assert "0 deleted" in summary
        assert "1 saved: referenced by a manifest again" in summary
        assert "saved: now referenced by late" in summary
    assert orphan in await blob_names(azurite, container)


@pytest.mark.slow
async def test_a_manifest_written_during_the_sweep_is_dropped_and_reported(azurite, write_profiles, layout):
    container = layout["container"]
    with FaultProxy(azurite.port) as proxy:
        proxy.add(raced_export(azurite, container, "raced", [layout["base"], layout["orphan"]]))
        path = write_profiles(f"""
            [profiles.cache]
            account_url = "{proxy.url(azurite.account)}"
            account_name = "{azurite.account}"
            container = "{container}"
            secret_access_key = "{azurite.key}"
            max_retries = 0
            """, name="proxied.toml")
        app, running = start(path, "cache")
        async with running as pilot:
            await settle(pilot)
            await plan_gc(pilot)
            await confirm_gc(pilot)
            summary = text_of(app, "#gc-report-summary")
            assert "1 deleted" in summary
            assert "1 dropped: cache manifests written during the GC" in summary
            assert "manifests/raced" in summary and "references 1 blob this run deleted" in summary
    remaining = await blob_names(azurite, container)
    assert "manifests/raced" not in remaining and f"blobs/{layout['orphan']}" not in remaining


@pytest.mark.slow
async def test_the_anomalies_view_offers_to_drop_a_broken_cache_name(azurite, profiles, layout):
    container, missing = layout["container"], "sha256:" + "f" * 64
    async with BlobStore(cache_profile(azurite, container)) as store:
        await CacheWriter(store, container).export("broken", [layout["base"], missing])
    app, running = start(profiles, "cache")
    async with running as pilot:
        await settle(pilot)
        view = app.query_one(CacheView)
        assert view.check_action("drop_broken", ()) is False  # only where the anomalies are listed
        await pilot.press("x")  # plain GC: the broken name is kept, and the plan says how to drop it
        await settle(pilot)
        assert app.screen.query_one("#policy-drop-broken", Checkbox).value is False
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("a")
        await pilot.pause()
        assert any(cells[:2] == ["missing-blob", "broken"] for cells in rows(app).values())
        assert "b: plan deleting the 1 broken cache name" in text_of(app, "#cache-status")
        assert view.check_action("drop_broken", ()) is True
        await pilot.press("b")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, GcPolicyForm) and form.query_one("#policy-drop-broken", Checkbox).value
        form.query_one("#policy-grace", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, GcPlanScreen)
        planned = rows(app, "#plan-delete")
        assert list(planned) == ["manifests/broken"]  # base is still app's; the young orphan waits
        assert planned["manifests/broken"][2] == f"references 1 missing blob: {missing}"
        assert "drop broken" in text_of(app, "#plan-summary")
        await confirm_gc(pilot)
        assert "1 deleted" in text_of(app, "#gc-report-summary")
    remaining = await blob_names(azurite, container)
    assert "manifests/broken" not in remaining and f"blobs/{layout['base']}" in remaining


async def test_read_only_profiles_are_not_offered_the_drop(profiles, azurite, layout):
    container = layout["container"]
    async with BlobStore(cache_profile(azurite, container)) as store:
        await CacheWriter(store, container).export("broken", ["sha256:" + "f" * 64])
    app, running = start(profiles, "ro")
    async with running as pilot:
        await settle(pilot)
        await pilot.press("a")
        await pilot.pause()
        assert app.query_one(CacheView).check_action("drop_broken", ()) is False
        assert "b: plan" not in text_of(app, "#cache-status")
        await pilot.press("b")
        await settle(pilot)
        assert not isinstance(app.screen, GcPolicyForm)


@pytest.mark.slow
async def test_an_invalid_policy_is_shown_inline(profiles, layout):
    app, running = start(profiles, "cache")
    async with running as pilot:
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        form = app.screen
        form.query_one("#policy-max-age", Input).value = "soon"
        form.query_one("#policy-include", Input).value = "("
        form.query_one("#policy-max-age", Input).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, GcPolicyForm)
        problem = text_of(app, "#policy-error")
        assert "Max age: 'soon' is not a duration" in problem and "Hint: write e.g. 30d" in problem
        form.query_one("#policy-max-age", Input).value = "30d"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, GcPolicyForm)
        assert "not a valid regular expression" in text_of(app, "#policy-error")
        form.query_one("#policy-keep", Input).value = "-1"
        form.query_one("#policy-include", Input).value = ""
        await pilot.press("enter")
        await pilot.pause()
        assert "Keep: '-1' is not a whole number" in text_of(app, "#policy-error")
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, GcPolicyForm)


@pytest.mark.slow
async def test_a_protected_profile_must_type_its_name(azurite, profiles, layout):
    app, running = start(profiles, "prod")
    async with running as pilot:
        await settle(pilot)
        await plan_gc(pilot)
        await pilot.press("x")
        await settle(pilot)
        confirm = app.screen
        assert isinstance(confirm, GcConfirm)
        assert confirm.query_one("#confirm", Button).disabled
        await pilot.press(*"pro")
        await pilot.pause()
        assert confirm.query_one("#confirm", Button).disabled
        await pilot.press("d", "enter")
        await settle(pilot)
        assert isinstance(app.screen, GcReportScreen)
    assert f"blobs/{layout['orphan']}" not in await blob_names(azurite, layout["container"])


async def test_read_only_profiles_hide_gc(azurite, profiles, layout):
    app, running = start(profiles, "ro")
    async with running as pilot:
        await settle(pilot)
        assert list(rows(app)) == ["n:app", "n:ci/main"]  # browsing works
        active = {b.binding.id: b.enabled for b in app.screen.active_bindings.values()}
        assert "cache-gc" not in active and "cache-orphans" in active  # hidden, not just disabled
        await pilot.press("x")
        await settle(pilot)
        assert not isinstance(app.screen, GcPolicyForm)
        titles = [title for title, _, _ in ActionsProvider(app.screen)._actions()]
        assert not any(title.startswith("GC") for title in titles)
        assert any(title.startswith("Orphans") for title in titles)
    assert f"blobs/{layout['orphan']}" in await blob_names(azurite, layout["container"])


async def test_a_dead_endpoint_is_a_notification_not_a_traceback(write_profiles):
    from aztui.demo.azurite import free_port

    path = write_profiles(f"""
        [profiles.dead]
        account_url = "http://127.0.0.1:{free_port()}/devstoreaccount1"
        account_name = "devstoreaccount1"
        container = "buildkit-cache"
        secret_access_key = "{'a' * 86}=="
        max_retries = 0
        """)
    notes: list = []
    app, running = start(path, "dead", notes)
    async with running as pilot:
        await settle(pilot)
        assert "Could not read the cache" in text_of(app, "#cache-status")
        assert any(n.notification.severity == "error" for n in notes)
        assert not any("Traceback" in n.notification.message for n in notes)


async def test_help_lists_the_cache_gc_and_profile_test_bindings(profiles):
    from aztui.ui.screens.help import binding_sections

    app, running = start(profiles, "account")
    async with running as pilot:
        await settle(pilot)
        sections = {title: {b.id for b in bindings} for title, bindings in binding_sections(app)}
        assert {"cache-orphans", "cache-anomalies", "cache-gc", "sort-unique"} <= sections["Cache pane"]
        assert {"gc-execute", "gc-switch"} <= sections["GC plan"]
        assert {"doctor-rerun", "doctor-write"} <= sections["Profile test"]
        assert "test-profile" in sections["Everywhere"] and "test-profile" in sections["Profile picker"]


@pytest.mark.slow
async def test_switching_to_a_cache_profile_shows_and_focuses_the_cache(profiles):
    """From the Containers pane, a cache profile opens the Cache pane with its keys working (the
    containers' reload must not pull the focus, and with it the tabs, back)."""
    from textual.widgets import TabbedContent

    app, running = start(profiles, "account")
    async with running as pilot:
        await settle(pilot)
        app.activate("cache")
        await settle(pilot)
        assert app.query_one(TabbedContent).active == "cache-pane"
        assert app.focused is app.cache.table
