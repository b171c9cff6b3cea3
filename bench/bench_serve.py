"""Benchmark ``ringlens serve``: queue and ring pages over a 1M-item queue database.

Usage::

    .venv/bin/python bench/bench_serve.py                        # 1M items
    .venv/bin/python bench/bench_serve.py --items 100000 --queue-requests 100

1. Scores the demo set (``graphs/demo``, or with ``--events N`` a synthetic set of N events
   made once under bench/data) into a temporary run folder: the rings, entities and events
   the ring pages draw from.
2. Makes a queue frame of ``--items`` rows with Polars: the run's own items plus synthetic
   items of other rings (12 items a ring; markets, patterns, actions and risks skewed as on
   a platform), and upserts it once into a fresh ``queue.sqlite`` of the run (timed), then
   upserts it again as a re-run (every item's last run and half the risks change). The same
   two upserts into a database without the workbench's indexes of schema version 2 (the
   version-1 indexes only) give what those indexes cost.
3. Reviewer work: ``--reviews`` rings get a verdict through ``QueueStore.review``.
4. Starts ``ringlens serve RUN --port P`` (the CLI, its own process) and makes a bounded
   number of GET requests to 127.0.0.1 (one client, keep-alive): ``--queue-requests``
   queue pages over a fixed mix of filters, sorts and page numbers, ``--ring-requests``
   ring pages of the run's rings. Every response must be 200. Prints latency percentiles
   (wall time until the whole body is read) and a Markdown table.
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from _util import ensure_synth, machine  # noqa: E402

from ringlens.export import QUEUE_SCHEMA, open_queue_store  # noqa: E402

#: Indexes that schema version 2 added for the workbench (the version-1 ones stay).
V2_INDEXES = (
    "queue_items_order_idx",
    "queue_items_ring_idx",
    "queue_items_entity_id_idx",
    "queue_items_market_idx",
    "queue_items_assignee_idx",
    "queue_items_seen_idx",
)
MARKETS = ["US", "GB", "DE", "FR", "BR", "IN", "ID", "VN", "TH", "PH", "MY", "MX", "JP", "KR"]
PATTERNS = ["mutual_boost", "brushing", "affiliate_fraud", "sock_puppet_farm", "fake_reviews"]
ACTIONS = ["monitor", "manual_review", "restrict_commissions", "suspend"]
QUEUES = ["watchlist", "review", "enforcement"]


def synthetic_queue(run_queue: pl.DataFrame, n: int, *, run_id: str, seed: int) -> pl.DataFrame:
    """``n`` items: the run's own, then synthetic ones (Polars expressions, no loop)."""
    k = max(n - run_queue.height, 0)
    i = pl.int_range(0, k, dtype=pl.Int64)
    h = (i * 2654435761 + seed) % 1_000_003  # a cheap deterministic hash
    m = len(MARKETS)
    syn = (
        pl.select(i.alias("i"), h.alias("h"))
        .with_columns(
            # market skew: the first markets are the large ones
            mk=((pl.col("h") % 1000).cast(pl.Float64) / 1000.0).pow(2) * m,
            risk=(35.0 + 65.0 * ((pl.col("h") % 9973).cast(pl.Float64) / 9973.0).pow(3)).round(3),
        )
        .select(
            pl.format("q_bench{}", pl.col("i")).alias("queue_item_id"),
            pl.lit(pl.Series(["buyer", "creator", "seller"]))
            .get(pl.col("h") % 3)
            .alias("entity_type"),
            pl.format("e{}", pl.col("i")).alias("entity_id"),
            pl.format("ring_b{}", (pl.col("i") // 12).cast(pl.String).str.zfill(15)).alias(
                "ring_id"
            ),
            pl.lit(pl.Series(PATTERNS)).get((pl.col("i") // 12) % 5).alias("pattern"),
            pl.col("risk").alias("risk_score"),
            pl.lit(0, pl.Int64).alias("priority"),
            pl.lit(pl.Series(ACTIONS)).get(pl.col("h") % 7 % 4).alias("action"),
            pl.lit(pl.Series(QUEUES)).get(pl.col("h") % 3).alias("queue"),
            pl.concat_list(pl.lit("ring_member"), pl.format("r{}", pl.col("h") % 17)).alias(
                "reasons"
            ),
            pl.format("viz/ring_b{}.html", pl.col("i") // 12).alias("evidence"),
            pl.when(pl.col("h") % 50 == 0)
            .then(None)
            .otherwise(pl.lit(pl.Series(MARKETS)).get(pl.col("mk").cast(pl.Int64).clip(0, m - 1)))
            .alias("market"),
            pl.lit(run_id).alias("run_id"),
        )
    )
    own = run_queue.select(list(QUEUE_SCHEMA)).cast(QUEUE_SCHEMA)
    out = pl.concat([own, syn.cast(QUEUE_SCHEMA)])
    # priority = rank by risk (the run's own items first, as the policy ranks them)
    return out.with_columns(
        pl.when(pl.int_range(pl.len()) < own.height)
        .then(pl.col("priority"))
        .otherwise(
            own.height + pl.col("risk_score").rank("ordinal", descending=True).cast(pl.Int64)
        )
        .alias("priority")
    ).head(n)


def rerun(frame: pl.DataFrame, run_id: str) -> pl.DataFrame:
    """The next night's run: every item seen again, half of the risks changed."""
    return frame.with_columns(
        risk_score=pl.when(pl.int_range(pl.len()) % 2 == 0)
        .then((pl.col("risk_score") + 3.0).clip(0, 100))
        .otherwise(pl.col("risk_score")),
        run_id=pl.lit(run_id),
    )


def upserts(db: Path, frame: pl.DataFrame, *, v2_indexes: bool) -> tuple[float, float]:
    """Seconds of the first upsert (inserts) and of a re-run (updates)."""
    db.unlink(missing_ok=True)
    with open_queue_store(db) as st:
        if not v2_indexes:
            conn = st._conn  # noqa: SLF001 - the benchmark's baseline schema
            for name in V2_INDEXES:
                conn.execute(f"DROP INDEX {name}")
        run_id = frame["run_id"][0]
        t0 = time.perf_counter()
        st.upsert(frame, run_id=run_id)
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        st.upsert(rerun(frame, run_id + "_next"), run_id=run_id + "_next")
        second = time.perf_counter() - t0
    with sqlite3.connect(db) as conn:
        have = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert (set(V2_INDEXES) <= have) == v2_indexes, have
    return first, second


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_listening(port: int, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"ringlens serve exited: {proc.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("ringlens serve did not start")


class Client:
    """One keep-alive HTTP/1.1 connection to 127.0.0.1 (nothing else is contacted)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.count = 0

    def get(self, path: str) -> tuple[float, int, int]:
        t0 = time.perf_counter()
        self.conn.request("GET", path, headers={"Host": f"127.0.0.1:{self.port}"})
        r = r_ = self.conn.getresponse()
        body = r_.read()
        dt = time.perf_counter() - t0
        self.count += 1
        if r.status != 200:
            raise RuntimeError(f"GET {path}: {r.status} {body[-300:]!r}")
        return dt, r.status, len(body)


def queue_paths(frame: pl.DataFrame, n: int) -> list[str]:
    """A fixed mix of filtered queue pages, ``n`` of them (round robin)."""
    big = frame.group_by("market").len().drop_nulls().sort("len", descending=True)
    m_big, m_small = big["market"][0], big["market"][-1]
    mixes: list[dict[str, str]] = [
        {},
        {"market": m_big},
        {"market": m_small},
        {"market": m_big, "status": "open"},
        {"status": "in_review"},
        {"assignee": "alice"},
        {"assignee": "(none)", "market": m_big},
        {"pattern": "brushing"},
        {"action": "suspend", "market": m_big},
        {"risk_min": "80"},
        {"risk_min": "50", "risk_max": "60", "market": m_small},
        {"market": m_big, "sort": "risk"},
        {"pattern": "affiliate_fraud", "sort": "risk"},
        {"status": "open", "sort": "updated"},
        {"market": m_big, "page": "20"},
        {"page": "200"},
        {"stale": "no", "market": m_big},
        {"market": m_big, "sort": "entity", "page": "3"},
    ]
    out = []
    for k in range(n):
        q = mixes[k % len(mixes)]
        out.append("/?" + urlencode(q) if q else "/")
    return out


def pct(values: list[float], p: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def write_ring_files(run: Path, res: object) -> None:
    """What a run that persists them may write: lockstep bursts over the whole run
    (``bursts.parquet``; here one family per action, as the views find them again) and
    the events around its rings (``ring_events.parquet``)."""
    from ringlens.detect.lockstep import lockstep
    from ringlens.export import resolve_run
    from ringlens.viz.evidence import BURSTS_SCHEMA, lockstep_families, read_run, ring_events

    gen = resolve_run(run)
    graph = res.graph  # type: ignore[attr-defined]
    parts = []
    actions = graph.events["action"].cast(pl.String).unique().to_list()
    for reason, kwargs in lockstep_families(actions=actions):
        kw = dict(kwargs)
        window = kw.pop("window")
        b = lockstep(graph, window=window, **kw).bursts
        parts.append(b.select(pl.lit(reason).alias("family"), pl.all()))
    pl.concat(parts).select(list(BURSTS_SCHEMA)).write_parquet(gen / "bursts.parquet")
    folder = read_run(run)
    members = folder.rings["members"].explode().unique().to_list()
    ring_events(folder.events(), members).write_parquet(gen / "ring_events.parquet")


def prepare(
    args: argparse.Namespace, run: Path, tmp: Path, rows: list[tuple[str, str]]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Score the demo into ``run``, make the queue frame, time the upserts (with and
    without the workbench's indexes), give some rings a verdict. Returns the run's rings
    and the queue frame."""
    import ringlens

    source = ensure_synth(args.events) if args.events else ROOT / "graphs" / "demo"
    t0 = time.perf_counter()
    res = ringlens.run(source, out_dir=run)
    n_events = res.graph.events.height if res.graph is not None else 0
    print(
        f"{source.name} ({n_events:,} events) scored in {time.perf_counter() - t0:.1f} s: "
        f"{res.rings.height} rings"
    )
    rows.append(("events of the run the ring pages draw from", f"{n_events:,}"))
    if args.ring_files:
        t0 = time.perf_counter()
        write_ring_files(run, res)
        print(f"bursts.parquet and ring_events.parquet written in {time.perf_counter() - t0:.1f} s")
        rows.append(("run folder has bursts.parquet and ring_events.parquet", "yes"))
    run_id = str(res.queue["run_id"][0])
    frame = synthetic_queue(res.queue, args.items, run_id=run_id, seed=1)
    print(f"queue frame: {frame.height:,} items, {frame['ring_id'].n_unique():,} rings")
    if not args.skip_baseline:
        base = tmp / "baseline.sqlite"
        first, second = upserts(base, frame, v2_indexes=False)
        print(f"upsert without the v2 indexes: first {first:.1f} s, re-run {second:.1f} s")
        rows += [
            ("upsert, first run, version-1 indexes only", f"{first:.1f} s"),
            ("upsert, re-run, version-1 indexes only", f"{second:.1f} s"),
        ]
        for suffix in ("", "-wal", "-shm"):
            Path(str(base) + suffix).unlink(missing_ok=True)
    db = run / "queue.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    first, second = upserts(db, frame, v2_indexes=True)
    print(f"upsert with the v2 indexes: first {first:.1f} s, re-run {second:.1f} s")
    rows += [
        ("upsert, first run, with the workbench's indexes", f"{first:.1f} s"),
        ("upsert, re-run, with the workbench's indexes", f"{second:.1f} s"),
    ]
    # reviewer work: verdicts on some rings (through review(), audited)
    rings = frame["ring_id"].unique(maintain_order=True).to_list()
    t0 = time.perf_counter()
    with open_queue_store(db) as st:
        for k, ring_id in enumerate(rings[res.rings.height : res.rings.height + args.reviews]):
            st.review(
                ring_id=ring_id,
                status=("in_review", "actioned", "dismissed")[k % 3],
                assignee=("alice", "bob", "chen")[k % 3],
                note="bench",
                actor="bench",
            )
    dt = time.perf_counter() - t0
    print(f"{args.reviews} ring verdicts in {dt:.1f} s")
    rows.append(
        (
            f"ring verdict (12 items, audited), mean of {args.reviews}",
            f"{dt / max(args.reviews, 1) * 1000:.0f} ms",
        )
    )
    return res.rings, frame


def serve_pages(
    args: argparse.Namespace,
    run: Path,
    rings: pl.DataFrame,
    frame: pl.DataFrame,
    rows: list[tuple[str, str]],
) -> None:
    """``ringlens serve`` over ``run`` in its own process; the bounded load; the numbers."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ringlens", "serve", str(run), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    mixes = queue_paths(frame, args.queue_requests)
    try:
        wait_listening(port, proc)
        client = Client(port)
        # cold: the first queue page (filter choices) and the first ring page of the run
        cold_q = client.get("/")[0]
        top = rings.sort("risk_score", descending=True)["ring_id"].to_list()
        cold_r = client.get("/ring/" + top[0])[0]
        qt = [client.get(p)[0] for p in mixes]
        rt = [client.get("/ring/" + top[k % len(top)])[0] for k in range(args.ring_requests)]
        total = client.count
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    print(f"{total} requests to 127.0.0.1:{port}, every one 200")
    by_mix: dict[str, list[float]] = {}
    for path, t in zip(mixes, qt, strict=True):
        by_mix.setdefault(path, []).append(t)
    print("queue page by filter (median, max ms):")
    for path, ts in by_mix.items():
        print(f"  {path:<60} {statistics.median(ts) * 1000:6.0f} {max(ts) * 1000:6.0f}")
    for label, ts in (("queue page", qt), ("ring page", rt)):
        print(
            f"{label}: n={len(ts)} p50 {pct(ts, 50) * 1000:.0f} ms, "
            f"p95 {pct(ts, 95) * 1000:.0f} ms, max {max(ts) * 1000:.0f} ms"
        )
    rows += [
        ("first queue page after start (cold)", f"{cold_q * 1000:.0f} ms"),
        ("first ring page after start (cold)", f"{cold_r * 1000:.0f} ms"),
        (
            f"filtered queue page, {len(qt)} requests (p50 / p95 / max)",
            f"{pct(qt, 50) * 1000:.0f} / {pct(qt, 95) * 1000:.0f} / {max(qt) * 1000:.0f} ms",
        ),
        (
            f"ring page, {len(rt)} requests (p50 / p95 / max)",
            f"{pct(rt, 50) * 1000:.0f} / {pct(rt, 95) * 1000:.0f} / {max(rt) * 1000:.0f} ms",
        ),
    ]
    print(f"# load average {os.getloadavg()[0]:.1f} at the end")
    print(f"\n| {frame.height:,}-item queue | result |\n|---|---:|")
    for label, value in rows:
        print(f"| {label} | {value} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=1_000_000)
    ap.add_argument(
        "--events",
        type=int,
        default=0,
        help="score a synthetic set of this many events (bench/data) instead of graphs/demo",
    )
    ap.add_argument("--queue-requests", type=int, default=360)
    ap.add_argument("--ring-requests", type=int, default=36)
    ap.add_argument("--reviews", type=int, default=300, help="rings given a verdict")
    ap.add_argument("--skip-baseline", action="store_true", help="no index-cost upserts")
    ap.add_argument(
        "--ring-files",
        action="store_true",
        help="write bursts.parquet and ring_events.parquet into the run, as a run may",
    )
    ap.add_argument("--keep", type=Path, default=None, help="keep the run folder here")
    ap.add_argument(
        "--pages-only",
        action="store_true",
        help="serve the run kept with --keep as it is (no scoring, upserts or verdicts)",
    )
    args = ap.parse_args()
    print(f"# {machine()}, SQLite {sqlite3.sqlite_version}, Polars {pl.__version__}")
    print(f"# {platform.node()}, load average {os.getloadavg()[0]:.1f} at start")
    tmp = Path(tempfile.mkdtemp(prefix="ringlens-bench-serve-"))
    rows: list[tuple[str, str]] = []
    try:
        run = args.keep or tmp / "run"
        if args.pages_only:
            if args.keep is None:
                raise SystemExit("--pages-only needs --keep RUN (a run kept by an earlier call)")
            from ringlens.viz.evidence import read_run

            rings = read_run(run).rings
            with open_queue_store(run / "queue.sqlite", create=False) as st:
                frame = st.read().select(list(QUEUE_SCHEMA))
            print(f"serving the kept run {run}: {frame.height:,} items")
        else:
            rings, frame = prepare(args, run, tmp, rows)
        serve_pages(args, run, rings, frame, rows)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
