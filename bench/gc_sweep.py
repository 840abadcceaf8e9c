"""Sweeping orphan cache blobs through a far-away endpoint: aztui vs a plain SDK sweep vs az. Prints figures.

    python bench/gc_sweep.py [--orphans 2000 20000] [--delay 0.020] [--skip-azurite] [--skip-limit]

1. On a local Azurite behind `tests/support/latency_proxy.py` (every byte delayed `--delay` each
   way), for each orphan count: `aztui cache gc --grace 0s --execute` (a process, as a user runs
   it), the plain-SDK floor (list `blobs/`, then `delete_blobs` batches of 256 guarded by ETag,
   4 in flight: what aztui does, without planning or journal) and `az storage blob delete-batch`
   (azure-cli, when `az` is on PATH: install it in a separate virtualenv, as for bench/listing.py).
   The container is refilled before each run; wall times and ratios side by side.
2. aztui's own limit: the same `cache gc --execute`, and `blobs rm --prefix --execute` (the same
   batches), against `tests/support/sweep_server.py`, which answers Delete Blob and Blob Batch at
   once (checking If-Match), through the same proxy: guarded deletes per second (goal >= 2,000/s)
   and the aztui process's CPU time per delete, with and without start-up (a 1-blob run).
Azurite deletes about 150 blobs/s on this machine, so in part 1 it is the floor for everyone.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aztui.azure.blobs import BlobStore  # noqa: E402
from aztui.demo.azurite import start_azurite  # noqa: E402
from aztui.profiles.model import Profile, Secret  # noqa: E402
from tests.support.latency_proxy import LatencyProxy  # noqa: E402
from tests.support.sweep_server import SweepServer  # noqa: E402

CONTAINER = "cache"
KEPT = "sha256:" + hashlib.sha256(b"kept").hexdigest()
MANIFEST = ('{"layers": [{"blob": "%s", "parent": -1}], "records": [{"digest": "%s", "layers": [{"layer": 0}]}]}'
            % (KEPT, KEPT))


def orphan(i: int) -> str:
    return "blobs/sha256:" + hashlib.sha256(f"orphan-{i}".encode()).hexdigest()


async def fill(connection_string: str, count: int) -> None:
    profile = Profile(name="fill", kind="storage", auth="connection_string",
                      connection_string=Secret(connection_string, key="connection_string"))
    async with BlobStore(profile) as store:
        try:
            await store.create_container(CONTAINER)
        except Exception:  # noqa: BLE001 - already there
            pass
        await store.upload_blob(CONTAINER, "blobs/" + KEPT, b"kept", overwrite=True)
        await store.upload_blob(CONTAINER, "manifests/app", MANIFEST.encode(), overwrite=True)
        names = iter(range(count))

        async def worker() -> None:
            for i in names:
                await store.upload_blob(CONTAINER, orphan(i), b"o" * 16, overwrite=True)

        await asyncio.gather(*(worker() for _ in range(32)))


def cache_profiles(folder: str, account_url: str, account: str, key: str) -> Path:
    config = Path(folder) / "profiles.toml"
    config.write_text(f'[profiles.bench]\naccount_url = "{account_url}"\naccount_name = "{account}"\n'
                      f'container = "{CONTAINER}"\nname = "app"\nsecret_access_key = "{key}"\n')
    config.chmod(0o600)
    return config


def run_process(args: list[str], env: dict) -> tuple[float, float]:
    """(wall s, CPU s) of one process; fails loudly."""
    start = time.perf_counter()
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    err = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) not in (0, 3):
        raise SystemExit(f"{' '.join(args[:6])}... failed: {err.decode()[-2000:]}")
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime


def aztui_gc(config: Path, folder: str) -> tuple[float, float]:
    env = {**os.environ, "XDG_STATE_HOME": folder, "AZTUI_LOG_FILE": str(Path(folder) / "log")}
    return run_process([sys.executable, "-m", "aztui", "--config", str(config), "cache", "gc", "bench",
                        "--grace", "0s", "--execute"], env)


async def sdk_sweep(connection_string: str) -> float:
    """The floor: list, then ETag-guarded batches of 256, 4 in flight (no plan, no journal)."""
    from azure.core import MatchConditions
    from azure.storage.blob.aio import ContainerClient

    start = time.perf_counter()
    async with ContainerClient.from_connection_string(connection_string, CONTAINER) as client:
        blobs = [(b.name, b.etag) async for b in client.list_blobs(name_starts_with="blobs/")
                 if b.name != "blobs/" + KEPT]
        gate = asyncio.Semaphore(4)

        async def batch(chunk):
            async with gate:
                specs = [{"name": n, "etag": e, "match_condition": MatchConditions.IfNotModified} for n, e in chunk]
                async for _ in await client.delete_blobs(*specs, raise_on_any_failure=False):
                    pass

        await asyncio.gather(*(batch(blobs[i:i + 256]) for i in range(0, len(blobs), 256)))
    return time.perf_counter() - start


def az_sweep(az: str, connection_string: str) -> float:
    env = {**os.environ, "AZURE_CORE_COLLECT_TELEMETRY": "no", "AZURE_CORE_ONLY_SHOW_ERRORS": "yes"}
    start = time.perf_counter()
    subprocess.run([az, "storage", "blob", "delete-batch", "--source", CONTAINER, "--pattern", "blobs/sha256:*",
                    "--connection-string", connection_string, "--only-show-errors"],
                   check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


async def remaining(connection_string: str) -> int:
    from azure.storage.blob.aio import ContainerClient

    async with ContainerClient.from_connection_string(connection_string, CONTAINER) as client:
        return sum([1 async for b in client.list_blobs(name_starts_with="blobs/") if b.name != "blobs/" + KEPT])


def azurite_part(counts: list[int], delay: float) -> list[tuple[str, str]]:
    server = start_azurite()
    rows = []
    az = shutil.which("az")
    try:
        with LatencyProxy(server.port, delay=delay) as proxy, tempfile.TemporaryDirectory() as folder:
            far = server.connection_string.replace(server.blob_endpoint,
                                                   f"http://127.0.0.1:{proxy.port}/{server.account}")
            config = cache_profiles(folder, f"http://127.0.0.1:{proxy.port}/{server.account}", server.account,
                                    server.key)
            for count in counts:
                times = {}
                for tool in ("aztui", "sdk", "az"):
                    if tool == "az" and not az:
                        continue
                    asyncio.run(fill(server.connection_string, count))
                    if tool == "aztui":
                        times[tool] = aztui_gc(config, folder)[0]
                    elif tool == "sdk":
                        times[tool] = asyncio.run(sdk_sweep(far))
                    else:
                        times[tool] = az_sweep(az, far)
                    left = asyncio.run(remaining(server.connection_string))
                    assert left == 0, f"{tool} left {left} orphans"
                line = (f"aztui {times['aztui']:.1f} s, plain SDK {times['sdk']:.1f} s "
                        f"(aztui/SDK {times['aztui'] / times['sdk']:.2f}x)")
                if "az" in times:
                    line += f", az {times['az']:.1f} s (aztui {times['az'] / times['aztui']:.1f}x faster)"
                else:
                    line += ", az: not installed (pip install azure-cli in a separate venv, put az on PATH)"
                rows.append((f"Azurite, {count:,} orphans, +{delay * 1000:.0f} ms each way", line))
    finally:
        server.stop()
    return rows


def store_profile(config: Path, account_url: str, account: str, key: str) -> None:
    """Add a plain storage profile `store` to `config` (for `blobs rm`)."""
    with config.open("a") as out:
        out.write(f'\n[profiles.store]\naccount_url = "{account_url}"\naccount_name = "{account}"\n'
                  f'account_key = "{key}"\n')


def aztui_rm(config: Path, folder: str) -> tuple[float, float]:
    env = {**os.environ, "XDG_STATE_HOME": folder, "AZTUI_LOG_FILE": str(Path(folder) / "log")}
    return run_process([sys.executable, "-m", "aztui", "--config", str(config), "blobs", "rm",
                        f"store:{CONTAINER}/blobs", "--prefix", "--execute", "--json"], env)


def limit_part(counts: list[int], delay: float) -> list[tuple[str, str]]:
    """`cache gc --execute` and `blobs rm --prefix --execute` against the delete-at-once server:
    each run's wall and CPU, less those of a 1-blob run (start-up: imports, client, first requests)."""
    from tests.support.list_server import ACCOUNT, KEY

    rows = []
    for command, run in (("cache gc", aztui_gc), ("blobs rm", aztui_rm)):
        baseline = None
        for count in [1] + counts:
            live = {orphan(i): f'"0x{i:X}"' for i in range(count)}
            with SweepServer(live, container=CONTAINER) as server, \
                    LatencyProxy(server.port, delay=delay) as proxy, tempfile.TemporaryDirectory() as folder:
                url = f"http://127.0.0.1:{proxy.port}/{ACCOUNT}"
                config = cache_profiles(folder, url, ACCOUNT, KEY)
                store_profile(config, url, ACCOUNT, KEY)
                wall, cpu = run(config, folder)
                assert server.deleted == count and not server.live, (server.deleted, len(server.live))
                assert server.requests["delete"] == 0, "single deletes: the batches were refused"
            if baseline is None:
                baseline = (wall, cpu)
                continue
            net_wall, net_cpu = wall - baseline[0], cpu - baseline[1]
            rows.append((f"{command}, delete-at-once server, {count:,} blobs, +{delay * 1000:.0f} ms each way",
                         f"{count / wall:,.0f} guarded deletes/s ({wall:.1f} s; {count / net_wall:,.0f}/s "
                         f"without start-up), CPU {cpu * 1e6 / count:,.0f} us per delete "
                         f"({net_cpu * 1e6 / count:,.0f} without start-up; start-up {baseline[1]:.2f} s CPU)"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orphans", type=int, nargs="+", default=[2000, 20000])
    parser.add_argument("--delay", type=float, default=0.020, help="seconds added each way (default 0.020)")
    parser.add_argument("--skip-azurite", action="store_true", help="only aztui's own limit (part 2)")
    parser.add_argument("--skip-limit", action="store_true", help="only the comparison on Azurite (part 1)")
    args = parser.parse_args()
    rows = [] if args.skip_azurite else azurite_part(args.orphans, args.delay)
    rows += [] if args.skip_limit else limit_part(args.orphans, args.delay)
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")
    if not args.skip_limit:
        print("goal: >= 2,000 guarded deletes/s through the proxy (part 2)")


if __name__ == "__main__":
    main()
