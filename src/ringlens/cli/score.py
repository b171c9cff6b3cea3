"""``ringlens score``: the nightly job (find rings, score, write the queue)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ringlens.cli.app import (
    CliState,
    DecimalCommaOpt,
    SeparatorOpt,
    TimestampFormatOpt,
    TimezoneOpt,
    app,
    input_overrides,
    out,
    plain,
)
from ringlens.exceptions import InputError
from ringlens.pipeline import RunResult
from ringlens.pipeline import run as run_pipeline
from ringlens.pipeline.inputs import resolve_run_inputs, use_streaming


@app.command()
def score(
    ctx: typer.Context,
    events: Annotated[
        Path,
        typer.Argument(
            help="Events: a file, a folder of files, or a folder made by `ringlens synth`."
        ),
    ],
    out_dir: Annotated[
        Path,
        typer.Option("--out", "-o", help="Run folder to write (re-runs keep reviewers' work)."),
    ],
    entities: Annotated[
        Path | None, typer.Option(help="Entities table (default: entities.* beside the events).")
    ] = None,
    labels: Annotated[
        Path | None,
        typer.Option(
            help="Labels table: confirmed / cleared (default: labels.* beside the events)."
        ),
    ] = None,
    policy: Annotated[
        Path | None, typer.Option(help="Policy TOML (default: the policy shipped with ringlens).")
    ] = None,
    database: Annotated[
        str | None,
        typer.Option(
            help="Queue database: a SQLite path or postgresql:// URL (default: OUT/queue.sqlite).",
            envvar="RINGLENS_DATABASE_URL",
        ),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed (default from config: 0).")] = None,
    vocabulary: Annotated[
        Path | None,
        typer.Option(
            help="Vocabulary file: your action and entity-type names mapped to roles "
            "(a [vocabulary] table; see docs/concepts.md).",
        ),
    ] = None,
    strict: Annotated[
        bool | None,
        typer.Option(
            "--strict/--no-strict",
            help="Stop (exit 2) when an action name is not in the vocabulary or no detector "
            "reads it, and exit 2 after the run when its inputs drifted from the previous "
            "runs in OUT (vocabulary.strict).",
        ),
    ] = None,
    previous: Annotated[
        list[Path] | None,
        typer.Option(
            "--previous",
            help="Earlier run folder to compare the inputs with (repeatable; default: the "
            "run published in OUT). Yesterday's folder for a job that writes one per night.",
        ),
    ] = None,
    views: Annotated[
        bool, typer.Option("--views/--no-views", help="Write the HTML ring views and run report.")
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the run report as JSON.")] = False,
    engine: Annotated[
        str, typer.Option(help="local (this machine) or spark (PySpark; see docs/scaling.md).")
    ] = "local",
    master: Annotated[
        str, typer.Option(help="Spark master URL, with --engine spark.")
    ] = "local[2]",
    separator: SeparatorOpt = None,
    decimal_comma: DecimalCommaOpt = None,
    timestamp_format: TimestampFormatOpt = None,
    timezone: TimezoneOpt = None,
    memory_limit_gb: Annotated[
        float | None,
        typer.Option(
            "--memory-limit-gb",
            help="Memory ceiling (GB): stream large inputs, stop cleanly above it.",
        ),
    ] = None,
) -> None:
    """Score events: find rings, score entities, and write the enforcement queue.

    Writes OUT/rings.parquet, entities.parquet, queue.parquet (+ queue.csv, queue.jsonl),
    run.json, viz/index.html and the queue database OUT/queue.sqlite.

    Example: [bold]ringlens score graphs/demo --out out/demo[/]
    """

    st: CliState = ctx.obj

    def run() -> None:
        cfg = st.settings(
            {
                "detect.seed": seed,
                "viz.enabled": None if views else False,
                "run.memory_limit_gb": memory_limit_gb,
                "vocabulary.strict": strict,
                **input_overrides(separator, decimal_comma, timestamp_format, timezone),
            },
            vocabulary=vocabulary,
        )
        common: dict[str, Any] = dict(
            out_dir=out_dir,
            entities=entities,
            labels=labels,
            config=cfg,
            policy=policy,
            database=database,
            progress=st.step,
        )
        res = _execute(st, events, cfg, engine=engine, master=master, previous=previous, **common)
        if as_json:
            sys.stdout.write(json.dumps(res.report, indent=2, default=str, sort_keys=True) + "\n")
        elif not st.quiet:
            _summary(st, res, out_dir)
        _check_drift(st, res.report, strict=cfg.vocabulary.strict, out_dir=out_dir)

    st.guarded(run)


def _execute(
    st: CliState,
    events: Path,
    cfg: Any,
    *,
    engine: str,
    master: str,
    previous: list[Path] | None,
    **common: Any,
) -> RunResult:
    """The run on ``engine`` (local or spark), under the memory ceiling of ``cfg``."""
    if engine not in ("local", "spark"):
        raise InputError(f"--engine: expected local or spark, got {engine!r}")
    limit = float(cfg.run.memory_limit_gb)
    streaming = engine == "local" and limit > 0 and _streams(events, cfg)
    with st.memory_ceiling(limit, streaming=streaming):
        if engine == "spark":
            from ringlens.spark.run import run_spark  # pyspark: only with --engine spark

            return run_spark(events, master=master, previous=previous or (), **common)
        return run_pipeline(events, previous=previous or (), **common)


def _check_drift(st: CliState, report: Any, *, strict: bool, out_dir: Path) -> None:
    """Input drift against the runs published before in ``out_dir``: a warning on stderr,
    and exit 2 under ``--strict`` (the run is written: the nightly job fails for a human
    to look, nothing is lost)."""
    alerts = (report.get("input_drift") or {}).get("alerts") or []
    if not alerts:
        return
    shown = "; ".join(alerts[:5]) + (f"; … {len(alerts) - 5} more" if len(alerts) > 5 else "")
    if strict:
        raise InputError(
            f"input drift against the previous runs in {out_dir} (--strict): {shown} "
            f"(the run was written; run.json input_drift has every row)"
        )
    st.say(f"[yellow]input drift[/] against the previous runs in {plain(out_dir)}: {plain(shown)}")


def _streams(events: Path, cfg: Any) -> bool:
    """Will the local engine stream this input? (for the memory ceiling's hint)"""
    try:
        return use_streaming(list(resolve_run_inputs(events).events), cfg)
    except InputError:
        return False  # the run itself reports the bad input


def _summary(st: CliState, res: RunResult, out_dir: Path) -> None:
    rep = res.report
    c = rep["counts"]
    out.print(
        f"[bold]{c['events']:,}[/] events · {c['nodes']:,} nodes · "
        f"[bold]{c['rings']}[/] rings · [bold]{c['queue']:,}[/] queue items  ([dim]{plain(rep['run_id'])}[/])"
    )
    t = Table(title="rings by pattern")
    t.add_column("pattern")
    t.add_column("rings", justify="right")
    t.add_column("top risk", justify="right")
    for pattern, n in sorted(c["rings_by_pattern"].items()):
        top: Any = res.rings.filter(res.rings["pattern"] == pattern)["risk_score"].max()
        t.add_row(plain(pattern), str(n), f"{top:.0f}")
    out.print(t)
    t = Table(title="queue by action")
    t.add_column("action")
    t.add_column("items", justify="right")
    for action, n in rep["policy"]["queued"].items():
        t.add_row(plain(action), f"{n:,}")
    out.print(t)
    for notice in rep.get("notices", []):
        st.say(plain(notice))
    cov = rep.get("coverage")
    if cov:
        st.say(
            f"coverage: {cov['events_covered']:,} of {cov['events']:,} events reached a detector; "
            f"{len(cov['families'])} families, "
            f"{len(cov['unmapped_actions'])} unmapped and {len(cov['uncovered_actions'])} "
            "uncovered action name(s)"
            + (
                f"; read as devices by their shape: {plain(', '.join(cov['types_by_shape']))}"
                if cov.get("types_by_shape")
                else ""
            )
        )
    gone = c.get("dropped_accounts") or {}
    if gone:
        from ringlens.rings.core import DROP_RULES

        st.say(
            "judged organic, in no ring: "
            + "; ".join(
                f"{n:,} accounts of proposals with {DROP_RULES.get(rule, plain(rule))}"
                for rule, n in gone.items()
            )
        )
    over = rep["policy"].get("over_capacity") or {}
    if over:
        st.say(
            "over capacity (not queued): "
            + ", ".join(f"{plain(k)}: {v:,}" for k, v in over.items())
        )
    db = rep.get("database")
    if db:
        st.say(
            f"queue database {plain(db['target'])}: {db.get('inserted', 0)} new, {db.get('updated', 0)} updated, "
            f"{db.get('suppressed_dismissed', 0)} dismissed kept out"
        )
    if res.rings.height:
        top = res.rings.row(0, named=True)
        st.say(
            f"top ring: {plain(top['ring_id'])} ({plain(top['pattern'])}, risk {top['risk_score']:.0f}, {top['size']} members)"
        )
    report = out_dir / "viz" / "index.html"
    if report.is_file():
        st.say(f"report: {plain(report.absolute().as_uri())}")
    st.say(
        f"outputs: {plain(out_dir)}/ (queue.parquet, queue.csv, rings.parquet, entities.parquet, run.json)"
    )
