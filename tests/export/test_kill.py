"""A process SIGKILLed mid-export leaves the previous complete state intact.

A child process writes run folders (or upserts the queue) in a loop; the test
kills it with SIGKILL after a random delay, then checks that what a reader
sees is one complete run: every file parses and all belong to the same run,
nothing else in the folder changed, reviewer edits are all there.

Kills alternate between two clocks so that some are sure to land inside a write
on a fast or a loaded machine alike: even kills wait a random delay from the
child's start (anywhere: before, between or inside writes), odd kills wait for
the child to announce a write and then a random fraction of one write's
measured duration.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from ringlens.export import open_queue_store, write_run

from ._killme import run_files
from .conftest import make_queue

HERE = Path(__file__).parent
CHILD = HERE / "_killme.py"
N_KILLS = 20


def _spawn(*args: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, str(CHILD), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=HERE,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if line.strip() != "ready":
        proc.kill()
        proc.wait()
        raise AssertionError(f"child failed to start: {line!r} {proc.stderr.read()[-2000:]}")
    return proc


def _kill_after(
    proc: subprocess.Popen[str], delay: float, *, after_begin: bool = False
) -> tuple[str | None, str | None]:
    """SIGKILL the child after ``delay`` s; return (last run begun, last run done).

    With ``after_begin`` the delay counts from the child's first "begin" line
    instead of from its start.
    """
    lines: list[str] = []
    if after_begin:
        first = proc.stdout.readline()
        if not first.startswith("begin "):
            proc.kill()
            proc.wait()
            raise AssertionError(f"child said {first!r}, not begin: {proc.stderr.read()[-2000:]}")
        lines.append(first)
    try:
        proc.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        pass
    else:  # the child must not exit on its own
        raise AssertionError(f"child exited with {proc.returncode}: {proc.stderr.read()}")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    begun = done = None
    for line in lines + proc.stdout.read().splitlines():
        line = line.strip()
        word, _, run_id = line.partition(" ")
        if word == "begin":
            begun = run_id
        elif word == "done":
            done = run_id
    proc.stdout.close()
    proc.stderr.close()
    return begun, done


def _allowed(before: str, begun: str | None, done: str | None) -> set[str]:
    """Runs a reader may see after the kill: the last finished one, or the one in flight."""
    if begun is None:
        return {before}
    if begun == done:  # killed between two writes
        return {begun}
    return {done or before, begun}  # killed mid-write: old or new, nothing else


def _check_run_folder(out: Path) -> str:
    """Everything a reader sees belongs to one complete run; return its id."""
    meta = json.loads((out / "run.json").read_text())
    run_id, k = meta["run_id"], meta["k"]
    for name in ("rings.parquet", "entities.parquet", "queue.parquet"):
        ids = pl.read_parquet(out / name)["run_id"].unique().to_list()
        assert ids == [run_id], (name, ids, run_id)
    q = pl.read_ndjson(out / "queue.jsonl")
    assert q.height == 3000 and q["run_id"].unique().to_list() == [run_id]
    assert (out / "viz" / "index.html").read_text() == f"<html>{run_id}</html>"
    assert sorted(os.listdir(out / "viz")) == ["index.html", f"ring_{run_id}.html"]
    has_csv = (out / "queue.csv").exists()
    assert has_csv == (k % 2 == 0), (run_id, has_csv)
    if has_csv:
        csv = pl.read_csv(out / "queue.csv")
        assert csv.height == 3000 and csv["run_id"].unique().to_list() == [run_id]
    return run_id


def _digests(out: Path, names: list[str]) -> dict[str, str]:
    return {n: hashlib.sha256((out / n).read_bytes()).hexdigest() for n in names}


def test_sigkill_during_run_folder_write(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "queue.sqlite").write_bytes(os.urandom(4096))
    (out / "reviewer_notes.md").write_text("# notes\nkeep me\n")
    foreign = _digests(out, ["queue.sqlite", "reviewer_notes.md"])
    files = run_files("first-0", 0)
    t0 = time.perf_counter()
    write_run(out, files, run_id="first-0")
    write_time = time.perf_counter() - t0
    # kill anywhere in the first few writes, however fast or loaded this machine is
    span = max(0.1, 4 * write_time)
    current = _check_run_folder(out)
    rng = random.Random(20240501)
    mid_write = 0
    history: list[tuple[str | None, str | None]] = []
    # at least N_KILLS kills, and more (up to 2x) until 3 of them landed mid-write
    while len(history) < N_KILLS or (mid_write < 3 and len(history) < 2 * N_KILLS):
        proc = _spawn("run", str(out), f"kill{len(history)}")
        if len(history) % 2:
            begun, done = _kill_after(proc, rng.uniform(0.0, write_time), after_begin=True)
        else:
            begun, done = _kill_after(proc, rng.uniform(0.0, span))
        history.append((begun, done))
        mid_write += begun is not None and begun != done
        now = _check_run_folder(out)
        assert now in _allowed(current, begun, done), (now, current, begun, done)
        current = now
        assert _digests(out, ["queue.sqlite", "reviewer_notes.md"]) == foreign
    # recovery on the next run
    write_run(out, run_files("last-0", 0), run_id="last-0")
    assert _check_run_folder(out) == "last-0"
    leftovers = [p.name for p in (out / ".ringlens").iterdir() if p.name.startswith("staging-")]
    assert leftovers == []
    print(f"run folder: {mid_write}/{len(history)} kills landed mid-write")
    assert mid_write >= 3, (
        f"only {mid_write} kills landed mid-write: {history} (span {span:.2f} s, "
        f"one write {write_time:.3f} s)"
    )


def _check_db(path: Path, n: int) -> str:
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with open_queue_store(path) as store:
        return _check_store(store, n)


def _check_store(store, n: int) -> str:  # noqa: ANN001
    df = store.read()
    assert df.height == n
    runs = df["last_seen_run"].unique().to_list()
    assert len(runs) == 1, runs  # one upsert is all or nothing
    run_id = runs[0]
    assert df["run_id"].unique().to_list() == [run_id]
    k = int(run_id.rsplit("-", 1)[1]) if "-" in run_id else 0
    expected = make_queue(n, risk=30.0 + k % 5)["risk_score"]
    assert df.sort("queue_item_id")["risk_score"].to_list() == expected.to_list()
    assert store.runs()["run_id"][-1] == run_id
    edits = {r["queue_item_id"]: r for r in df.iter_rows(named=True)}
    assert (edits["qi_00000"]["status"], edits["qi_00000"]["notes"]) == ("dismissed", "fp 'x'")
    assert (edits["qi_00001"]["status"], edits["qi_00001"]["assignee"]) == ("actioned", "ana")
    assert (edits["qi_00002"]["status"], edits["qi_00002"]["notes"]) == ("in_review", "line\nbreak")
    return run_id


def _seed(store, n: int) -> float:  # noqa: ANN001
    """Fill the queue, make reviewer edits; return the time of one re-run upsert."""
    store.upsert(make_queue(n, risk=30.0), run_id="seed")
    store.set_status("qi_00000", "dismissed", notes="fp 'x'")
    store.set_status("qi_00001", "actioned", assignee="ana")
    store.set_status("qi_00002", "in_review", notes="line\nbreak")
    t0 = time.perf_counter()
    store.upsert(make_queue(n, risk=30.0), run_id="seed")
    return time.perf_counter() - t0


def _kill_loop(url: str, n: int, kills: int, upsert_time: float, check) -> int:  # noqa: ANN001
    """Kill ``kills`` times (more, up to 2x, until 3 landed mid-upsert); return mid count."""
    rng = random.Random(7)
    span = max(0.1, 3 * upsert_time)
    current = "seed"
    mid = 0
    history: list[tuple[str | None, str | None]] = []
    while len(history) < kills or (mid < 3 and len(history) < 2 * kills):
        proc = _spawn("db", url, f"kill{len(history)}", str(n))
        if len(history) % 2:
            begun, done = _kill_after(proc, rng.uniform(0.0, upsert_time), after_begin=True)
        else:
            begun, done = _kill_after(proc, rng.uniform(0.0, span))
        history.append((begun, done))
        mid += begun is not None and begun != done
        now = check()
        assert now in _allowed(current, begun, done), (now, current, begun, done)
        current = now
    label = "postgresql" if url.startswith("postgres") else "sqlite"
    print(f"{label}: {mid}/{len(history)} kills landed mid-upsert (one upsert {upsert_time:.3f} s)")
    return mid


def test_sigkill_during_sqlite_upsert(tmp_path: Path) -> None:
    n = 3000
    db = tmp_path / "out" / "queue.sqlite"
    with open_queue_store(db) as store:
        upsert_time = _seed(store, n)
    mid = _kill_loop(str(db), n, N_KILLS, upsert_time, lambda: _check_db(db, n))
    assert mid >= 3, f"only {mid} kills landed mid-upsert (one upsert {upsert_time:.3f} s)"


@pytest.mark.postgres
def test_sigkill_during_postgres_upsert(pg_url: str) -> None:
    n = 5000
    with open_queue_store(pg_url) as store:
        upsert_time = _seed(store, n)

    def check() -> str:
        with open_queue_store(pg_url) as store:
            return _check_store(store, n)

    mid = _kill_loop(pg_url, n, 6, upsert_time, check)
    assert mid >= 1, f"no kill landed mid-upsert (one upsert {upsert_time:.3f} s)"
