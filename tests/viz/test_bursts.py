"""The views shade the lockstep bursts a run persisted (``bursts.parquet``) instead of
finding them again in the events; without the file they find them again."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from typer.testing import CliRunner

from ringlens.cli import app
from ringlens.detect.lockstep import lockstep
from ringlens.exceptions import SchemaError
from ringlens.export import resolve_run
from ringlens.graph import EventGraph, build_graph
from ringlens.viz import evidence
from ringlens.viz.evidence import (
    BURSTS_SCHEMA,
    bursts_with_members,
    lockstep_families,
    normalise_bursts,
    read_run,
    ring_actions,
    ring_events,
)

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory, demo_dir: Path) -> Path:
    import ringlens

    out = tmp_path_factory.mktemp("bursts") / "run"
    ringlens.run(demo_dir, out_dir=out)
    return out


def detector_bursts(graph: EventGraph) -> pl.DataFrame:
    """What a run writes to bursts.parquet: each lockstep family's bursts, found over the
    whole graph, with the family's reason code."""
    parts = []
    actions = graph.events["action"].cast(pl.String).unique().to_list()
    for reason, kwargs in lockstep_families(actions=actions):
        args = dict(kwargs)
        window = args.pop("window")
        res = lockstep(graph, window=window, **args)
        parts.append(res.bursts.select(pl.lit(reason).alias("family"), pl.all()))
    return pl.concat(parts).select(list(BURSTS_SCHEMA))


def top_ring(run: Path) -> tuple[str, list[str]]:
    """The riskiest ring of the run that a lockstep family found (it has bursts)."""
    rings = pl.read_parquet(run / "rings.parquet").sort(
        ["risk_score", "ring_id"], descending=[True, False]
    )
    hit = rings.filter(
        pl.col("reasons").list.eval(pl.element().str.starts_with("lockstep")).list.any()
    )
    assert hit.height, "the demo should hold a ring found by lockstep"
    row = hit.row(0, named=True)
    return row["ring_id"], list(row["members"])


def explore_ring(run: Path, ring_id: str, tmp_path: Path) -> str:
    out = tmp_path / "view.html"
    r = runner.invoke(app, ["-q", "explore", str(run), "--ring", ring_id, "--output", str(out)])
    assert r.exit_code == 0, r.output
    return out.read_text("utf-8")


def burst_titles(html: str) -> list[str]:
    return re.findall(r'<rect class="burst"[^>]*><title>([^<]*)</title>', html)


def shown_targets(actions: pl.DataFrame, rows: int = 12) -> set[str]:
    """The timeline's rows: the targets with most member actions."""
    top = actions.group_by("target").len().sort(["len", "target"], descending=[True, False])
    return set(top.head(rows)["target"].to_list())


def test_persisted_bursts_are_shaded_and_not_recomputed(
    demo_run: Path, demo_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = read_run(demo_run)
    graph = build_graph(run.events().collect())
    saved = detector_bursts(graph)
    assert saved.height
    saved.write_parquet(resolve_run(demo_run) / "bursts.parquet")
    ring_id, members = top_ring(demo_run)

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the bursts were found again although the run persisted them")

    monkeypatch.setattr(evidence, "lockstep", boom)
    html = explore_ring(demo_run, ring_id, tmp_path)
    actions = ring_actions(build_graph(ring_events(run.events(), members)), members)
    expected = bursts_with_members(normalise_bursts(saved), actions)
    expected = expected.filter(pl.col("target").is_in(list(shown_targets(actions))))
    titles = burst_titles(html)
    assert expected.height > 0 and len(titles) == expected.height
    want = sorted(
        f"burst {s:%Y-%m-%d %H:%M} – {e:%Y-%m-%d %H:%M}, {n} accounts"
        for s, e, n in expected.select("start", "end", "n_actors").iter_rows()
    )
    assert sorted(titles) == want


def test_only_bursts_the_ring_took_part_in(
    demo_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A burst on the ring's main target while its members acted is shaded; one on the
    same target a year earlier (no member acting) is not."""
    run = read_run(demo_run)
    ring_id, members = top_ring(demo_run)
    actions = ring_actions(build_graph(ring_events(run.events(), members)), members)
    target = actions.group_by("target").agg(pl.col("actor").n_unique().alias("m"))
    target = target.sort(["m", "target"], descending=[True, False])["target"][0]
    on = actions.filter(pl.col("target") == target).sort("ts")
    t0, t1 = on["ts"][0], on["ts"][-1]
    crafted = pl.DataFrame(
        {
            "family": ["lockstep_x", "lockstep_x"],
            "group": [7, 8],
            "key": [target, target],
            "start": [t0, t0 - timedelta(days=365)],
            "end": [t1, t0 - timedelta(days=364)],
            "n_actors": [77, 78],
        },
        schema=BURSTS_SCHEMA,
    )
    crafted.write_parquet(resolve_run(demo_run) / "bursts.parquet")
    monkeypatch.setattr(evidence, "lockstep", None)  # never called
    titles = burst_titles(explore_ring(demo_run, ring_id, tmp_path))
    assert titles == [f"burst {t0:%Y-%m-%d %H:%M} – {t1:%Y-%m-%d %H:%M}, 77 accounts"]


def test_without_the_file_the_bursts_are_found_again(
    demo_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (resolve_run(demo_run) / "bursts.parquet").unlink(missing_ok=True)
    calls: list[int] = []
    real = evidence.lockstep

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(evidence, "lockstep", counted)
    assert read_run(demo_run).bursts is None
    ring_id, _ = top_ring(demo_run)
    titles = burst_titles(explore_ring(demo_run, ring_id, tmp_path))
    assert calls and titles


def test_a_broken_bursts_file_is_one_line(demo_run: Path, tmp_path: Path) -> None:
    path = resolve_run(demo_run) / "bursts.parquet"
    ring_id, _ = top_ring(demo_run)
    good = pl.DataFrame(schema=BURSTS_SCHEMA)
    try:
        good.drop("end").write_parquet(path)
        r = runner.invoke(app, ["explore", str(demo_run), "--ring", ring_id])
        assert r.exit_code == 2 and "bursts.parquet has no column 'end'" in r.output
        assert "Traceback" not in r.output
        good.with_columns(pl.col("n_actors").cast(pl.String)).write_parquet(path)
        with pytest.raises(SchemaError, match=r"bursts.parquet: column 'n_actors' is String"):
            _ = read_run(demo_run).bursts
        path.write_text("not parquet")
        with pytest.raises(SchemaError, match="cannot be read as Parquet"):
            _ = read_run(demo_run).bursts
    finally:
        path.unlink(missing_ok=True)


def test_normalise_bursts_checks_rows() -> None:
    from datetime import datetime, timezone

    t = datetime(2024, 1, 1, tzinfo=timezone.utc)
    base = {"family": ["f"], "group": [1], "key": ["p:1"], "n_actors": [3]}
    with pytest.raises(SchemaError, match="row 0, column 'end' is before 'start'"):
        normalise_bursts(pl.DataFrame({**base, "start": [t], "end": [t - timedelta(hours=1)]}))
    naive = pl.DataFrame({**base, "start": [t.replace(tzinfo=None)], "end": [t]})
    assert normalise_bursts(naive)["start"].dtype == pl.Datetime("us", "UTC")
    with pytest.raises(SchemaError, match="row 0, column 'target' is empty"):
        normalise_bursts(
            pl.DataFrame({**base, "start": [t], "end": [t]}).with_columns(
                key=pl.lit(None, pl.String)
            )
        )


def test_ring_pages_from_the_events_around_the_rings(
    demo_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ring_events.parquet (the events around all the run's rings), a ring's view is
    the one drawn from the input events, and the input events are not read."""
    run = read_run(demo_run)
    graph = build_graph(run.events().collect())
    gen = resolve_run(demo_run)
    detector_bursts(graph).write_parquet(gen / "bursts.parquet")
    members_all = run.rings["members"].explode().unique().sort().to_list()
    around = ring_events(run.events(), members_all)
    try:
        pages = {}
        for ring_id in run.rings["ring_id"].to_list()[:4]:
            pages[ring_id] = explore_ring(demo_run, ring_id, tmp_path)
        around.write_parquet(gen / "ring_events.parquet")
        assert around.height < graph.events.height

        def no_input(self: Any) -> Any:
            raise AssertionError("read the input events")

        monkeypatch.setattr(evidence.RunFolder, "events", no_input)
        for ring_id, want in pages.items():
            assert explore_ring(demo_run, ring_id, tmp_path) == want, ring_id
        (gen / "ring_events.parquet").write_bytes(b"not parquet")
        r = runner.invoke(app, ["explore", str(demo_run), "--ring", ring_id])
        assert r.exit_code == 2 and "ring_events.parquet: cannot be read as Parquet" in r.output
    finally:
        (gen / "ring_events.parquet").unlink(missing_ok=True)
        (gen / "bursts.parquet").unlink(missing_ok=True)
