"""The TUI under network faults: it stays responsive, says what it is doing, and ends exact or with an error.

The real app (`create_app`) is driven by Pilot with profiles that point at `tests/support/faultproxy.py`
in front of Azurite. Under each fault the Containers pane (listing, "load more", du) and the
Cache and Registry panes either complete with exactly what a direct listing says, or stop
with a clear error (title and hint, no traceback) and never show a partial result as the
final one. Attempts are counted at the proxy and must follow the profile's max_retries.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from pathlib import Path

import pytest
from rich.text import Text
from textual.notifications import Notify
from textual.screen import ModalScreen
from textual.widgets import DataTable
from textual.worker import Worker, WorkerState

import aztui.blobs.usage as usage_module
import aztui.ui.panes.cache
import aztui.ui.panes.registry  # noqa: F401
from aztui.azure.blobs import BlobInfo, BlobStore
from aztui.profiles.file import load_profiles
from aztui.profiles.model import Profile, Secret
from aztui.ui.app import create_app
from aztui.ui.screens.dialogs import UsageReport
from aztui.ui.screens.help import HelpScreen
from tests.support.faultproxy import Fault, FaultProxy

SIZE = (120, 40)
BLOBS = 23
LISTING = "&delimiter="          # the pane's listing requests (one folder level)
DU_PAGE = 7                     # du's page size here (the app's default is 5000: one page)
DU = f"maxresults={DU_PAGE}"    # du's recursive listing requests


# --- fixtures ---------------------------------------------------------------------------------

def direct_profile(azurite) -> Profile:
    return Profile(name="direct", kind="storage", auth="shared_key", account_name=azurite.account,
                   account_url=azurite.blob_endpoint, account_key=Secret(azurite.key))


@pytest.fixture(scope="module")
def proxy(azurite):
    with FaultProxy(azurite.port) as running:
        yield running


@pytest.fixture(scope="module")
def data(azurite):
    """`flat/blob-00..22` (sizes 1, 14, 27, ...; every 4th Cool) and `other.txt` outside the folder."""
    container = "tuifaults" + os.urandom(4).hex()

    async def seed():
        async with BlobStore(direct_profile(azurite)) as store:
            await store.create_container(container)
            await asyncio.gather(*(store.upload_blob(container, f"flat/blob-{i:02}", b"x" * (i * 13 + 1),
                                                     tier="Cool" if i % 4 == 0 else "Hot")
                                   for i in range(BLOBS)))
            await store.upload_blob(container, "other.txt", b"outside")
            return sorted([(b.name, b.size, b.etag, b.tier) async for b in store.iter_blobs(container, "flat/")])

    return container, asyncio.run(seed())


@pytest.fixture
def fresh(proxy):
    proxy.clear()
    yield proxy
    proxy.clear()


@pytest.fixture(autouse=True)
def state_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


@pytest.fixture
def small_du_pages(monkeypatch):
    """du in pages of DU_PAGE blobs, so a fault can hit a scan midway (the folder is one default page)."""
    real = usage_module.measure_usage

    async def paged(store, container, prefix="", *, progress=None, page_size=5000, folders=None):
        return await real(store, container, prefix, progress=progress, page_size=DU_PAGE, folders=folders)

    monkeypatch.setattr(usage_module, "measure_usage", paged)


@pytest.fixture
def config(azurite, fresh, data, write_profiles):
    """`px`: the folder flat/ through the proxy; `acct`: the whole account through the proxy."""
    def write(*, max_retries: int = 2, read_timeout: str = "2s", retry_delay: str = "50ms") -> Path:
        connection = (f"DefaultEndpointsProtocol=http;AccountName={azurite.account};AccountKey={azurite.key};"
                      f"BlobEndpoint={fresh.url(azurite.account)};")
        settings = f"""
            connection_string = "{connection}"
            max_retries = {max_retries}
            retry_delay = "{retry_delay}"
            read_timeout = "{read_timeout}"
            connect_timeout = "2s"
            """
        return write_profiles(f"""
            [profiles.px]{settings}
            container = "{data[0]}"
            prefix = "flat"

            [profiles.acct]{settings}
            """)

    return write


# --- helpers ----------------------------------------------------------------------------------

def start(config: Path, name: str, notes: list, **options):
    """The app on profile `name`; `notes` collects its notifications and any worker that died of an error."""
    app = create_app(load_profiles(config), profile_name=name, **options)

    def hook(message) -> None:
        if isinstance(message, Notify) or (isinstance(message, Worker.StateChanged)
                                           and message.state == WorkerState.ERROR):
            notes.append(message)

    return app, app.run_test(size=SIZE, message_hook=hook)


async def settle(pilot) -> None:
    for _ in range(3):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def wait_for(pilot, condition, what: str, timeout: float = 15.0) -> None:
    """Let the app run until `condition()` holds (the app keeps processing events meanwhile)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for: {what}"
        await pilot.pause(0.02)


def plain_text(widget) -> str:
    rendered = widget.render()
    return rendered.plain if isinstance(rendered, Text) else str(rendered)


def status(app) -> str:
    return plain_text(app.screen.query_one("#listing-status"))


def rows_shown(app) -> list[str]:
    """The Name column of the Containers pane, as shown."""
    table = app.query_one("#listing", DataTable)
    labels = [key.value for key in table.columns]  # the labels may carry the sort's ▲/▼
    column = labels.index("Container") if "Container" in labels else labels.index("Name")
    return [table.get_row_at(i)[column].plain for i in range(table.row_count)]


def loaded(app) -> list[tuple]:
    """What the pane holds as loaded blobs, comparable with the direct listing."""
    return sorted((b.name, b.size, b.etag, b.tier) for b in app.containers.entries if isinstance(b, BlobInfo))


def notifications(notes: list) -> list:
    return [n.notification for n in notes if isinstance(n, Notify)]


def error_text(app, notes: list) -> str:
    """Every error the user is shown: error notifications, and the text of an error dialog if one is open."""
    texts = [n.title + "\n" + n.message for n in notifications(notes) if n.severity == "error"]
    if isinstance(app.screen, ModalScreen) and not isinstance(app.screen, (HelpScreen, UsageReport)):
        texts += [plain_text(w) for w in app.screen.query("Static")]
    return "\n".join(texts)


def total_row(app) -> tuple[str, str] | None:
    """The first row of a size report on screen (label, blobs); None without one, or with no figures."""
    if not isinstance(app.screen, UsageReport):
        return None
    table = app.screen.query_one("#usage-table", DataTable)
    return (table.get_row_at(0)[0].plain, table.get_row_at(0)[1].plain) if table.display and table.row_count else None


def final_total_shown(app) -> bool:
    """A size report presents a total as the folder's size (the breakdown, which opens as the scan starts,
    labels its figures "so far" until the last page is counted)."""
    return (total_row(app) or ("",))[0] == "total"


def assert_says_the_scan_failed(app, *causes: str) -> None:
    """If the breakdown is still open, it says the scan failed and why, and shows no figure at all."""
    from aztui.ui.screens.breakdown import BreakdownScreen

    if isinstance(app.screen, BreakdownScreen):
        state = plain_text(app.screen.query_one("#scan-state"))
        assert app.screen.state == "failed" and "Scan failed" in state, state
        assert all(cause in state for cause in causes), state
        assert total_row(app) is None and not app.screen.query_one("#breakdown-table", DataTable).row_count


def assert_no_traceback(notes: list) -> None:
    """No worker died of an unexpected exception, and no notification shows one."""
    crashed = [n.worker.error for n in notes if isinstance(n, Worker.StateChanged)]
    assert not crashed, crashed
    for note in notifications(notes):
        text = f"{note.title} {note.message}"
        assert "Traceback" not in text and "Unexpected error" not in text and "bug in aztui" not in text, text


def expected_usage(truth) -> tuple:
    tiers: dict[str, int] = {}
    for _, size, _, tier in truth:
        tiers[tier] = tiers.get(tier, 0) + size
    return len(truth), sum(r[1] for r in truth), tiers


def names_of(truth) -> list[str]:
    return [name.removeprefix("flat/") for name, *_ in truth]


# --- a stalled listing ------------------------------------------------------------------------

@pytest.mark.slow
async def test_a_stalled_listing_keeps_the_ui_responsive_then_ends_in_a_clear_error(config, fresh, data):
    """While the listing hangs: panes switch, help opens and closes, its cursor moves, the pane says
    it is loading. When read_timeout expires (max_retries 0): the mapped error with its hint, no rows."""
    notes: list = []
    fresh.add(Fault("stall", match=LISTING, count=50))
    # read_timeout long enough for the keys below on a busy machine (two test workers on two cores)
    app, running = start(config(max_retries=0, read_timeout="12s"), "px", notes)
    async with running as pilot:
        await wait_for(pilot, lambda: fresh.requests(fault="stall"), "the listing request to stall")
        table = app.containers.table
        assert table.loading and status(app) == "Loading blobs…"  # a spinner over the table, and the status

        await pilot.press("2")
        await pilot.pause()
        assert app.query_one("#panes").active == "registry-pane"
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        help_table = app.screen.query_one("#help-table", DataTable)
        await pilot.press("down", "down", "down")
        await pilot.pause()
        assert help_table.cursor_row == 3
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("1")
        await pilot.pause()
        assert app.query_one("#panes").active == "containers-pane"
        # all of that was handled while the request was still hanging: nothing has timed out yet
        assert table.loading and status(app) == "Loading blobs…" and not error_text(app, notes)

        await wait_for(pilot, lambda: error_text(app, notes), "the read timeout to be reported", timeout=25)
        await settle(pilot)
        shown = error_text(app, notes)
        assert "Endpoint unreachable" in shown and "did not answer in time" in shown
        assert "read_timeout" in shown  # the hint: what to change
        assert status(app) == "Could not load: Endpoint unreachable"
        assert not table.loading and table.row_count == 0 and len(app.containers.entries) == 0
        assert app.containers.continuation is None and not app.containers.fetching
    assert_no_traceback(notes)
    assert len(fresh.requests(match=LISTING)) == 1  # max_retries = 0: one attempt, no retry


@pytest.mark.slow
async def test_a_stalled_listing_can_be_left_for_another_profile(config, fresh, data):
    """p, another profile: the hanging listing is dropped (no error) and the new one loads and is usable."""
    container = data[0]
    notes: list = []
    fresh.add(Fault("stall", match=f"/{container}?", count=50))
    app, running = start(config(max_retries=0, read_timeout="20s"), "px", notes)
    async with running as pilot:
        await wait_for(pilot, lambda: fresh.requests(fault="stall"), "the folder listing to stall")
        table = app.containers.table
        assert table.loading and status(app) == "Loading blobs…"
        await pilot.press("p")
        await pilot.pause()
        picker = app.screen.query_one("#profile-list")
        picker.highlighted = picker.get_option_index("acct")
        await pilot.press("enter")
        await wait_for(pilot, lambda: container in rows_shown(app), "the container list of the other profile")
        assert app.profile.name == "acct" and app.containers.location.container is None
        assert not table.loading and status(app).endswith(("container loaded", "containers loaded"))
        row = table.get_row_index(f"c:{container}")
        await pilot.press("home", *["down"] * row)
        assert table.cursor_row == row  # the cursor moves
        await settle(pilot)
        assert not error_text(app, notes)  # leaving is not a failure
        assert len(fresh.requests(fault="stall")) == 1
    assert_no_traceback(notes)


@pytest.mark.slow
@pytest.mark.parametrize("pane", ["containers", "cache", "registry"])
async def test_esc_cancels_a_hanging_read_of_each_pane(config, fresh, data, pane):
    notes: list = []
    app, running = start(config(max_retries=0, read_timeout="20s"), "px", notes)
    async with running as pilot:
        if pane == "containers":
            await settle(pilot)
            fresh.add(Fault("stall", match=LISTING, count=100))
            await pilot.press("r")  # read the folder again: it hangs
        else:
            fresh.add(Fault("stall", match="comp=list", count=100))
            await pilot.press("3" if pane == "cache" else "2")
        await wait_for(pilot, lambda: fresh.requests(fault="stall"), "the read to stall")
        await pilot.pause()
        table = {"containers": lambda: app.containers.table, "cache": lambda: app.cache.table,
                 "registry": lambda: app.registry.repositories_table}[pane]()
        assert table.loading
        await pilot.press("escape")
        await pilot.pause()
        assert not table.loading, "Esc did not reach the pane"
        assert any(n.message == "Cancelled." for n in notifications(notes))
        if pane == "containers":  # and Backspace leaves a hanging folder for the level above
            await pilot.press("p")
            await pilot.pause()
            picker = app.screen.query_one("#profile-list")
            picker.highlighted = picker.get_option_index("acct")
            await pilot.press("enter")
            await settle(pilot)
            table = app.containers.table
            table.move_cursor(row=table.get_row_index(f"c:{data[0]}"))
            await pilot.press("enter")
            await wait_for(pilot, lambda: len(fresh.requests(fault="stall")) >= 2, "the folder to stall")
            await pilot.press("backspace")
            await pilot.pause()
            assert app.containers.location.container is None, "Backspace did not reach the pane"
    assert_no_traceback(notes)


async def test_a_cancelled_or_failed_listing_is_never_shown_as_an_empty_folder(config, fresh, data):
    notes: list = []
    fresh.add(Fault("stall", match=LISTING, count=50))
    app, running = start(config(max_retries=0, read_timeout="20s"), "px", notes)
    async with running as pilot:
        await wait_for(pilot, lambda: fresh.requests(fault="stall"), "the listing to stall")
        await app.containers.run_action("cancel")  # as Esc would (see the test above for the key itself)
        await pilot.pause()
        cancelled = status(app)
        await pilot.press("z")  # any later refresh of the status (sort, filter) must not forget it either
        await pilot.pause()
        sorted_after_cancel = status(app)
    fresh.clear()
    fresh.add(Fault("status", status=500, retry_after=None, match=LISTING, count=50))
    app, running = start(config(max_retries=0), "px", notes)
    async with running as pilot:
        await settle(pilot)
        failed = status(app)
        assert failed.startswith("Could not load")
        await pilot.press("z")
        await pilot.pause()
        sorted_after_failure = status(app)
    for shown in (cancelled, sorted_after_cancel, sorted_after_failure):
        assert "0 rows loaded" not in shown, shown
        assert any(word in shown.lower() for word in ("cancelled", "could not load", "incomplete")), shown


# --- 503 with Retry-After -----------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("failures, max_retries", [(2, 2), (3, 2), (1, 0)],
                         ids=["503-twice-2-retries", "503-thrice-2-retries", "503-once-no-retry"])
async def test_503_is_retried_as_the_profile_says_then_exact_or_a_clear_error(config, fresh, data, failures,
                                                                              max_retries):
    _, truth = data
    notes: list = []
    fresh.add(Fault("status", status=503, retry_after=1, match=LISTING, count=failures))
    app, running = start(config(max_retries=max_retries), "px", notes)
    async with running as pilot:
        await settle(pilot)
        attempts = fresh.requests(match=LISTING)
        gaps = [b.at - a.at for a, b in itertools.pairwise(attempts)]
        for n, gap in enumerate(gaps, start=1):  # retry n waits max(n x retry_delay, Retry-After)
            assert max(n * 0.05, 1.0) - 0.05 <= gap <= max(n * 0.05, 1.0) + 0.75, gaps
        if failures <= max_retries:
            assert [s.fault for s in attempts] == ["status"] * failures + [None]
            assert loaded(app) == truth and rows_shown(app) == names_of(truth)
            assert status(app) == f"{BLOBS} rows loaded" and not error_text(app, notes)
        else:
            assert [s.fault for s in attempts] == ["status"] * (1 + max_retries)
            shown = error_text(app, notes)
            assert "Service error" in shown and "503" in shown
            assert status(app) == "Could not load: Service error"
            assert app.containers.table.row_count == 0 and not app.containers.table.loading
    assert_no_traceback(notes)


# --- resets during "load more" and du ---------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("always", [False, True], ids=["reset-once", "reset-always"])
async def test_reset_while_loading_more_is_exact_or_says_it_could_not_load(config, fresh, data, always):
    _, truth = data
    notes: list = []
    app, running = start(config(max_retries=2), "px", notes, page_size=5)
    async with running as pilot:
        await settle(pilot)
        assert loaded(app) == truth[:5] and "more on the server" in status(app)
        fresh.clear()
        fresh.add(Fault("reset", after_bytes=400, match=LISTING, count=50 if always else 1))
        await pilot.press("ctrl+end")  # the cursor to the last row: fetches the next page
        await settle(pilot)
        if always:
            assert len(fresh.requests(match=LISTING)) == 3  # 1 + max_retries, every one reset
            shown = error_text(app, notes)
            assert "Endpoint unreachable" in shown and "run it again" in shown
            assert status(app) == "Could not load: Endpoint unreachable"
            assert loaded(app) == truth[:5]  # what was loaded stays, exactly; nothing half-parsed
            assert app.containers.continuation is not None  # the rest can still be loaded
            notes.clear()
            fresh.clear()
        else:
            assert loaded(app) == truth[:10]
        await pilot.press("L")  # no fault now: load every remaining page
        await settle(pilot)
        assert loaded(app) == truth and rows_shown(app) == names_of(truth)
        assert status(app) == f"{BLOBS} rows loaded" and not error_text(app, notes)
    assert_no_traceback(notes)


async def test_reset_midway_through_load_all_keeps_the_exact_pages_and_says_so(config, fresh, data):
    _, truth = data
    notes: list = []
    app, running = start(config(max_retries=1), "px", notes, page_size=5)
    async with running as pilot:
        await settle(pilot)
        fresh.clear()
        fresh.add(Fault("reset", after_bytes=600, match=LISTING, skip=2, count=50))  # pages 2, 3 pass; 4 fails
        await pilot.press("L")
        await settle(pilot)
        assert [s.fault for s in fresh.requests(match=LISTING)] == [None, None, "reset", "reset"]
        assert loaded(app) == truth[:15] and rows_shown(app) == names_of(truth[:15])
        assert status(app) == "Could not load: Endpoint unreachable"
        assert "Endpoint unreachable" in error_text(app, notes)
        assert app.containers.continuation is not None
    assert_no_traceback(notes)


@pytest.mark.slow
@pytest.mark.parametrize("always", [False, True], ids=["reset-once", "reset-always"])
async def test_reset_during_du_gives_the_exact_total_or_an_error_never_a_partial_total(
        config, fresh, data, small_du_pages, always):
    _, truth = data
    notes: list = []
    progress: list[str] = []
    totals_seen: set[tuple[str, str]] = set()  # the size report's first row, sampled as the scan runs
    app, running = start(config(max_retries=2), "acct", notes)
    async with running as pilot:
        await settle(pilot)
        fresh.clear()
        fresh.add(Fault("reset", after_bytes=500, match=DU, skip=2, count=50 if always else 1))
        table = app.containers.table
        table.focus()
        table.move_cursor(row=table.get_row_index(f"c:{data[0]}"))
        await pilot.press("u")
        work = app.containers.work_bar

        def finished() -> bool:
            if work.display:
                progress.append(plain_text(work.query_one("#work-label")))
            if (row := total_row(app)) is not None:
                totals_seen.add(row)
            return final_total_shown(app) or bool(error_text(app, notes))

        await wait_for(pilot, finished, "the du scan to finish")
        await settle(pilot)
        attempts = fresh.requests(match=DU)
        if always:
            # two pages counted (midway), then 1 + max_retries attempts at the third
            assert [s.fault for s in attempts] == [None, None, "reset", "reset", "reset"]
            assert not final_total_shown(app)  # no total at all
            assert not any(label == "total" for label, _ in totals_seen), totals_seen  # not even for a moment
            assert not work.display  # and no progress line left standing as if it were one
            shown = error_text(app, notes)
            assert "Endpoint unreachable" in shown and "cut before the whole answer" in shown
            assert_says_the_scan_failed(app, "Endpoint unreachable", "Listing page 3")
            # progress lines seen (sampled, so possibly none on a busy machine) never claim the total
            assert not any(f"{len(truth) + 1} blobs" in line for line in progress), progress
        else:
            assert [s.fault for s in attempts].count("reset") == 1
            assert final_total_shown(app)
            usage = app.screen.usage
            whole = expected_usage(truth)
            whole = (whole[0] + 1, whole[1] + len(b"outside"), whole[2] | {"Hot": whole[2]["Hot"] + 7})
            assert (usage.blobs, usage.bytes, usage.bytes_by_tier) == whole and usage.complete
            assert not error_text(app, notes)
            # the only figures ever labelled "total" are the whole folder's
            assert {blobs for label, blobs in totals_seen if label == "total"} == {f"{whole[0]:,}"}, totals_seen
    assert_no_traceback(notes)


@pytest.mark.slow
async def test_an_unexpected_error_midway_through_du_is_reported_not_swallowed(config, fresh, data, monkeypatch):
    """Not every failure is an AztuiError (a parser bug, a surprise from the SDK): one that kills a pane's
    worker midway must still end in an error the user sees, and no total."""
    notes: list = []
    real = usage_module.measure_usage

    broke: list = []

    async def breaks_midway(store, container, prefix="", *, progress=None, page_size=5000, folders=None):
        def first_page_then_break(usage):
            progress(usage)
            broke.append(usage)
            raise RuntimeError("a surprise after the first page")

        return await real(store, container, prefix, progress=first_page_then_break, page_size=DU_PAGE,
                          folders=folders)

    monkeypatch.setattr(usage_module, "measure_usage", breaks_midway)
    app, running = start(config(max_retries=0), "px", notes)
    async with running as pilot:
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        assert broke, "the scan never reached the failure: this test is wrong"
        assert not final_total_shown(app) and not app.containers.work_bar.display
        shown = error_text(app, notes)
        assert "Unexpected error" in shown and "a surprise after the first page" in shown, shown
        assert_says_the_scan_failed(app, "Unexpected error", "a surprise after the first page")


# --- latency ------------------------------------------------------------------------------------------

@pytest.mark.slow
async def test_latency_on_every_request_shows_progress_and_completes_exactly(config, fresh, data, small_du_pages):
    _, truth = data
    notes: list = []
    app, running = start(config(max_retries=0), "px", notes, page_size=5)
    async with running as pilot:
        await settle(pilot)
        fresh.clear()
        fresh.add(Fault("latency", delay=0.4, match="comp=list", count=100))  # long beside the polling
        seen_rows: list[int] = []
        await pilot.press("L")

        def all_loaded() -> bool:
            seen_rows.append(app.query_one("#listing", DataTable).row_count)
            return not app.containers.fetching

        await wait_for(pilot, all_loaded, "every page")
        await settle(pilot)
        assert loaded(app) == truth and rows_shown(app) == names_of(truth)
        assert status(app) == f"{BLOBS} rows loaded"
        assert {10, 15, 20} <= set(seen_rows)  # the rows arrived page by page, shown as they came

        await pilot.press("u")  # du of the folder, 4 slow pages
        work = app.containers.work_bar
        labels: list[str] = []  # the progress shown: the work bar, and the breakdown's line while it fills

        def measured() -> bool:
            if work.display:
                labels.append(plain_text(work.query_one("#work-label")))
            if isinstance(app.screen, UsageReport) and app.screen.query("#scan-state"):
                labels.append(plain_text(app.screen.query_one("#scan-state")))
            return final_total_shown(app)

        await wait_for(pilot, measured, "the du report")
        await pilot.pause()  # let the report mount before the app closes
        usage = app.screen.usage
        assert (usage.blobs, usage.bytes, usage.bytes_by_tier) == expected_usage(truth)
        # page by page, before the total (pressing `u` waits for the app to idle, so the first page may pass
        # unsampled on a busy machine; one of the three before the last is enough)
        assert any(f"{n} blobs" in label for label in labels for n in (7, 14, 21)), labels
        assert not error_text(app, notes)
    assert_no_traceback(notes)
    assert all(s.fault == "latency" for s in fresh.requests(match="comp=list"))


async def test_the_pane_says_when_it_is_fetching_more_rows(config, fresh, data):
    notes: list = []
    app, running = start(config(max_retries=0, read_timeout="20s"), "px", notes, page_size=5)
    async with running as pilot:
        await settle(pilot)
        fresh.clear()
        fresh.add(Fault("stall", match=LISTING, count=50))
        await pilot.press("ctrl+end")  # scroll to the end: the next page hangs
        await wait_for(pilot, lambda: fresh.requests(fault="stall"), "the next page to stall")
        await pilot.pause()
        scrolling = status(app), app.containers.work_bar.display
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("L")  # load all: hangs likewise
        await wait_for(pilot, lambda: len(fresh.requests(fault="stall")) == 2, "load all to stall")
        await pilot.pause()
        loading_all = status(app), app.containers.work_bar.display
        await pilot.press("escape")
    for shown, work_bar in (scrolling, loading_all):
        assert work_bar or "loading" in shown.lower(), shown


# --- the Cache and Registry panes ------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("pane", ["cache", "registry"])
async def test_a_stalled_cache_or_registry_read_ends_in_a_clear_error(config, fresh, data, pane):
    notes: list = []
    fresh.add(Fault("stall", match="comp=list", count=100))
    app, running = start(config(max_retries=0, read_timeout="1s"), "px", notes)
    async with running as pilot:
        await wait_for(pilot, lambda: fresh.requests(fault="stall"), "the Containers listing to stall")
        await pilot.press("3" if pane == "cache" else "2")
        view_status = "#cache-status" if pane == "cache" else "#registry-status"
        table = "#cache-table" if pane == "cache" else "#registry-repositories"
        await wait_for(pilot, lambda: app.screen.query(view_status), "the pane to be built")
        await wait_for(pilot, lambda: app.screen.query_one(table, DataTable).loading, "the pane to read")
        assert plain_text(app.screen.query_one(view_status)).startswith("Reading")
        await wait_for(pilot, lambda: plain_text(app.screen.query_one(view_status)).startswith("Could not"),
                       "the read to fail", timeout=10)
        await settle(pilot)
        assert "Endpoint unreachable" in plain_text(app.screen.query_one(view_status))
        assert "did not answer in time" in error_text(app, notes)
        shown_table = app.screen.query_one(table, DataTable)
        assert shown_table.row_count == 0 and not shown_table.loading
    assert_no_traceback(notes)
