"""`aztui blobs ...` as a user runs it (a subprocess with a profiles file), and the layout it is run on."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

from aztui.azure.blobs import BlobStore

# `python -m aztui` once aztui/cli.py wires the `blobs` command; until then its own entry point
ENTRY = ["-m", "aztui"]


LAYOUT = {"top.txt": b"top", "raw/a.bin": b"aaaa", "raw/b.bin": b"bb", "raw/deep/c.bin": b"c" * 10,
          "raw/deep/d.bin": b"d" * 5}


def run_blobs(config, *args: str, state_dir=None) -> subprocess.CompletedProcess:
    env = {**os.environ, "XDG_STATE_HOME": str(state_dir or config.parent / "state")}
    return subprocess.run([sys.executable, *ENTRY, "--config", str(config), "blobs", *args],
                          capture_output=True, text=True, env=env, timeout=120)


def blob_names(profile, container) -> list[str]:
    async def names():
        async with BlobStore(profile) as store:
            return sorted([b.name async for b in store.iter_blobs(container)])
    return asyncio.run(names())
