"""A run compares its inputs with the runs published before in its folder: run.json's
input_profile / input_history / input_drift, the report's first screen, --strict."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from ringlens.cli import app
from ringlens.pipeline.drift import HISTORY_RUNS

runner = CliRunner()


@pytest.fixture(scope="module")
def nights(tmp_path_factory, small_synth) -> tuple[Path, Path]:
    """Two nights of one platform: the second lost its most frequent action (a broken
    export), the rest unchanged."""
    base = tmp_path_factory.mktemp("nights")
    ev = small_synth.events
    top = ev["action"].value_counts(sort=True)["action"][0]
    for name, frame in (("n1", ev), ("n2", ev.filter(pl.col("action") != top))):
        (base / name).mkdir()
        frame.write_parquet(base / name / "events.parquet")
    return base / "n1", base / "n2"


def _report(out: Path) -> dict:
    return json.loads((out / "run.json").read_text("utf-8"))


def test_drift_is_recorded_and_strict_fails_after_writing(nights, tmp_path, small_synth) -> None:
    n1, n2 = nights
    out = tmp_path / "out"
    r = runner.invoke(app, ["-q", "score", str(n1), "--out", str(out), "--no-views"])
    assert r.exit_code == 0, r.output
    first = _report(out)
    assert first["input_history"] == [] and first["input_drift"]["ok"]
    assert first["input_profile"]["events"] == small_synth.events.height

    # the same night again: compared with the nights before it, never with itself
    r = runner.invoke(app, ["-q", "score", str(n1), "--out", str(out), "--no-views"])
    assert r.exit_code == 0, r.output
    assert _report(out)["input_history"] == []

    top = small_synth.events["action"].value_counts(sort=True)["action"][0]
    r = runner.invoke(app, ["-q", "score", str(n2), "--out", str(out), "--no-views", "--strict"])
    assert r.exit_code == 2
    assert f"gone: {top}" in r.output and "--strict" in r.output and "Traceback" not in r.output
    second = _report(out)  # written all the same: nothing is lost
    assert second["run_id"] != first["run_id"]
    assert second["input_history"] == [first["input_profile"]]
    assert not second["input_drift"]["ok"]
    flagged = {(f["level"], f["action"], f["flag"]) for f in second["input_drift"]["flagged"]}
    assert ("action", top, "gone") in flagged


def test_drift_shows_in_the_report_and_history_is_capped(nights, tmp_path) -> None:
    n1, n2 = nights
    out = tmp_path / "out"
    for k in range(HISTORY_RUNS + 2):  # distinct runs (seeds), same inputs
        r = runner.invoke(
            app, ["-q", "score", str(n1), "--out", str(out), "--no-views", "--seed", str(k)]
        )
        assert r.exit_code == 0, r.output
    assert len(_report(out)["input_history"]) == HISTORY_RUNS
    assert _report(out)["input_drift"]["ok"]
    r = runner.invoke(app, ["score", str(n2), "--out", str(out)])
    assert r.exit_code == 0, r.output  # without --strict: a warning, exit 0
    assert "input drift" in r.output
    page = (out / "viz" / "index.html").read_text("utf-8")
    assert "input drift</th><td>gone: " in page


def test_a_folder_per_night_compares_with_the_previous_folders(nights, tmp_path) -> None:
    """A job writing /runs/<date> names yesterday's folder; the history chains through it."""
    n1, n2 = nights
    days = [tmp_path / f"2024-06-0{d}" for d in (1, 2, 3)]
    r = runner.invoke(app, ["-q", "score", str(n1), "--out", str(days[0]), "--no-views"])
    assert r.exit_code == 0, r.output
    for prev, day, src in ((days[0], days[1], n1), (days[1], days[2], n2)):
        args = ["-q", "score", str(src), "--out", str(day), "--no-views", "--previous", str(prev)]
        r = runner.invoke(app, args)
        assert r.exit_code == 0, r.output
    last = _report(days[2])
    assert len(last["input_history"]) == 2 and not last["input_drift"]["ok"]
    assert last["input_drift"]["previous_runs"] == 2
    r = runner.invoke(
        app,
        [
            "-q",
            "score",
            str(n1),
            "--out",
            str(tmp_path / "x"),
            "--previous",
            str(tmp_path / "nope"),
        ],
    )
    assert r.exit_code == 2 and "previous run folder" in r.output and "nope" in r.output
    assert not (tmp_path / "x" / "run.json").exists()  # refused before any work


def test_the_run_keeps_its_lockstep_bursts_for_the_timelines(nights, tmp_path) -> None:
    """bursts.parquet holds the bursts the lockstep detector found (not found again by the
    views): every lockstep ring has bursts on its targets in which its members acted."""
    from ringlens.config import Config
    from ringlens.pipeline import run
    from ringlens.pipeline.registry import BURST_SCHEMA
    from ringlens.viz.evidence import bursts_with_members, normalise_bursts, read_run, ring_actions

    n1, _ = nights
    res = run(n1, out_dir=tmp_path / "out", config=Config().with_overrides({"viz.enabled": False}))
    bursts = pl.read_parquet(tmp_path / "out" / "bursts.parquet")
    assert bursts.schema == BURST_SCHEMA and bursts.height > 0
    assert bursts.equals(res.bursts) and read_run(tmp_path / "out").bursts is not None
    assert bursts["family"].str.starts_with("lockstep_").all()
    assert (bursts["end"] >= bursts["start"]).all()
    assert bursts.select("family", "group", "key", "start", "end").is_duplicated().sum() == 0
    is_lock = pl.col("reasons").list.eval(pl.element().str.starts_with("lockstep")).list.any()
    lock = res.rings.filter(is_lock)
    assert lock.height > 0
    for row in lock.head(3).iter_rows(named=True):
        acts = ring_actions(res.graph, list(row["members"]))
        assert bursts_with_members(normalise_bursts(bursts), acts).height > 0
