"""Run diff: ring identity by member overlap, queue changes, clear errors."""

from __future__ import annotations

import time
from pathlib import Path

import polars as pl
import pytest

from ringlens.exceptions import InputError, SchemaError
from ringlens.export import RING_CHANGES, diff_runs, write_run


def rings(rows: list[tuple[str, str, float, list[str]]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={
            "ring_id": pl.String,
            "pattern": pl.String,
            "risk_score": pl.Float64,
            "members": pl.List(pl.String),
        },
        orient="row",
    ).with_columns(size=pl.col("members").list.len())


def queue(rows: list[tuple[str, str, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows, schema=["queue_item_id", "action", "risk_score"], orient="row"
    ).with_columns(entity_type=pl.lit("creator"), entity_id=pl.col("queue_item_id"))


def m(prefix: str, n: int, start: int = 0) -> list[str]:
    return [f"{prefix}:{i}" for i in range(start, start + n)]


@pytest.fixture
def two_runs(tmp_path: Path) -> tuple[Path, Path]:
    a = rings(
        [
            ("a_same", "brushing", 70.0, m("c", 4)),
            ("a_grow", "mutual_boost", 60.0, m("g", 4)),
            ("a_shrink", "mutual_boost", 60.0, m("s", 6)),
            ("a_churn", "other", 40.0, m("h", 10)),
            ("a_m1", "brushing", 50.0, m("m", 4)),
            ("a_m2", "brushing", 55.0, m("m", 4, 10)),
            ("a_split", "sock_puppet_farm", 80.0, m("p", 8)),
            ("a_gone", "affiliate_fraud", 90.0, m("x", 5)),
        ]
    )
    b = rings(
        [
            ("b_same", "brushing", 71.0, m("c", 4)),
            ("b_grow", "mutual_boost", 75.0, m("g", 6)),
            ("b_shrink", "mutual_boost", 50.0, m("s", 4)),
            ("b_churn", "other", 40.0, m("h", 9) + ["h:99"]),
            ("b_merged", "brushing", 85.0, m("m", 4) + m("m", 4, 10)),
            ("b_s1", "sock_puppet_farm", 80.0, m("p", 4)),
            ("b_s2", "sock_puppet_farm", 80.0, m("p", 4, 4)),
            ("b_new", "affiliate_fraud", 65.0, m("n", 3)),
            ("b_weak", "other", 30.0, ["x:0", "q:1", "q:2", "q:3"]),  # J = 1/8
        ]
    )
    qa = queue(
        [
            ("q1", "suspend", 90.0),
            ("q2", "manual_review", 60.0),
            ("q3", "monitor", 20.0),
            ("q4", "monitor", 30.0),
        ]
    )
    qb = queue(
        [
            ("q1", "suspend", 90.0),
            ("q2", "suspend", 61.0),
            ("q3", "monitor", 25.0),
            ("q5", "monitor", 10.0),
        ]
    )
    write_run(tmp_path / "a", {"rings.parquet": a, "queue.parquet": qa})
    write_run(tmp_path / "b", {"rings.parquet": b, "queue.parquet": qb})
    return tmp_path / "a", tmp_path / "b"


def test_ring_classes(two_runs: tuple[Path, Path]) -> None:
    d = diff_runs(*two_runs)
    got = {
        (r["ring_id"] or r["previous_ring_ids"][0]): (r["change"], r["previous_ring_ids"])
        for r in d.to_frame().iter_rows(named=True)
    }
    assert got == {
        "b_same": ("unchanged", ["a_same"]),
        "b_grow": ("grown", ["a_grow"]),
        "b_shrink": ("shrunk", ["a_shrink"]),
        "b_churn": ("changed", ["a_churn"]),
        "b_merged": ("merged", ["a_m1", "a_m2"]),
        "b_s1": ("split", ["a_split"]),
        "b_s2": ("split", ["a_split"]),
        "b_new": ("new", []),
        "b_weak": ("new", []),
        "a_gone": ("gone", ["a_gone"]),
    }
    row = d.rings.filter(pl.col("ring_id") == "b_grow").row(0, named=True)
    assert (row["members_added"], row["members_removed"]) == (2, 0)
    assert row["jaccard"] == pytest.approx(4 / 6) and row["risk_delta"] == pytest.approx(15.0)
    merged = d.rings.filter(pl.col("change") == "merged").row(0, named=True)
    assert merged["previous_n_members"] == 8 and merged["previous_risk_score"] == 55.0
    s = d.summary()
    assert set(s["rings"]) == set(RING_CHANGES)
    assert s["rings"] == {
        "new": 2,
        "gone": 1,
        "grown": 1,
        "shrunk": 1,
        "changed": 1,
        "unchanged": 1,
        "merged": 1,
        "split": 2,
    }


def test_queue_changes(two_runs: tuple[Path, Path]) -> None:
    d = diff_runs(*two_runs)
    q = d.to_frame("queue")
    assert dict(zip(q["queue_item_id"], q["change"], strict=True)) == {
        "q5": "added",
        "q4": "removed",
        "q2": "action_changed",
        "q3": "risk_changed",
    }
    assert d.summary()["queue"] == {
        "added": 1,
        "removed": 1,
        "action_changed": 1,
        "risk_changed": 1,
        "unchanged": 1,
    }
    assert diff_runs(*two_runs, risk_tolerance=10).summary()["queue"]["risk_changed"] == 0


def test_same_run_is_all_unchanged(two_runs: tuple[Path, Path]) -> None:
    a, _ = two_runs
    s = diff_runs(a, a).summary()
    assert s["rings"]["unchanged"] == 8 and sum(s["rings"].values()) == 8
    assert s["queue"]["unchanged"] == 4


def test_empty_runs(tmp_path: Path) -> None:
    empty = rings([])
    q = queue([])
    write_run(tmp_path / "a", {"rings.parquet": empty, "queue.parquet": q})
    write_run(
        tmp_path / "b", {"rings.parquet": rings([("r", "other", 1.0, ["c:1"])]), "queue.parquet": q}
    )
    assert diff_runs(tmp_path / "a", tmp_path / "b").summary()["rings"]["new"] == 1
    assert diff_runs(tmp_path / "b", tmp_path / "a").summary()["rings"]["gone"] == 1


def test_plain_folders_work_too(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        rings([("r", "other", 1.0, ["c:1"])]).write_parquet(tmp_path / name / "rings.parquet")
        queue([]).write_parquet(tmp_path / name / "queue.parquet")
    assert diff_runs(tmp_path / "a", tmp_path / "b").summary()["rings"]["unchanged"] == 1


def test_errors_name_path_and_file(tmp_path: Path, two_runs: tuple[Path, Path]) -> None:
    a, _ = two_runs
    with pytest.raises(InputError, match=f"run folder {tmp_path / 'nope'} does not exist"):
        diff_runs(tmp_path / "nope", a)
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "rings.parquet").write_bytes(b"not parquet")
    with pytest.raises(InputError, match=f"cannot read {tmp_path / 'half' / 'rings.parquet'}"):
        diff_runs(a, tmp_path / "half")
    rings([]).write_parquet(tmp_path / "half" / "rings.parquet")
    with pytest.raises(InputError, match=f"run folder {tmp_path / 'half'} has no queue.parquet"):
        diff_runs(a, tmp_path / "half")
    (tmp_path / "bad").mkdir()
    rings([]).drop("members").write_parquet(tmp_path / "bad" / "rings.parquet")
    with pytest.raises(SchemaError, match="rings.parquet lacks column 'members'"):
        diff_runs(tmp_path / "bad", a)


def test_vectorised_scale(tmp_path: Path) -> None:
    """20k rings per run: explode + join, not rings × rings."""
    n = 20_000
    a = pl.DataFrame({"ring_id": [f"a{i}" for i in range(n)]}).with_columns(
        pattern=pl.lit("other"),
        risk_score=pl.lit(50.0),
        members=pl.concat_list(
            [pl.format("c:{}", pl.int_range(pl.len()) * 5 + j) for j in range(5)]
        ),
    )
    b = a.with_columns(ring_id=pl.col("ring_id").str.replace("a", "b"))
    q = queue([])
    write_run(tmp_path / "a", {"rings.parquet": a, "queue.parquet": q})
    write_run(tmp_path / "b", {"rings.parquet": b, "queue.parquet": q})
    t0 = time.perf_counter()
    s = diff_runs(tmp_path / "a", tmp_path / "b").summary()
    assert s["rings"]["unchanged"] == n
    assert time.perf_counter() - t0 < 10


def test_ids_behind_every_count(two_runs: tuple[Path, Path]) -> None:
    d = diff_runs(*two_runs)
    out = d.to_dict()
    assert out["ring_ids"]["gone"] == ["a_gone"]
    assert out["ring_ids"]["new"] == ["b_new", "b_weak"]
    assert out["ring_ids"]["split"] == ["b_s1", "b_s2"]
    assert out["queue_item_ids"] == {
        "added": ["q5"],
        "removed": ["q4"],
        "action_changed": ["q2"],
        "risk_changed": ["q3"],
    }
    for change, n in out["rings"].items():
        assert len(out["ring_ids"][change]) == n
    merged = next(r for r in out["ring_changes"] if r["change"] == "merged")
    assert merged["previous_ring_ids"] == ["a_m1", "a_m2"]
    report = d.report_changes()
    assert report["gone"] == ["a_gone"] and report["queue"]["removed"] == 1


def test_diff_json_cli_prints_the_ids(two_runs: tuple[Path, Path]) -> None:
    import json

    from typer.testing import CliRunner

    from ringlens.cli import app

    r = CliRunner().invoke(app, ["diff", str(two_runs[0]), str(two_runs[1]), "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["rings"]["gone"] == 1 and data["ring_ids"]["gone"] == ["a_gone"]
    assert data["queue_item_ids"]["added"] == ["q5"]
