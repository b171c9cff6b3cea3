"""``ringlens calibrate``: what reviewers' verdicts say about the runs, and what to change."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import polars as pl
import typer
from rich.table import Table

from ringlens.cli.app import CliState, app, out, plain
from ringlens.exceptions import InputError


def _store_target(database: str | None, runs: list[Path], default: str) -> str:
    """The queue database: ``--database``, else ``export.database`` beside the latest run."""
    if database:
        target = database
    elif "://" in default or os.path.isabs(default):
        target = default
    else:
        target = str(runs[-1] / default)
    if "://" not in target and target != ":memory:" and not Path(target).is_file():
        raise InputError(
            f"no queue database at {target} (pass --database: the SQLite file or "
            "postgresql:// URL the runs upserted into)"
        )
    return target


def _history(store: Any, path: Path | None) -> pl.DataFrame:
    """The verdict history: a Parquet file given, else the database's audit table when it
    has one, else an empty frame (each item's status is then its verdict)."""
    from ringlens.calibrate import empty_history
    from ringlens.calibrate.verdicts import check_history

    if path is not None:
        try:
            frame = pl.read_parquet(path)
        except FileNotFoundError:
            raise InputError(f"{path}: history file not found") from None
        except Exception as exc:  # noqa: BLE001 - any reader failure is bad input
            raise InputError(f"cannot read {path}: {' '.join(str(exc).split())[:200]}") from exc
        try:
            return check_history(frame)
        except InputError as exc:
            raise InputError(f"{path}: {exc}") from None
    history = getattr(store, "history", None)
    return check_history(history()) if callable(history) else empty_history()


def _pct(v: Any) -> str:
    return "—" if v is None or v != v else f"{100 * v:.1f} %"


def _summary(st: CliState, rep: Any, files: dict[str, Path], write_policy: Path | None) -> None:
    q = rep.quality
    st.say(
        f"[bold]{len(rep.runs)}[/] runs · [bold]{q.verdicts:,}[/] verdicts "
        f"({'history' if q.history_source == 'history' else 'current status only: no audit table'})"
    )
    t = Table(title="precision by pattern (all runs)")
    for c in ("pattern", "verdicts", "precision", "95 % CI"):
        t.add_column(c, justify="left" if c == "pattern" else "right")
    p = q.precision.filter(pl.col("dimension").is_in(["overall", "pattern"]))
    for r in p.iter_rows(named=True):
        small = " (small sample)" if r["small_sample"] else ""
        t.add_row(
            plain(r["value"]),
            f"{r['n']:,}",
            _pct(r["precision"]),
            f"{_pct(r['lo'])}–{_pct(r['hi'])}{small}",
        )
    out.print(t)
    if rep.holdout is not None:
        t = Table(title=f"held-out run {plain(rep.runs[-1].run_id)}: precision at capacity")
        for c in ("weights", "policy", "queued", "labelled", "precision", "95 % CI"):
            t.add_column(c, justify="left" if c in ("weights", "policy") else "right")
        for r in rep.holdout.filter(pl.col("queue") == "(all)").iter_rows(named=True):
            t.add_row(
                r["weights"],
                r["policy"],
                f"{r['items']:,}",
                f"{r['labelled']:,}",
                _pct(r["precision"]),
                f"{_pct(r['lo'])}–{_pct(r['hi'])}",
            )
        out.print(t)
    w = rep.weights
    if w is None:
        st.say(f"weights: not learnt — {plain(rep.skipped.get('weights', ''))}")
    else:
        st.say(("[green]weights: [/]" if w.better else "weights: ") + plain(w.verdict))
        for line in w.explanations()[:8]:
            st.say(f"  {plain(line)}")
    s = rep.suggestion
    if s is not None:
        changed = s.segments.filter(pl.col("status").is_in(["raise", "lower", "exclude"]))
        st.say(
            f"policy: {changed.height} segment threshold(s) to change at target precision "
            f"{rep.settings['target_precision']:g}"
            + (f" — review {plain(files['policy.diff'])}" if "policy.diff" in files else "")
        )
        for n in s.notes:
            st.say(f"  {plain(n)}")
        if write_policy is not None:
            if s.changed:
                st.say(f"wrote the suggested policy to {plain(s.write(write_policy))}")
            else:
                st.say("the policy would not change: nothing written")
    if rep.misses is not None:
        by = ", ".join(f"{plain(k)} {v}" for k, v in rep.misses.summary().items()) or "none"
        st.say(
            f"misses in {plain(rep.misses.run_id)}: {rep.misses.misses.height} of "
            f"{rep.misses.confirmed} confirmed entities not queued ({by})"
        )
    for a in rep.health.alerts:
        st.say(f"[yellow]alert:[/] {plain(a)}")
    st.say(f"outputs: {', '.join(plain(p) for p in files.values())}")


@app.command()
def calibrate(
    ctx: typer.Context,
    runs: Annotated[
        list[Path], typer.Argument(help="Run folders written by `ringlens score`, oldest first.")
    ],
    out_dir: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for the calibration report.")
    ],
    database: Annotated[
        str | None,
        typer.Option(
            help="Queue database the runs upserted into (default: export.database beside the latest run).",
            envvar="RINGLENS_DATABASE_URL",
        ),
    ] = None,
    labels: Annotated[
        Path | None,
        typer.Option(help="Entities confirmed or cleared by other means (recall, misses)."),
    ] = None,
    history: Annotated[
        Path | None,
        typer.Option(help="Verdict history as Parquet (default: the database's audit table)."),
    ] = None,
    policy: Annotated[
        Path | None, typer.Option(help="Policy to calibrate (default: the latest run's).")
    ] = None,
    target_precision: Annotated[
        float | None,
        typer.Option(
            help="Precision a suggested threshold must reach (calibrate.target_precision)."
        ),
    ] = None,
    write_policy: Annotated[
        Path | None,
        typer.Option(
            "--write-policy",
            help="Write the suggested policy to this file (the diff is always in OUT/policy.diff).",
        ),
    ] = None,
    relax: Annotated[
        bool,
        typer.Option(
            "--relax", help="Score the latest run's events again to find what stopped each miss."
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Measure precision and recall from reviewers' verdicts, learn reason weights, suggest thresholds.

    Writes OUT/calibration.json, precision.csv, health.html, policy.diff (review it; apply it
    with --write-policy), misses.csv (with --labels) and weights.toml — only when the learned
    weights did better on the held-out latest run.

    Example: [bold]ringlens calibrate runs/mon runs/tue runs/wed --database queue.sqlite --out calib[/]
    """

    st: CliState = ctx.obj

    def run() -> None:
        from ringlens.calibrate import calibrate as calibrate_runs
        from ringlens.export import open_queue_store
        from ringlens.io import load_labels
        from ringlens.risk import load_policy

        cfg = st.settings({"calibrate.target_precision": target_precision})
        if not runs:
            raise InputError("no run folders given (expected at least one)")
        for r in runs:
            if not r.is_dir():
                raise InputError(f"run folder {r} does not exist (expected a folder with run.json)")
        target = _store_target(database, runs, cfg.export.database)
        pol = load_policy(policy) if policy is not None else None
        lab = load_labels(labels) if labels is not None else None
        with st.step("read the queue"), open_queue_store(target) as store:
            items = store.read()
            queue_runs = store.runs()
            hist = _history(store, history)
        with st.step("calibrate"):
            rep = calibrate_runs(
                runs,
                items=items,
                history=hist,
                queue_runs=queue_runs,
                labels=lab,
                policy=pol,
                config=cfg,
                relax=relax,
            )
            files = rep.write(out_dir)
        if as_json:
            d = rep.as_dict()
            d["files"] = {k: str(v) for k, v in files.items()}
            sys.stdout.write(json.dumps(d, indent=2, sort_keys=True, default=str) + "\n")
            if write_policy is not None and rep.suggestion is not None and rep.suggestion.changed:
                rep.suggestion.write(write_policy)
            return
        _summary(st, rep, files, write_policy)

    st.guarded(run)
