"""The journal every destructive executor keeps: JSON lines, owner-only, flushed line by line.

The first line is a header (what plan, for which profile); each later line is one outcome.
`append=True` reopens an existing journal to resume an interrupted run; `may_exist=True` appends
to the file if there is one, else creates it (a journal path given on the command line).
Journals live in `aztui.locations.journals_dir()` unless a caller names another path.

Test-only hook: with `AZTUI_TEST_CRASH_AFTER=K` in the environment the process dies
(`os._exit(70)`, no cleanup, like a kill) right after the K-th outcome line, so tests can
interrupt any executor at a chosen point and check that a resume finishes the job.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

from aztui.errors import AztuiError

CRASH_AFTER_ENV = "AZTUI_TEST_CRASH_AFTER"
_to_json = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps(ensure_ascii=False) builds one per call


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat()


class Journal:
    def __init__(self, path: Path, header: dict, *, append: bool = False, may_exist: bool = False,
                 stamp: bool = True) -> None:
        """`stamp=False`: outcome lines are written as given, without an "at" time."""
        self.path = path
        self._stamp = stamp
        try:
            if append:
                fd = os.open(path, os.O_WRONLY | os.O_APPEND)
            else:
                path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                exclusive = 0 if may_exist else os.O_EXCL
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | exclusive, 0o600)
        except OSError as exc:
            raise AztuiError(f"cannot {'open' if append else 'create'} the journal {path}: {exc.strerror}",
                             title="Journal failed", hint="choose another journal path") from None
        self._file = os.fdopen(fd, "a", encoding="utf-8")
        self._outcomes = 0
        crash = os.environ.get(CRASH_AFTER_ENV, "")
        self._crash_after = int(crash) if crash.isdigit() else None
        self._write(header)

    def _write(self, record: dict) -> None:
        self._file.write(_to_json(record) + "\n")
        self._file.flush()

    def record(self, outcome: dict) -> None:
        """One outcome line, stamped with the time (unless the journal was made with stamp=False)."""
        self._write({**outcome, "at": utc_now()} if self._stamp else outcome)
        self._outcomes += 1
        if self._crash_after is not None and self._outcomes >= self._crash_after:
            os._exit(70)

    def record_many(self, outcomes: list[dict]) -> None:
        """Several outcome lines (one batch's answers) in one write, stamped with one time; the
        test crash hook still stops right after the K-th line."""
        if self._crash_after is not None and self._outcomes + len(outcomes) >= self._crash_after:
            for outcome in outcomes:
                self.record(outcome)
            return
        stamp = {"at": utc_now()} if self._stamp else {}
        self._file.write("".join([_to_json({**outcome, **stamp}) + "\n" for outcome in outcomes]))
        self._file.flush()
        self._outcomes += len(outcomes)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> "Journal":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
