"""End to end: the demo set through `ringlens score`, determinism, reviewer work kept, eval."""

from __future__ import annotations

import json
import sqlite3

import polars as pl
import pytest
from typer.testing import CliRunner

from ringlens.cli import app
from ringlens.eval.evaluate import evaluate_run_dir

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory, demo_dir):
    out = tmp_path_factory.mktemp("run") / "out"
    r = runner.invoke(app, ["score", str(demo_dir), "--out", str(out)])
    assert r.exit_code == 0, r.output
    return out, r.output


def test_score_writes_the_run_folder(demo_run) -> None:
    out, output = demo_run
    for name in (
        "rings.parquet",
        "entities.parquet",
        "queue.parquet",
        "queue.csv",
        "queue.jsonl",
        "run.json",
    ):
        assert (out / name).is_file(), name
    assert (out / "viz" / "index.html").is_file()
    assert (
        "rings by pattern" in output and "queue by action" in output and "report: file://" in output
    )
    q = pl.read_parquet(out / "queue.parquet")
    assert q["queue_item_id"].is_unique().all()
    assert q["risk_score"].is_between(0, 100).all()
    for ev in q["evidence"].drop_nulls().unique().to_list():
        assert (out / ev).is_file(), ev
    rings = pl.read_parquet(out / "rings.parquet")
    assert {"ring_id", "pattern", "risk_score", "size", "members", "reasons", "features"} <= set(
        rings.columns
    )
    ents = pl.read_parquet(out / "entities.parquet")
    assert {"entity_type", "entity_id", "risk_score", "ring_id", "reasons"} <= set(ents.columns)
    info = json.loads((out / "run.json").read_text())
    assert info["counts"]["rings"] == rings.height and info["inputs"]["fingerprint"]


def test_run_json_times_every_stage_once(demo_run, demo_dir) -> None:
    """The on-call engineer reads run.json to find the slow stage: every stage is there,
    with the resident memory after it, and no entry contains another.

    The stages are the ones the library times (whatever detectors the registry holds):
    those of scoring the demo in memory, seen through a progress callback, between the
    run's own ingest / graph and export steps."""
    from contextlib import contextmanager

    from ringlens.graph import build_graph
    from ringlens.io import load_entities, load_events, load_labels
    from ringlens.pipeline import score

    out, _ = demo_run
    info = json.loads((out / "run.json").read_text())
    steps: list[str] = []

    @contextmanager
    def progress(name: str):
        steps.append(name)
        yield

    score(
        build_graph(load_events(demo_dir / "events.parquet")),
        entities=load_entities(demo_dir / "entities.parquet"),
        labels=load_labels(demo_dir / "labels.parquet"),
        progress=progress,
    )
    assert len(steps) == len(set(steps)), steps  # a step timed twice loses its first time
    # the registry's detectors (side by side: one step) first, rings, the ring-stage
    # detectors, scoring last
    assert steps[0] == "detectors"
    assert steps.index("expand candidates") < steps.index("rings") < steps.index("score")
    assert steps[-2:] == ["score", "policy"]
    # inside "detectors", lockstep is timed once per action role it ran on (the coverage
    # report's roles), and once per action without a role; the detectors' steps overlap,
    # so each is at most the whole stage
    roles = {
        f["action_role"] or f"unmapped: {f['action']}"
        for f in info["coverage"]["families"]
        if "lockstep" in f["detectors"]
    }
    parts = info["detector_timings"]
    assert {s for s in parts if s.startswith("lockstep (")} == {f"lockstep ({r})" for r in roles}
    assert {"communities", "dense blocks (families)", "shared targets"} <= set(parts)
    assert all(0 <= v <= info["timings"]["detectors"] + 0.01 for v in parts.values())
    stages = ["ingest", "build graph", *steps, "write files", "views"]
    assert list(info["timings"]) == stages
    assert list(info["memory_mib"]) == stages
    assert all(v >= 0 for v in info["timings"].values())
    assert all(v > 0 for v in info["memory_mib"].values())
    assert "export" not in info["timings"]  # it held the views: stages would overlap


def test_demo_finds_every_planted_ring(demo_run, demo_dir) -> None:
    out, _ = demo_run
    ev = evaluate_run_dir(out, demo_dir / "truth.parquet")
    m = ev.metrics["ringlens"]
    assert m["ring_recall"] >= 0.9
    assert m["precision_at_k"] >= 0.9
    assert m["precision_at_k"] > ev.metrics["degree"]["precision_at_k"] + 0.5
    assert m["precision_at_k"] > ev.metrics["account_age"]["precision_at_k"] + 0.3
    rings = pl.read_parquet(out / "rings.parquet")
    assert set(rings["pattern"]) == {
        "mutual_boost",
        "brushing",
        "affiliate_fraud",
        "sock_puppet_farm",
    }


def test_same_input_and_seed_give_identical_files(demo_run, demo_dir, tmp_path) -> None:
    out, _ = demo_run
    again = tmp_path / "again"
    r = runner.invoke(app, ["-q", "score", str(demo_dir), "--out", str(again)])
    assert r.exit_code == 0, r.output
    for name in (
        "rings.parquet",
        "entities.parquet",
        "queue.parquet",
        "queue.csv",
        "queue.jsonl",
        "viz/index.html",
    ):
        assert (out / name).read_bytes() == (again / name).read_bytes(), name


def test_detectors_side_by_side_give_the_same_files_and_run_id(
    demo_dir, tmp_path, monkeypatch
) -> None:
    """The detectors and the ring views run in threads (``run.threads``, 0 = a thread per
    core): one thread, four or the default, the files, the ring pages and the run id are
    the same."""
    runs = {}
    for n in ("0", "1", "4"):
        out = tmp_path / f"threads{n}"
        monkeypatch.setenv("RINGLENS_RUN__THREADS", n)
        r = runner.invoke(app, ["-q", "score", str(demo_dir), "--out", str(out)])
        assert r.exit_code == 0, r.output
        info = json.loads((out / "run.json").read_text())
        assert info["config"]["run"]["threads"] == int(n)
        files = (
            "rings.parquet",
            "entities.parquet",
            "queue.parquet",
            "queue.csv",
            "bursts.parquet",
        )
        pages = sorted((out / "viz").glob("ring_*.html"))
        assert pages
        runs[n] = (
            info["run_id"],
            [(out / f).read_bytes() for f in files],
            [(p.name, p.read_bytes()) for p in pages],
        )
    assert runs["0"] == runs["1"] == runs["4"]


def test_rerun_keeps_reviewer_edits_and_dismissals(demo_dir, tmp_path) -> None:
    out = tmp_path / "out"
    assert runner.invoke(app, ["-q", "score", str(demo_dir), "--out", str(out)]).exit_code == 0
    db = out / "queue.sqlite"
    with sqlite3.connect(db) as con:
        ids = [
            r[0]
            for r in con.execute(
                "SELECT queue_item_id FROM queue_items ORDER BY queue_item_id LIMIT 3"
            )
        ]
        con.execute(
            "UPDATE queue_items SET status='in_review', assignee='ana', notes='looking' WHERE queue_item_id=?",
            (ids[0],),
        )
        con.execute(
            "UPDATE queue_items SET status='dismissed', notes='organic' WHERE queue_item_id=?",
            (ids[1],),
        )
    r = runner.invoke(app, ["score", str(demo_dir), "--out", str(out)])
    assert r.exit_code == 0, r.output
    with sqlite3.connect(db) as con:
        rows = dict(
            (r[0], r[1:])
            for r in con.execute(
                "SELECT queue_item_id, status, assignee, notes FROM queue_items WHERE queue_item_id IN (?, ?)",
                ids[:2],
            )
        )
        total = con.execute("SELECT count(*) FROM queue_items").fetchone()[0]
    assert rows[ids[0]] == ("in_review", "ana", "looking")
    assert rows[ids[1]][0] == "dismissed" and rows[ids[1]][2] == "organic"
    assert total == pl.read_parquet(out / "queue.parquet").height


def test_eval_cli(demo_run, demo_dir) -> None:
    out, _ = demo_run
    r = runner.invoke(app, ["eval", str(out), "--truth", str(demo_dir / "truth.parquet"), "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout[r.stdout.index("{") :])
    assert data["metrics"]["ringlens"]["ring_recall"] >= 0.9


def test_explore_ego_and_ring(demo_run) -> None:
    out, _ = demo_run
    rings = pl.read_parquet(out / "rings.parquet")
    member = rings["members"][0][0]
    r = runner.invoke(
        app, ["explore", str(out), "--entity", member, "--hops", "2", "--max-nodes", "100"]
    )
    assert r.exit_code == 0, r.output
    html = next((out / "explore").glob("ego_*.html")).read_text()
    assert "<script" in html and 'src="http' not in html
    r = runner.invoke(app, ["explore", str(out), "--entity", "buyer:nobody"])
    assert r.exit_code == 2 and "unknown entity 'buyer:nobody'" in r.output
    r = runner.invoke(
        app, ["explore", str(out), "--ring", rings["ring_id"][0], "--output", str(out / "x.html")]
    )
    assert r.exit_code == 0 and (out / "x.html").is_file()


def test_explore_after_the_inputs_changed_or_went(demo_dir, tmp_path) -> None:
    """explore re-reads the run's inputs: changed files are validated again (and said so),
    missing files are a one-line error."""
    import shutil

    data = tmp_path / "data"
    shutil.copytree(demo_dir, data)
    out = tmp_path / "out"
    assert runner.invoke(app, ["score", str(data), "--out", str(out), "--no-views"]).exit_code == 0
    member = pl.read_parquet(out / "rings.parquet")["members"][0][0]
    ev = pl.read_parquet(data / "events.parquet")
    ev.with_columns(
        pl.when(pl.int_range(pl.len()) == 5)
        .then(pl.lit(" "))
        .otherwise("actor_id")
        .alias("actor_id")
    ).write_parquet(data / "events.parquet")
    r = runner.invoke(app, ["explore", str(out), "--entity", member])
    assert r.exit_code == 2 and "row 6, column 'actor_id': null or empty" in r.output
    ev.head(ev.height - 1).write_parquet(data / "events.parquet")
    r = runner.invoke(app, ["explore", str(out), "--entity", member])
    assert r.exit_code == 0 and "changed since" in r.output
    (data / "events.parquet").unlink()
    r = runner.invoke(app, ["explore", str(out), "--entity", member])
    assert r.exit_code == 2 and "input of this run not found" in r.output


def test_diff_cli(demo_run, tmp_path, demo_dir) -> None:
    out, _ = demo_run
    r = runner.invoke(app, ["diff", str(out), str(out), "--json"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["diff", str(out), str(tmp_path / "missing")])
    assert r.exit_code == 2


@pytest.mark.parametrize(
    ("args", "msg"),
    [
        (["score", "/no/such/events", "--out", "OUT"], "no such file or folder"),
        (["score", "DEMO", "--out", "OUT", "--policy", "/no/policy.toml"], "policy file not found"),
        (["score", "DEMO", "--out", "OUT", "--labels", "/no/labels.csv"], "no such file or folder"),
        (
            ["score", "DEMO", "--out", "OUT", "--engine", "flink"],
            "--engine: expected local or spark",
        ),
    ],
)
def test_score_bad_input_exits_2(args, msg, tmp_path, demo_dir) -> None:
    args = [a.replace("OUT", str(tmp_path / "o")).replace("DEMO", str(demo_dir)) for a in args]
    r = runner.invoke(app, args)
    assert r.exit_code == 2, r.output
    assert msg in r.output and "Traceback" not in r.output


def test_streaming_run_gives_the_same_queue(demo_run, demo_dir, tmp_path) -> None:
    out, _ = demo_run
    cfg = tmp_path / "ringlens.toml"
    cfg.write_text('[run]\nstreaming = "always"\n')
    r = runner.invoke(
        app,
        [
            "-q",
            "--config",
            str(cfg),
            "score",
            str(demo_dir),
            "--out",
            str(tmp_path / "s"),
            "--no-views",
        ],
    )
    assert r.exit_code == 0, r.output
    a = pl.read_parquet(out / "queue.parquet").drop("run_id", "evidence")
    b = pl.read_parquet(tmp_path / "s" / "queue.parquet").drop("run_id", "evidence")
    assert a.equals(b)


def test_memory_ceiling_stops_cleanly_and_keeps_outputs(demo_dir, tmp_path) -> None:
    import subprocess
    import sys

    out = tmp_path / "out"
    assert (
        runner.invoke(
            app, ["-q", "score", str(demo_dir), "--out", str(out), "--no-views"]
        ).exit_code
        == 0
    )
    before = (out / "queue.parquet").read_bytes()
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "ringlens",
            "score",
            str(demo_dir),
            "--out",
            str(out),
            "--memory-limit-gb",
            "0.05",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert p.returncode == 1
    assert "memory ceiling of 0.05 GB exceeded" in p.stderr and "Traceback" not in p.stderr
    assert (out / "queue.parquet").read_bytes() == before


def test_a_failing_detector_stops_the_side_by_side_stage(monkeypatch) -> None:
    """A detector that fails in a worker thread fails the run with its own error, and the
    detectors not started yet are not run."""
    from ringlens.config import Config
    from ringlens.exceptions import ConfigError
    from ringlens.graph import build_graph
    from ringlens.pipeline import engine
    from ringlens.pipeline.registry import registered
    from ringlens.synth import SynthConfig, generate

    data = generate(SynthConfig(n_events=5_000, rings_per_pattern=1, seed=5))
    graph = build_graph(data.events)
    ran: list[str] = []
    detectors = list(registered("graph"))

    def fake(detector, inp):
        def run():
            ran.append(detector.name)
            if detector.name == detectors[0].name:
                raise ConfigError("broken detector setting")
            import time

            time.sleep(0.2)
            return engine.Found()

        return [engine.Task(run=run)]

    monkeypatch.setattr(engine, "_tasks", fake)
    cfg = Config.from_mapping({"run": {"threads": 1}})
    with pytest.raises(ConfigError, match="broken detector setting"):
        engine.detect(graph, config=cfg)
    assert ran == [detectors[0].name]  # one thread: nothing after the failure ran
    ran.clear()
    cfg = Config.from_mapping({"run": {"threads": 2}})
    with pytest.raises(ConfigError, match="broken detector setting"):
        engine.detect(graph, config=cfg)
    assert len(ran) < len(detectors)  # two threads: the queued ones were cancelled


def test_detector_tasks_start_largest_first_and_combine_in_their_order() -> None:
    """A detector's pieces (lockstep's roles) go into the run's pool with every other
    detector's, the costed ones largest first, and come back to their detector in their
    own order, however the threads finish them."""
    import threading
    import time

    from ringlens.pipeline import engine
    from ringlens.pipeline.registry import Detector

    started: list[str] = []
    lock = threading.Lock()

    def piece(name: str, wait: float):
        def run():
            with lock:
                started.append(name)
            time.sleep(wait)
            return engine.Found(counts={name: 1})

        return run

    class Split(Detector):
        name = "split"

        def tasks(self, inp):
            return [
                engine.Task(run=piece("small", 0.0), cost=1.0),
                engine.Task(run=piece("large", 1.0), cost=9.0),
                engine.Task(run=piece("medium", 0.0), cost=5.0),
            ]

        def combine(self, parts):
            self.order = [next(iter(p.counts)) for p in parts]
            return engine.Found.concat(parts)

    class Whole(Detector):
        name = "whole"

        def detect(self, inp):
            return piece("whole", 0.0)()

    from types import SimpleNamespace

    split, whole = Split(), Whole()
    inp = SimpleNamespace(context=None)
    found = engine._detect_all([split, whole], inp, 1)  # type: ignore[arg-type]
    assert started == ["small", "large", "medium", "whole"]  # one thread: run order
    assert split.order == ["small", "large", "medium"] and found[1].counts == {"whole": 1}
    started.clear()
    found = engine._detect_all([split, whole], inp, 2)  # type: ignore[arg-type]
    # the two largest start at once; the rest follow on the thread "medium" frees while
    # "large" still runs
    assert set(started[:2]) == {"large", "medium"} and started[2:] == ["small", "whole"]
    assert split.order == ["small", "large", "medium"]
    assert [f.counts for f in found] == [{"small": 1, "large": 1, "medium": 1}, {"whole": 1}]


def test_accounts_the_expansion_adds_say_so_and_do_not_raise_their_rings_risk(
    small_synth,
) -> None:
    """A ring's joiners (added at expansion through their own hits or the ring's phone)
    carry ``joined_ring``: it raises their own risk, never the ring's."""
    from ringlens.config import Config
    from ringlens.pipeline import score

    data = small_synth
    runs = {
        w: score(
            data.events,
            entities=data.entities,
            labels=data.labels,
            config=Config.from_mapping({"score": {"weights": {"joined_ring": w}}}),
        )
        for w in (25.0, 0.0)
    }
    on, off = runs[25.0], runs[0.0]
    joined = on.entities.filter(pl.col("reasons").list.contains("joined_ring"))
    assert joined.height > 0
    assert joined["ring_id"].null_count() == 0  # only ring members
    assert not on.rings["reasons"].list.contains("joined_ring").any()
    ring_risk = ["ring_id", "risk_score"]
    assert (
        on.rings.select(ring_risk)
        .sort("ring_id")
        .equals(off.rings.select(ring_risk).sort("ring_id"))
    )
    before = off.entities.select("key", pl.col("risk_score").alias("off"))
    risen = joined.join(before, on="key")
    assert (risen["risk_score"] > risen["off"]).all()


def test_score_in_a_notebook_takes_an_entities_table_with_only_some_columns(small_synth) -> None:
    # a data scientist's entities table with ids and creation times only (as a file may
    # have): the same run as with the table the loader gives; no id column: one line
    from ringlens.exceptions import SchemaError
    from ringlens.pipeline import score

    full = small_synth.entities
    some = full.select("entity_type", "entity_id", "created_at").with_columns(
        pl.col("entity_type").str.to_uppercase()  # names compare case-insensitively
    )
    # (markets shape the shared-target test, so the full table goes without them too)
    a = score(
        small_synth.events,
        entities=full.drop("market").with_columns(prior_violations=pl.lit(None)),
    )
    b = score(small_synth.events, entities=some)
    assert b.rings.height > 0
    assert b.rings.drop("market").equals(a.rings.drop("market"))
    with pytest.raises(SchemaError, match=r"^entities: missing required column 'entity_id'"):
        score(small_synth.events, entities=some.drop("entity_id"))


def test_score_in_a_notebook_reads_labels_and_integer_ids_as_the_loaders_do(small_synth) -> None:
    # buyers numbered with integer ids and a labels table typed by hand (upper case): the
    # same rings as with text ids; a bad label or an id of the wrong type: one line
    from ringlens.exceptions import InputError, SchemaError
    from ringlens.pipeline import score

    buyers = small_synth.events.filter(pl.col("actor_type") == "buyer")
    number = buyers.select(pl.col("actor_id").unique().sort()).with_row_index("n", offset=1000)
    as_text = (
        buyers.join(number, on="actor_id")
        .with_columns(pl.col("n").cast(pl.String).alias("actor_id"))
        .drop("n")
    )
    labels = small_synth.labels.join(
        number.rename({"actor_id": "entity_id"}), on="entity_id"
    ).select("entity_type", pl.col("n").alias("entity_id"), pl.col("label").str.to_uppercase())
    ref = score(as_text, labels=labels.with_columns(pl.col("entity_id").cast(pl.String)))
    got = score(as_text.with_columns(pl.col("actor_id").cast(pl.Int64)), labels=labels)
    assert got.rings.height > 0 and got.rings.equals(ref.rings)
    assert got.entities.equals(ref.entities)
    with pytest.raises(SchemaError, match=r"^labels: row 1, column 'label': 'maybe' is not"):
        score(as_text, labels=labels.head(1).with_columns(label=pl.lit("maybe")))
    with pytest.raises(InputError, match=r"^events: column 'actor_id' has type Float64"):
        score(as_text.with_columns(pl.col("actor_id").cast(pl.Float64)))
