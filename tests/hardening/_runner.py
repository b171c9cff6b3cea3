"""Run the bad-input cases of ``tests/data/bad/cases.toml`` through the ``ringlens`` CLI.

Shared by ``test_bad_inputs.py`` and ``tests/data/make_bad.py --doc`` (which writes the
observed exit code and message of every case into ``docs/reliability.md``).
"""

from __future__ import annotations

import os
import re
import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BAD = ROOT / "tests" / "data" / "bad"
OK_EVENTS = BAD / "_ok" / "events.csv"
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|^\s+File \"", re.M)


@dataclass
class Outcome:
    exit_code: int
    stdout: str
    stderr: str
    exception: BaseException | None

    @property
    def error_lines(self) -> list[str]:
        return [ln for ln in self.stderr.splitlines() if ln.strip()]


def load_cases(path: Path = BAD / "cases.toml") -> list[dict[str, Any]]:
    with path.open("rb") as fh:
        return tomllib.load(fh)["case"]


def expand(case: dict[str, Any], *, case_dir: Path, out: Path, run: Path | None) -> list[str]:
    subs = {"{d}": str(case_dir), "{out}": str(out), "{ok}": str(OK_EVENTS), "{run}": str(run)}
    args = []
    for a in case["cmd"]:
        for k, v in subs.items():
            a = a.replace(k, v)
        args.append(a)
    return args


def run_cli(args: list[str], *, env: dict[str, str] | None = None) -> Outcome:
    """Invoke the CLI in-process (typer's CliRunner), stdout and stderr kept apart."""
    from typer.testing import CliRunner

    from ringlens.cli import app

    runner = CliRunner()
    # no ./ringlens.toml and no RINGLENS_* settings from the caller's environment
    clean = {k: None for k in os.environ if k.startswith("RINGLENS_") and "__" in k}
    env_arg: dict[str, str | None] = {**clean, **(env or {})}
    r = runner.invoke(app, args, env=env_arg, catch_exceptions=True)
    exc = r.exception if r.exception and not isinstance(r.exception, SystemExit) else None
    return Outcome(r.exit_code, r.stdout, r.stderr, exc)


def run_case(case: dict[str, Any], tmp: Path, run: Path | None) -> tuple[Outcome, Path]:
    """Run one case; returns the outcome and the output folder it used."""
    case_dir = BAD / case["name"]
    if case.get("copy"):
        # the case writes next to its inputs: work on a copy
        dst = tmp / "case"
        shutil.copytree(case_dir, dst)
        case_dir = dst
    out = tmp / "out"
    args = expand(case, case_dir=case_dir, out=out, run=run)
    return run_cli(args, env=dict(case.get("env", {}))), out


def make_run(tmp: Path) -> Path:
    """A finished run folder on the shared valid events (for explore/diff/eval cases)."""
    out = tmp / "run"
    o = run_cli(["-q", "score", str(OK_EVENTS), "--out", str(out), "--no-views"])
    assert o.exit_code == 0, o.stderr
    return out


def one_line(o: Outcome) -> str:
    """The ``error: ...`` line (else the first line) of stderr."""
    lines = o.error_lines
    errors = [ln for ln in lines if ln.startswith("error: ")]
    return (errors or lines or [""])[0]


def write_doc_table(doc: Path, bad: Path, begin: str, end: str) -> None:
    """Run every case and write the observed outcomes between the markers in ``doc``."""
    import tempfile

    cases = load_cases(bad / "cases.toml")
    rows = [
        "| case | group | input | expected | observed exit | message (stderr, one line) |",
        "|---|---|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory() as t:
        run = make_run(Path(t))
        for c in cases:
            with tempfile.TemporaryDirectory() as ct:
                o, _ = run_case(c, Path(ct), run)
            msg = one_line(o) if o.exit_code else "(ok)"
            msg = msg.replace(str(bad) + "/", "").replace(ct, "TMP").replace(t, "TMP")
            msg = msg.replace("|", "\\|").replace("`", "'")
            if len(msg) > 160:
                msg = msg[:157] + "…"
            exp = f"exit {c['exit']}" + (" (xfail)" if c.get("xfail") else "")
            what = c["what"].replace("|", "\\|")
            rows.append(
                f"| `{c['name']}` | {c['group']} | {what} | {exp} | {o.exit_code} | `{msg}` |"
            )
    text = doc.read_text("utf-8") if doc.exists() else f"{begin}\n{end}\n"
    head, _, rest = text.partition(begin)
    _, _, tail = rest.partition(end)
    doc.write_text(head + begin + "\n" + "\n".join(rows) + "\n" + end + tail, "utf-8")
