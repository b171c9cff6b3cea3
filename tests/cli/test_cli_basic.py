"""CLI: synth and graph-stats, exit codes for bad input."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from ringlens.cli import app

runner = CliRunner()


def test_graph_stats_on_demo(demo_dir) -> None:
    r = runner.invoke(app, ["graph-stats", str(demo_dir)])
    assert r.exit_code == 0, r.output
    assert "195,339 events" in r.output
    assert "buyer" in r.output and "top 10 nodes by degree" in r.output


def test_graph_stats_json(demo_dir) -> None:
    r = runner.invoke(
        app, ["-q", "graph-stats", str(demo_dir / "events.parquet"), "--json", "--top", "2"]
    )
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["events"] == 195_339 and len(data["top_degree"]) == 2


def test_synth_writes_files(tmp_path) -> None:
    r = runner.invoke(
        app, ["synth", str(tmp_path), "--events", "5000", "--rings-per-pattern", "1", "--seed", "3"]
    )
    assert r.exit_code == 0, r.output
    assert (tmp_path / "events.parquet").is_file() and (tmp_path / "truth.parquet").is_file()


def test_bad_input_exits_2_with_one_line(tmp_path) -> None:
    p = tmp_path / "e.csv"
    p.write_text("actor_id,actor_type\n1,buyer\n")
    r = runner.invoke(app, ["graph-stats", str(p)])
    assert r.exit_code == 2
    assert "missing required column 'target_id'" in r.output
    assert "Traceback" not in r.output
    r = runner.invoke(app, ["graph-stats", str(tmp_path / "nope.parquet")])
    assert r.exit_code == 2 and "no such file or folder" in r.output


def test_bad_synth_option_exits_2(tmp_path) -> None:
    r = runner.invoke(app, ["synth", str(tmp_path), "--camouflage-kind", "clever"])
    assert r.exit_code == 2 and "camouflage_kind must be" in r.output


def test_bad_config_file_exits_2(tmp_path, demo_dir) -> None:
    cfg = tmp_path / "ringlens.toml"
    cfg.write_text("[graph]\nmax_target_degre = 5\n")
    r = runner.invoke(app, ["--config", str(cfg), "graph-stats", str(demo_dir)])
    assert r.exit_code == 2 and "unknown key graph.max_target_degre" in r.output


def test_misspelt_detector_fails_before_reading_the_events(tmp_path, monkeypatch) -> None:
    """A typo in detect.disable is found at startup, not after an hour of ingest and graph
    building: the events here are broken, yet the message is about the setting."""
    p = tmp_path / "e.csv"
    p.write_text("actor_id,actor_type\n1,buyer\n")
    monkeypatch.setenv("RINGLENS_DETECT__DISABLE", "comunities")
    r = runner.invoke(app, ["score", str(p), "--out", str(tmp_path / "out")])
    assert r.exit_code == 2
    assert "detect.disable: unknown detector 'comunities'" in r.output
    assert "target_id" not in r.output and "Traceback" not in r.output
    assert not (tmp_path / "out").exists()


def test_command_keeps_freed_memory_a_little_unless_told_otherwise() -> None:
    """The ``ringlens`` command sets Polars' allocator to keep freed pages for 2 s (fewer
    page faults from stage to stage) before Polars loads; an operator's own
    ``_RJEM_MALLOC_CONF`` is left alone. Checked in a fresh interpreter, with a CLI that
    reports the variable it was started with."""
    import os
    import subprocess
    import sys

    from ringlens.launch import JEMALLOC_CONF

    code = (
        "import os, sys, types;"
        "sys.modules['ringlens.cli'] = types.SimpleNamespace(main=lambda: print("
        "'CONF=' + os.environ.get('_RJEM_MALLOC_CONF', ''), 'polars' in sys.modules));"
        "from ringlens.launch import main; main()"
    )
    env = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    # set, and Polars not loaded yet (it reads the variable once, when it loads)
    assert out.stdout == f"CONF={JEMALLOC_CONF} False\n", out.stdout + out.stderr
    env["_RJEM_MALLOC_CONF"] = "dirty_decay_ms:0"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout == "CONF=dirty_decay_ms:0 False\n", out.stdout + out.stderr
