"""``ringlens calibrate`` end to end, and its answers to bad input (one line, exit 2)."""

from __future__ import annotations

import json
import tomllib

import polars as pl
import pytest
from typer.testing import CliRunner

from ringlens.cli import app
from ringlens.risk import load_policy


def invoke(*args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(app, list(args))
    return res.exit_code, res.stdout, res.stderr


@pytest.fixture(scope="module")
def history_file(loop, tmp_path_factory) -> str:
    p = tmp_path_factory.mktemp("hist") / "history.parquet"
    loop.history.write_parquet(p)
    return str(p)


@pytest.fixture(scope="module")
def labels_file(loop, tmp_path_factory) -> str:
    p = tmp_path_factory.mktemp("labels") / "labels.parquet"
    loop.labels.write_parquet(p)
    return str(p)


def test_calibrate_writes_the_report(loop, history_file, labels_file, tmp_path) -> None:
    out = tmp_path / "calib"
    code, stdout, stderr = invoke(
        "calibrate",
        *map(str, loop.run_dirs),
        "--database", str(loop.db),
        "--history", history_file,
        "--labels", labels_file,
        "--out", str(out),
        "--target-precision", "0.8",
    )  # fmt: skip
    assert code == 0, stderr
    assert "verdicts (history)" in stdout and "held-out run" in stdout
    for name in ("calibration.json", "precision.csv", "health.html", "misses.csv"):
        assert (out / name).is_file(), name
    rep = json.loads((out / "calibration.json").read_text())
    assert [r["run_dir"] for r in rep["runs"]] == [str(d) for d in loop.run_dirs]
    assert rep["settings"]["target_precision"] == 0.8
    assert rep["quality"]["history_source"] == "history"
    # weights.toml only when the learned weights did better; the report says which
    assert (out / "weights.toml").is_file() == rep["weights"]["better"]
    assert "<script>" not in (out / "health.html").read_text().split("<script>", 1)[0]


def test_calibrate_is_deterministic(loop, history_file, tmp_path) -> None:
    outs = []
    for name in ("a", "b"):
        code, _, err = invoke(
            "calibrate", *map(str, loop.run_dirs), "--database", str(loop.db),
            "--history", history_file, "--out", str(tmp_path / name), "--quiet",
        )  # fmt: skip
        assert code == 0, err
        outs.append(tmp_path / name)
    for f in ("calibration.json", "precision.csv", "health.html"):
        assert (outs[0] / f).read_bytes() == (outs[1] / f).read_bytes(), f


def test_write_policy_only_on_request(bad_loop, tmp_path) -> None:
    hist = tmp_path / "h.parquet"
    bad_loop.history.write_parquet(hist)
    base = [
        "calibrate", *map(str, bad_loop.run_dirs), "--database", str(bad_loop.db),
        "--history", str(hist), "--target-precision", "0.9",
    ]  # fmt: skip
    before = bad_loop.policy.read_text()
    code, stdout, err = invoke(*base, "--out", str(tmp_path / "c1"))
    assert code == 0, err
    assert (tmp_path / "c1" / "policy.diff").is_file()
    assert bad_loop.policy.read_text() == before  # never applied silently
    target = tmp_path / "new_policy.toml"
    code, stdout, err = invoke(*base, "--out", str(tmp_path / "c2"), "--write-policy", str(target))
    assert code == 0, err
    assert "wrote the suggested policy" in stdout
    pol = load_policy(target)
    assert len(pol.rules) > len(load_policy(bad_loop.policy).rules)
    # with mis-set weights the learned ones do better and are written, with reasons
    w = tomllib.loads((tmp_path / "c2" / "weights.toml").read_text())["score"]["weights"]
    assert w["new_account"] < 50


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["/no/such/run"], "run folder /no/such/run does not exist"),
        (["RUN", "--database", "/no/such.sqlite"], "no queue database at /no/such.sqlite"),
        (["RUN", "--history", "BADHIST"], "history has no column"),
        (["RUN", "--history", "/no/hist.parquet"], "/no/hist.parquet: history file not found"),
        (
            ["RUN", "--target-precision", "2"],
            "calibrate.target_precision: expected a number from 0.01 to 1",
        ),
        (["RUN", "--policy", "/no/policy.toml"], "/no/policy.toml: policy file not found"),
        (["RUN", "--labels", "BADLABELS"], "is not a label"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(loop, tmp_path, args, message) -> None:
    bad_hist = tmp_path / "bad.parquet"
    pl.DataFrame({"audit_id": [1]}).write_parquet(bad_hist)
    bad_labels = tmp_path / "labels.csv"
    bad_labels.write_text("entity_type,entity_id,label\nbuyer,1,maybe\n")
    args = [
        {"RUN": str(loop.run_dirs[-1]), "BADHIST": str(bad_hist), "BADLABELS": str(bad_labels)}.get(
            a, a
        )
        for a in args
    ]
    if "--database" not in args:
        args += ["--database", str(loop.db)]
    code, stdout, stderr = invoke("calibrate", *args, "--out", str(tmp_path / "o"))
    assert code == 2, (stdout, stderr)
    lines = [x for x in stderr.strip().splitlines() if not x.startswith("✓")]  # progress
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], stderr
    assert "Traceback" not in stderr


def test_one_run_still_measures(loop, history_file, tmp_path) -> None:
    code, stdout, err = invoke(
        "calibrate", str(loop.run_dirs[-1]), "--database", str(loop.db),
        "--history", history_file, "--out", str(tmp_path / "one"), "--json",
    )  # fmt: skip
    assert code == 0, err
    rep = json.loads(stdout)
    assert rep["weights"] is None and "at least 2 runs" in rep["skipped"]["weights"]
    assert rep["quality"]["verdicts"] > 0


def test_the_databases_audit_table_is_the_default_history(loop, tmp_path) -> None:
    # the simulated reviewers recorded their verdicts through QueueStore.set_status, whose
    # audit rows hold each reviewer's name: no --history needed
    code, stdout, err = invoke(
        "calibrate", *map(str, loop.run_dirs), "--database", str(loop.db),
        "--out", str(tmp_path / "audit"), "--json",
    )  # fmt: skip
    assert code == 0, err
    rep = json.loads(stdout)
    assert rep["quality"]["history_source"] == "history"
    # (agreement is not asserted: the audit table logs a second, agreeing verdict as no
    # status change, see ringlens.calibrate.quality.reviewer_agreement)
    assert rep["quality"]["verdicts"] == json.loads(
        invoke(
            "calibrate", *map(str, loop.run_dirs), "--database", str(loop.db),
            "--history", str(_hist(loop, tmp_path)), "--out", str(tmp_path / "h"), "--json",
        )[1]
    )["quality"]["verdicts"]  # fmt: skip


def _hist(loop, tmp_path):
    p = tmp_path / "hist.parquet"
    loop.history.write_parquet(p)
    return p
