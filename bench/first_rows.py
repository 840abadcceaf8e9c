"""Time to the first blob rows on screen, 20,000-blob container vs 100-blob one, on a local Azurite.

    python bench/first_rows.py [--blobs 20000] [--small 100] [--runs 5] [--app-runs 9]

Prints figures from one run and asserts nothing. Goal (issue #3): the big container's first rows
within 1.5x of the small one's.

"On screen" means: the first frame Textual hands to the terminal (`App._display`, as in
`bench/startup.py`) whose update holds a blob name of the listing (`blob-...`) in its text.
Headless, that frame is rendered and not written; the clock is `time.perf_counter`
(CLOCK_MONOTONIC, shared by parent and child processes). The resolution is one frame: Textual
batches screen updates at up to 60 per second, so a moment is late by up to ~17 ms, alike for
both containers; that is what a user would see too.

1. From launch: a fresh process runs the real entry point (`python -m aztui --config FILE
   --profile big|small`, via `runpy`, with `App.run` made headless at 120x40) on a profile whose
   `container` names the container, so the app opens straight into it. Spawn -> first frame with
   blob rows. Interleaved big/small, median of --runs (after one warm-up of each).
2. In a running app (`App.run_test`, in this process): the app is open on the account's
   container list; the cursor is put on the container and Enter pressed. Key press -> first
   frame with blob rows. Interleaved, one warm-up each, median of --app-runs.

For both it notes, with wrappers installed once the app imports the modules (so the child
imports what a plain `aztui` does, when it does): `BlobStore` opening (the first time, the Azure
SDK is imported there) and its list call (`list_page`, with this process's CPU time in it), the
page posted to the Containers pane and its rows added to the table. It also prints the longest
single event-loop step until the rows show (nothing is painted and no key read meanwhile), and
direct `list_page` calls of 1 row and of the app's page on each container: the 1-row call is
about all Azurite's, which filters and sorts the whole container on every list call (see
bench/README.md); "less Azurite's extra cost" takes its big - small difference off the big time.

`--page-size N [N ...]` runs scenario 2 with other page sizes too (`create_app(page_size=N)`),
to see what the first page's size costs; `--skip-launch` runs scenario 2 only.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
SIZE = (120, 40)
MARKER = "blob-"  # every blob `fill` writes is named blob-NNNNNN.bin; nothing else on screen says it

# Run in the child (scenario 1) and in this process (scenario 2): notes moments in `marks`.
# Only textual is imported here, so the child's start costs what a plain `aztui` start costs.
HOOKS = r'''
import asyncio.events
import importlib.util
import sys
import time
from textual.app import App

marks = {}  # moment -> perf_counter of its first occurrence since the last reset()
step = [0.0, 0.0]  # the longest event-loop step from reset() or the first frame to the first blob rows: length, end
counting = [False]
on_rows = []  # callbacks run with the app at the first frame with blob rows


def mark(name):
    marks.setdefault(name, time.perf_counter())


def reset():
    marks.clear()
    step[:] = [0.0, 0.0]
    counting[0] = True


_run_handle = asyncio.events.Handle._run


def run_handle(self):
    # one callback of the event loop: nothing is painted and no key is read until it returns
    start = time.perf_counter()
    try:
        return _run_handle(self)
    finally:
        end = time.perf_counter()
        if end - start > step[0] and counting[0]:
            step[:] = [end - start, end]


asyncio.events.Handle._run = run_handle


def frame_text(update):
    # the text of a frame's update, line by line (a partial update holds the changed chops only)
    chops = getattr(update, "chops", None)
    if chops is not None:
        for line in chops:
            for strip in line.values():
                if strip is not None:
                    yield strip.text
        return
    for strip in getattr(update, "strips", ()):
        yield strip.text if hasattr(strip, "text") else "".join(s.text for s in strip)


_display = App._display


def display(self, screen, update):
    if update is not None and "rows_shown" not in marks:
        now = time.perf_counter()
        marks.setdefault("first_paint", now)
        counting[0] = True
        if any(MARKER in line for line in frame_text(update)):
            marks["rows_shown"] = now
            counting[0] = False
            marks["longest_step"], marks["longest_step_ended"] = step
            for callback in on_rows:
                callback(self)
    return _display(self, screen, update)


App._display = display


def after_import(name, patch):
    # run patch(module) once `name` is imported: now, or when the app imports it (not sooner, so
    # that the child imports what a plain `aztui` does, when it does)
    if name in sys.modules:
        return patch(sys.modules[name])

    class Finder:
        def find_spec(self, fullname, path, target=None):
            if fullname != name:
                return None
            sys.meta_path.remove(self)
            spec = importlib.util.find_spec(fullname)
            exec_module = spec.loader.exec_module

            def exec_and_patch(module):
                exec_module(module)
                patch(module)

            spec.loader.exec_module = exec_and_patch
            return spec

    sys.meta_path.insert(0, Finder())


def timed(cls, attribute, before, after):
    method = getattr(cls, attribute, None)
    if method is None:
        print(f"bench: no {cls.__name__}.{attribute} to time", file=sys.stderr)
        return

    async def wrapper(self, *args, **kwargs):
        mark(before)
        cpu = time.process_time()
        try:
            return await method(self, *args, **kwargs)
        finally:
            mark(after)
            marks.setdefault(after + "_cpu", time.process_time() - cpu)

    setattr(cls, attribute, wrapper)


def patch_blobs(module):
    # opening the store (the first time: the Azure SDK imported) and the list call
    mark("blobs_module")
    timed(module.BlobStore, "__aenter__", "store_opening", "store_opened")
    timed(module.BlobStore, "list_page", "list_started", "list_returned")


def patch_view(module):
    # the page handed to the Containers pane, and its rows added to the table
    view = module.ContainersView
    page_loaded = getattr(view, "on_containers_view_page_loaded", None)
    if page_loaded is None or not hasattr(view, "PageLoaded"):
        print("bench: no ContainersView.PageLoaded handler to time", file=sys.stderr)
        return

    def on_page_loaded(self, event):
        blobs = getattr(event.location, "container", None) is not None
        if blobs:
            mark("rows_adding")
        result = page_loaded(self, event)
        if blobs:
            mark("rows_added")
        return result

    view.on_containers_view_page_loaded = on_page_loaded
    post_message = view.post_message

    def post(self, message):
        if isinstance(message, view.PageLoaded) and getattr(message.location, "container", None) is not None:
            mark("page_posted")
        return post_message(self, message)

    view.post_message = post


def install():
    after_import("aztui.azure.blobs", patch_blobs)
    after_import("aztui.ui.panes.containers", patch_view)
'''

# the child of scenario 1: `python -m aztui ...` with the hooks, headless, exiting at the first rows
CHILD = f"MARKER = {MARKER!r}\nSIZE = {SIZE!r}\n" + HOOKS + r'''
import runpy, sys

install()
on_rows.append(lambda app: app.call_later(app.exit))
_run = App.run


def run(self, *args, **kwargs):
    kwargs.update(headless=True, size=SIZE)
    return _run(self, *args, **kwargs)


App.run = run
sys.argv = ["aztui", *sys.argv[1:]]
try:
    runpy.run_module("aztui", run_name="__main__", alter_sys=True)
except SystemExit:
    pass
for name, moment in marks.items():
    print(f"MARK {name} {moment!r}", flush=True)
'''

# moments, in order, and what the time up to each one is spent on
LAUNCH_STEPS = [("first_paint", "first frame (app shell, no rows)"),
                ("blobs_module", "aztui.azure.blobs imported"),
                ("store_opening", "BlobStore opening"),
                ("store_opened", "BlobStore open (1st time: SDK imported)"),
                ("list_started", "list call sent"),
                ("list_returned", "list call returned"),
                ("page_posted", "page posted to the pane"),
                ("rows_adding", "pane handles the page"),
                ("rows_added", "rows added to the table"),
                ("rows_shown", "first frame with blob rows")]
APP_STEPS = LAUNCH_STEPS[2:]
DURATIONS = {"longest_step", "store_opened_cpu", "list_returned_cpu"}  # marks that are lengths of time, not moments


def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def median_of(runs: list[dict], figure) -> float:
    """Median of `figure(run)` in ms, over the runs that noted what it needs (NaN if none did:
    a hook found nothing to wrap, e.g. after a refactor; the first-rows figures need none)."""
    values = []
    for run in runs:
        try:
            values.append(figure(run))
        except KeyError:
            pass
    return median_ms(values) if values else float("nan")


# --- Azurite ---------------------------------------------------------------------------------


async def prepare(server, blobs: int, small: int) -> float:
    sys.path.insert(0, str(BENCH))
    from listing import fill  # the same flat names as bench/listing.py

    from aztui.azure.blobs import BlobStore

    start = time.perf_counter()
    async with BlobStore(bench_profile(server)) as store:
        await asyncio.gather(fill(store, "big", blobs), fill(store, "small", small))
    return time.perf_counter() - start


def bench_profile(server, container: str | None = None):
    from aztui.profiles.model import Profile, Secret

    return Profile(name="bench", kind="storage", auth="connection_string", container=container,
                   connection_string=Secret(server.connection_string, key="connection_string"))


async def azurite_cost(server, page_sizes: tuple[int, ...], runs: int) -> dict:
    """Direct `list_page` calls at the root, on one client, per (container, page size): median wall
    time and median CPU time of this process (the SDK's share; the rest is Azurite's and the wire's)."""
    from aztui.azure.blobs import BlobStore

    costs = {}
    async with BlobStore(bench_profile(server)) as store:
        for size in page_sizes:
            for container in ("big", "small"):
                await store.list_page(container, page_size=size)  # warm up
            times = {"big": [], "small": []}
            for _ in range(runs):
                for container in ("big", "small"):
                    start, cpu = time.perf_counter(), time.process_time()
                    page = await store.list_page(container, page_size=size)
                    times[container].append((time.perf_counter() - start, time.process_time() - cpu))
                    assert page.items
            for container, values in times.items():
                costs[container, size] = (median_ms([wall for wall, _ in values]),
                                          median_ms([cpu for _, cpu in values]))
    return costs


# --- 1. from launch --------------------------------------------------------------------------


def write_profiles(folder: Path, server) -> Path:
    path = folder / "profiles.toml"
    path.write_text("".join(f'[profiles.{name}]\nconnection_string = "{server.connection_string}"\n'
                            f'container = "{name}"\n\n' for name in ("big", "small")))
    path.chmod(0o600)
    return path


def launch(profiles: Path, name: str, log: Path) -> dict[str, float]:
    """Moments of one fresh `aztui` process, in seconds from its spawn."""
    args = [sys.executable, "-c", CHILD, "--config", str(profiles), "--profile", name, "--log-file", str(log)]
    start = time.perf_counter()
    result = subprocess.run(args, check=False, capture_output=True, text=True, timeout=120, cwd=ROOT)
    marks = {}
    for line in result.stdout.splitlines():
        if line.startswith("MARK "):
            _, key, value = line.split()
            marks[key] = float(value) - (0 if key in DURATIONS else start)
    if "rows_shown" not in marks:
        raise SystemExit(f"no blob rows on screen for {name}:\n{result.stdout}\n{result.stderr[-2000:]}")
    return marks


def from_launch(server, runs: int) -> dict[str, list[dict]]:
    results = {"big": [], "small": []}
    with tempfile.TemporaryDirectory() as folder:
        profiles, log = write_profiles(Path(folder), server), Path(folder) / "aztui.log"
        launch(profiles, "big", log), launch(profiles, "small", log)  # warm up: file cache, bytecode
        for run in range(runs):  # interleaved, alternating which goes first
            for name in (("big", "small") if run % 2 == 0 else ("small", "big")):
                results[name].append(launch(profiles, name, log))
    return results


# --- 2. in a running app ---------------------------------------------------------------------


async def wait_until(condition, what: str, timeout: float = 60.0, step: float = 0.005) -> None:
    """Poll `condition`; the moments themselves are noted by the hooks, so the step is no resolution."""
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        await asyncio.sleep(step)


_HOOKED: dict = {}


def hooks_here() -> dict:
    """HOOKS, installed once in this process."""
    if not _HOOKED:
        _HOOKED["MARKER"] = MARKER
        exec(HOOKS, _HOOKED)  # noqa: S102 - our own code, shared with the child
        _HOOKED["install"]()
    return _HOOKED


async def in_app(server, runs: int, page_size: int | None) -> dict[str, list[dict]]:
    hooks = hooks_here()
    marks = hooks["marks"]

    from aztui.profiles.file import parse_profiles_text
    from aztui.ui.app import create_app

    text = f'default_profile = "bench"\n[profiles.bench]\nconnection_string = "{server.connection_string}"\n'
    profile_set = parse_profiles_text(text, Path("bench.toml"), {})
    app = create_app(profile_set, **({"page_size": page_size} if page_size else {}))
    results = {"big": [], "small": []}
    async with app.run_test(size=SIZE) as pilot:
        view = app.containers
        table = view.table

        def on_container_list() -> bool:
            return (view.location.container is None and not view.fetching and table.row_count >= 2
                    and not table.loading)

        await wait_until(on_container_list, "the container list")
        names = [entry.name for entry in view.entries]
        for run in range(runs + 1):  # the first round is a warm-up
            for name in (("big", "small") if run % 2 == 0 else ("small", "big")):
                table.focus()
                table.move_cursor(row=names.index(name))
                await pilot.pause()
                hooks["reset"]()
                start = time.perf_counter()
                await pilot.press("enter")
                await wait_until(lambda: "rows_shown" in marks, f"rows of {name}")
                if run:
                    results[name].append({key: value - (0 if key in DURATIONS else start)
                                          for key, value in marks.items()})
                await wait_until(lambda: not view.fetching, "the end of the listing")
                await pilot.pause()
                await pilot.press("backspace")
                await wait_until(on_container_list, "the container list again")
                await pilot.pause()
    return results


# --- report ----------------------------------------------------------------------------------


def report(title: str, results: dict[str, list[dict]], steps, origin: str, azurite: dict, page: int,
           goal: str) -> list[tuple[str, str]]:
    rows = [(f"== {title} ({len(results['big'])} runs each; ms from {origin}, medians)", "")]
    width = max(len(label) for _, label in steps)
    rows.append((f"  {'moment':<{width}}", f"{'big':>8}  {'small':>8}  {'big/small':>9}  {'big-small':>9}"))
    for key, label in steps:
        big, small = (median_of(results[name], lambda r, key=key: r[key]) for name in ("big", "small"))
        rows.append((f"  {label:<{width}}", f"{big:8.1f}  {small:8.1f}  {big / small:8.2f}x  {big - small:+9.1f}"))
    big = median_ms([r["rows_shown"] for r in results["big"]])
    small = median_ms([r["rows_shown"] for r in results["small"]])
    rows.append((f"  first rows on screen, big / small ({goal})", f"{big / small:.2f}x"))
    extra = azurite["big", 1][0] - azurite["small", 1][0]  # what Azurite adds to any list call on big
    rows.append(("  the same less Azurite's extra cost per list call",
                 f"{(big - extra) / small:.2f}x (big minus {extra:.0f} ms: 1-row list_page, big - small)"))
    rows.append(("  all runs, big", ", ".join(f"{r['rows_shown'] * 1000:.0f}" for r in results["big"])))
    rows.append(("  all runs, small", ", ".join(f"{r['rows_shown'] * 1000:.0f}" for r in results["small"])))
    for name in ("big", "small"):  # where the time goes, per container: before / in / after the list call
        runs = results[name]
        before = median_of(runs, lambda r: r["list_started"])
        call = median_of(runs, lambda r: r["list_returned"] - r["list_started"])
        call_cpu = median_of(runs, lambda r: r["list_returned_cpu"])
        after = median_of(runs, lambda r: r["rows_shown"] - r["list_returned"])
        adding = median_of(runs, lambda r: r["rows_added"] - r["rows_adding"])
        total = median_of(runs, lambda r: r["rows_shown"])
        rows.append((f"  where the time goes, {name}",
                     (f"before the list call {before:.0f} ms, list call {call:.0f} ms ({call / total:.0%}; "
                      f"this process's CPU in it {call_cpu:.0f} ms), "
                      f"after it {after:.0f} ms (adding the rows {adding:.0f} ms)")))
    steps = {name: (median_of(results[name], lambda r: r["longest_step"]),
                    median_of(results[name], lambda r: r["longest_step_ended"])) for name in ("big", "small")}
    rows.append(("  longest event-loop step (UI frozen), big / small",
                 " / ".join(f"{length:.0f} ms (ending at {end:.0f} ms)" for length, end in steps.values())))
    for size in dict.fromkeys((1, page)):
        (big, big_cpu), (small, small_cpu) = azurite[("big", size)], azurite[("small", size)]
        rows.append((f"  direct {size}-row list_page, big / small",
                     (f"{big:.1f} / {small:.1f} ms = {big / small:.2f}x (this process's CPU in it: "
                      f"{big_cpu:.1f} / {small_cpu:.1f} ms)")))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--blobs", type=int, default=20000, help="blobs in the big container")
    parser.add_argument("--small", type=int, default=100, help="blobs in the small container")
    parser.add_argument("--runs", type=int, default=5, help="launches of each (from launch), at least 5")
    parser.add_argument("--app-runs", type=int, default=9, help="opens of each in a running app, at least 9")
    parser.add_argument("--page-size", type=int, nargs="+", default=[None], metavar="N",
                        help="page size(s) of the app in the running app, an experiment (default: the app's own)")
    parser.add_argument("--skip-launch", action="store_true", help="only the in-app scenario")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from aztui.demo.azurite import start_azurite
    from aztui.ui.panes.containers import DEFAULT_PAGE_SIZE

    pages = [size or DEFAULT_PAGE_SIZE for size in args.page_size]
    server = start_azurite()
    try:
        filled = asyncio.run(prepare(server, args.blobs, args.small))
        rows = [(f"fill {args.blobs} + {args.small} blobs", f"{filled:.1f} s")]
        azurite = asyncio.run(azurite_cost(server, tuple(dict.fromkeys((1, DEFAULT_PAGE_SIZE, *pages))),
                                           max(args.app_runs, 9)))
        if not args.skip_launch:
            launched = from_launch(server, max(args.runs, 5))
            rows += report("1. from launch: `aztui --profile big|small` to the first blob rows", launched,
                           LAUNCH_STEPS, "the spawn", azurite, DEFAULT_PAGE_SIZE, "goal <= 1.5x")
        gc.collect()  # the fill's garbage, not the app's, is collected here
        for size, page in zip(args.page_size, pages):
            opened = asyncio.run(in_app(server, max(args.app_runs, 9), size))
            title = "2. in a running app: Enter on the container to the first blob rows"
            if page != DEFAULT_PAGE_SIZE:
                title += f", app page size {page} instead of {DEFAULT_PAGE_SIZE} (an experiment)"
            rows += report(title, opened, APP_STEPS, "the key press", azurite, page, "goal <= 1.5x")
    finally:
        server.stop()
    width = max(len(label) for label, value in rows if value)
    for label, value in rows:
        print(f"{label:<{width}}  {value}" if value else label)


if __name__ == "__main__":
    main()
