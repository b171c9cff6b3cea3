"""Run folders: all-or-nothing publication, foreign files untouched, recovery."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import polars as pl
import pytest

from ringlens.exceptions import ConfigError, ExportError
from ringlens.export import RunWriter, resolve_run, write_run

from .conftest import make_queue


def run_files(run_id: str, *, with_csv: bool = True) -> dict[str, object]:
    q = make_queue(10, run_id=run_id)
    files: dict[str, object] = {
        "rings.parquet": pl.DataFrame({"ring_id": ["ring_1"], "run_id": [run_id]}),
        "entities.parquet": pl.DataFrame({"key": ["creator:1"], "run_id": [run_id]}),
        "queue.parquet": q,
        "run.json": {"run_id": run_id},
        "viz/index.html": f"<html>{run_id}</html>",
        f"viz/ring_{run_id}.html": "<html></html>",
    }
    if with_csv:
        files["queue.csv"] = q
    return files


def visible(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if not p.name.startswith(".") and p.exists())


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_write_run_and_replace(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_run(out, run_files("r1"), run_id="r1")
    assert visible(out) == [
        "entities.parquet",
        "queue.csv",
        "queue.parquet",
        "rings.parquet",
        "run.json",
        "viz",
    ]
    assert json.loads((out / "run.json").read_text()) == {"run_id": "r1"}
    assert (out / "viz" / "index.html").read_text() == "<html>r1</html>"
    gen1 = resolve_run(out)
    write_run(out, run_files("r2", with_csv=False), run_id="r2")
    # queue.csv belonged to r1 only: gone now; viz only has r2's files
    assert "queue.csv" not in visible(out)
    assert sorted(os.listdir(out / "viz")) == ["index.html", "ring_r2.html"]
    assert pl.read_parquet(out / "queue.parquet")["run_id"].unique().to_list() == ["r2"]
    # the previous generation is kept for one more run
    assert gen1.is_dir() and (out / ".ringlens" / "previous").resolve() == gen1.resolve()
    write_run(out, run_files("r3"), run_id="r3")
    assert not gen1.exists()
    gens = [p for p in (out / ".ringlens").iterdir() if p.name.startswith("gen-")]
    assert len(gens) == 2
    assert "queue.csv" in visible(out)


def test_foreign_files_untouched(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "queue.sqlite").write_bytes(b"SQLite format 3\x00" + b"x" * 100)
    (out / "reviewer notes.txt").write_text("do not touch")
    (out / "mine").mkdir()
    (out / "mine" / "a.txt").write_text("a")
    before = {
        p: (digest(p), p.stat().st_ino, p.stat().st_mtime_ns) for p in out.rglob("*") if p.is_file()
    }
    for i in range(3):
        write_run(out, run_files(f"r{i}"), run_id=f"r{i}")
    after = {p: (digest(p), p.stat().st_ino, p.stat().st_mtime_ns) for p in before}
    assert before == after


def test_exception_discards_stage(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_run(out, run_files("r1"))
    with pytest.raises(RuntimeError, match="boom"), RunWriter(out) as stage:
        stage.write("queue.parquet", make_queue(3, run_id="r2"))
        (stage.path / "viz").mkdir()
        raise RuntimeError("boom")
    assert pl.read_parquet(out / "queue.parquet")["run_id"][0] == "r1"
    assert not [p for p in (out / ".ringlens").iterdir() if p.name.startswith("staging-")]


def test_hook_for_other_stages(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with RunWriter(out, run_id="r1") as stage:
        viz = stage.path / "viz"
        viz.mkdir()
        (viz / "index.html").write_text("<html>report</html>")
        assert not (out / "viz").exists()  # nothing visible before commit
        stage.write("run.json", {"run_id": "r1"})
    assert stage.committed is not None and stage.committed.name.startswith("gen-")
    assert (out / "viz" / "index.html").read_text() == "<html>report</html>"
    # links inside the run are relative to the run folder
    assert (out / "viz" / ".." / "run.json").resolve() == (stage.committed / "run.json").resolve()


def test_one_writer_at_a_time(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with RunWriter(out):
        with pytest.raises(ExportError, match=f"another process is writing a run into {out}"):
            RunWriter(out).open()


def test_bad_names(tmp_path: Path) -> None:
    for name in ("../x.json", "/etc/x.json", ".ringlens/x.json", ".hidden", "viz/../../x"):
        with pytest.raises(ConfigError, match="run output name"):
            write_run(tmp_path / "o", {name: {"a": 1}})
    with pytest.raises(ConfigError, match="how to write a frame to 'q.xlsx'"):
        write_run(tmp_path / "o", {"q.xlsx": make_queue(1)})


def test_unwritable_run_folder(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ExportError, match=str(blocker / "out")):
        write_run(blocker / "out", {"run.json": {}})


def test_recovery_cleans_leftovers(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_run(out, run_files("r1"))
    state = out / ".ringlens"
    # what a killed writer can leave behind
    (state / "staging-x").mkdir()
    (state / "staging-x" / "queue.parquet").write_bytes(b"half")
    (state / "gen-orphan").mkdir()
    os.symlink(".ringlens/current/new.json", out / "new.json")  # step-2 link, dangling
    os.symlink("gen-orphan", state / ".current.0123456789ab.lnk")
    write_run(out, run_files("r2"))
    names = sorted(p.name for p in state.iterdir())
    assert "staging-x" not in names and "gen-orphan" not in names
    assert not any(n.endswith(".lnk") for n in names)
    assert not (out / "new.json").is_symlink()


def test_legacy_folder_migrated(tmp_path: Path) -> None:
    """A folder with real output files (older, non-atomic writer) is taken over."""
    out = tmp_path / "out"
    (out / "viz").mkdir(parents=True)
    (out / "viz" / "index.html").write_text("old")
    (out / "queue.parquet").write_bytes(b"old parquet")
    (out / "queue.sqlite").write_text("db")
    write_run(out, run_files("r1"))
    assert (out / "viz").is_symlink() and (out / "queue.parquet").is_symlink()
    assert (out / "viz" / "index.html").read_text() == "<html>r1</html>"
    assert (out / "queue.sqlite").read_text() == "db"
    # the legacy content was kept as the previous generation
    prev = out / ".ringlens" / "previous"
    assert (prev / "viz" / "index.html").read_text() == "old"
