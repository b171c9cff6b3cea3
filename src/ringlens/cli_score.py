"""``ringlens score``, ``explore``, ``diff`` and ``eval`` (registered on the main app)."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ringlens.cli import _state, app, guarded, memory_ceiling, out, say, step

log = logging.getLogger("ringlens.cli")


def _cfg(overrides: dict[str, object] | None = None):  # type: ignore[no-untyped-def]
    from ringlens.config import load_config

    return load_config(_state["config"], overrides=overrides or {})


@app.command()
def score(
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

    def run() -> None:
        from ringlens.exceptions import InputError
        from ringlens.pipeline import run as run_pipeline

        cfg = _cfg(
            {
                "detect.seed": seed,
                "viz.enabled": None if views else False,
                "run.memory_limit_gb": memory_limit_gb,
            }
        )
        if engine not in ("local", "spark"):
            raise InputError(f"--engine: expected local or spark, got {engine!r}")
        with memory_ceiling(float(cfg.get("run.memory_limit_gb"))):
            common: dict[str, Any] = dict(
                out_dir=out_dir,
                entities=entities,
                labels=labels,
                config=cfg,
                policy=policy,
                database=database,
                progress=step,
            )
            if engine == "spark":
                from ringlens.spark.cli import run_spark

                res = run_spark(events, master=master, **common)
            else:
                res = run_pipeline(events, **common)
        rep = res.report
        if as_json:
            sys.stdout.write(json.dumps(rep, indent=2, default=str, sort_keys=True) + "\n")
            return
        if _state["quiet"]:
            return
        c = rep["counts"]
        out.print(
            f"[bold]{c['events']:,}[/] events · {c['nodes']:,} nodes · "
            f"[bold]{c['rings']}[/] rings · [bold]{c['queue']:,}[/] queue items  ([dim]{rep['run_id']}[/])"
        )
        t = Table(title="rings by pattern")
        t.add_column("pattern")
        t.add_column("rings", justify="right")
        t.add_column("top risk", justify="right")
        for pattern, n in sorted(c["rings_by_pattern"].items()):
            top: Any = res.rings.filter(res.rings["pattern"] == pattern)["risk_score"].max()
            t.add_row(pattern, str(n), f"{top:.0f}")
        out.print(t)
        t = Table(title="queue by action")
        t.add_column("action")
        t.add_column("items", justify="right")
        for action, n in rep["policy"]["queued"].items():
            t.add_row(action, f"{n:,}")
        out.print(t)
        over = rep["policy"].get("over_capacity") or {}
        if over:
            say(f"over capacity (not queued): {', '.join(f'{k}: {v:,}' for k, v in over.items())}")
        db = rep.get("database")
        if db:
            say(
                f"queue database {db['target']}: {db.get('inserted', 0)} new, {db.get('updated', 0)} updated, "
                f"{db.get('suppressed_dismissed', 0)} dismissed kept out"
            )
        if res.rings.height:
            top = res.rings.row(0, named=True)
            say(
                f"top ring: {top['ring_id']} ({top['pattern']}, risk {top['risk_score']:.0f}, {top['size']} members)"
            )
        report = out_dir / "viz" / "index.html"
        if report.is_file():
            say(f"report: {report.absolute().as_uri()}")
        say(
            f"outputs: {out_dir}/ (queue.parquet, queue.csv, rings.parquet, entities.parquet, run.json)"
        )

    guarded(run)


@app.command()
def explore(
    run_dir: Annotated[Path, typer.Argument(help="A run folder written by `ringlens score`.")],
    entity: Annotated[
        str | None,
        typer.Option("--entity", "-e", help="Ego view of this entity, e.g. creator:cr00042."),
    ] = None,
    ring: Annotated[str | None, typer.Option("--ring", "-r", help="View of this ring id.")] = None,
    hops: Annotated[int, typer.Option(help="Ego view radius.")] = 2,
    max_nodes: Annotated[
        int | None, typer.Option(help="Node cap of the ego view (default: viz.max_nodes).")
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            help="HTML file to write (default: RUN/explore/<name>.html, kept across re-runs).",
        ),
    ] = None,
) -> None:
    """Write an interactive view of one entity's neighbourhood (ego view) or of one ring.

    Example: [bold]ringlens explore out/demo --entity creator:cr00042 --hops 2[/]
    """

    def run() -> None:
        import polars as pl

        from ringlens.evidence import (
            ego_events,
            ego_network,
            ring_events,
            ring_evidence,
            ring_neighbourhood,
        )
        from ringlens.exceptions import InputError
        from ringlens.export import resolve_run
        from ringlens.graph import build_graph
        from ringlens.io import scan_events
        from ringlens.pipeline import _same_inputs
        from ringlens.viz import ring_filename, ring_view, safe_filename

        if (entity is None) == (ring is None):
            raise InputError("give exactly one of --entity TYPE:ID or --ring RING_ID")
        if hops < 1:
            raise InputError(f"--hops must be >= 1, got {hops}")
        if max_nodes is not None and max_nodes < 1:
            raise InputError(f"--max-nodes must be >= 1, got {max_nodes}")
        rd = resolve_run(run_dir)
        info_path = rd / "run.json"
        if not info_path.is_file():
            raise InputError(
                f"{run_dir}: not a run folder (no run.json); run `ringlens score` first"
            )
        info = json.loads(info_path.read_text("utf-8"))
        cfg = _cfg()
        rings = pl.read_parquet(rd / "rings.parquet")
        members: list[str] = []
        if ring is not None:
            row = rings.filter(pl.col("ring_id") == ring)
            if row.height == 0:
                raise InputError(f"no ring {ring!r} in {run_dir}/rings.parquet")
            members = row["members"].item().to_list()
        with step("load run"):
            files = [Path(p) for p in info["inputs"]["events"]]
            missing = [p for p in files if not p.is_file()]
            if missing:
                raise InputError(
                    f"{missing[0]}: input of this run not found (explore reads the run's events)"
                )
            # the files `score` validated, unchanged: read them without a second validation
            same = _same_inputs(files, info["inputs"].get("fingerprint"))
            if not same:
                log.warning(
                    "explore: the input files changed since %s; showing them as they are now",
                    run_dir,
                )
            lf = scan_events(files, columns=info["config"]["input"]["columns"], validate=not same)
            # only the events the view needs (a few filtered scans), not the whole graph
            if entity is not None:
                g = build_graph(ego_events(lf, entity, hops=hops))
            else:
                g = build_graph(ring_events(lf, members))
            scored = pl.read_parquet(rd / "entities.parquet")
        if entity is not None:
            with step("ego view"):
                view = ego_network(
                    g,
                    entity,
                    hops=hops,
                    max_nodes=cfg.get("viz.max_nodes") if max_nodes is None else max_nodes,
                    scored=scored,
                )
            target = output or (Path(run_dir) / "explore" / f"ego_{safe_filename(entity)}.html")
        else:
            nodes, edges, note = ring_neighbourhood(g, members, scored=scored)
            view = ring_view(
                nodes, edges, title=f"ring {ring}", evidence=ring_evidence(g, members), note=note
            )
            target = output or (Path(run_dir) / "explore" / ring_filename(str(ring)))
        target.parent.mkdir(parents=True, exist_ok=True)
        view.save(target)
        say(f"wrote {target} — open {target.resolve().as_uri()}")

    guarded(run)


@app.command()
def diff(
    run_a: Annotated[Path, typer.Argument(help="The earlier run folder.")],
    run_b: Annotated[Path, typer.Argument(help="The later run folder.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the diff as JSON.")] = False,
) -> None:
    """What changed between two runs: new, grown, shrunk, merged, split and gone rings; queue changes.

    Example: [bold]ringlens diff out/monday out/tuesday[/]
    """

    def run() -> None:
        from ringlens.export import diff_runs

        d = diff_runs(run_a, run_b)
        summary = d.summary()
        if as_json:
            sys.stdout.write(json.dumps(summary, indent=2, default=str, sort_keys=True) + "\n")
            return
        frame = d.to_frame("rings")
        t = Table(title=f"rings: {run_a} → {run_b}")
        t.add_column("change")
        t.add_column("rings", justify="right")
        for change, n in sorted(frame.group_by("change").len().iter_rows()):
            t.add_row(str(change), str(n))
        out.print(t)
        q = summary.get("queue", {})
        if q:
            out.print(
                "queue: "
                + ", ".join(f"{k} {v}" for k, v in q.items() if not isinstance(v, dict | list))
            )

    guarded(run)


@app.command("eval")
def eval_cmd(
    run_dir: Annotated[Path, typer.Argument(help="A run folder written by `ringlens score`.")],
    truth: Annotated[
        Path, typer.Option("--truth", "-t", help="truth.parquet (planted rings) or a labels file.")
    ],
    k: Annotated[
        int | None, typer.Option(help="Cut-off for precision@K (default: number of true entities).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the metrics as JSON.")] = False,
) -> None:
    """Evaluate a run against ground truth, next to trivial baselines (degree, account age, one interaction).

    Example: [bold]ringlens eval out/demo --truth graphs/demo/truth.parquet[/]
    """

    def run() -> None:
        from ringlens.eval.evaluate import evaluate_run_dir

        with step("evaluate"):
            ev = evaluate_run_dir(run_dir, truth, k=k)
        if as_json:
            sys.stdout.write(json.dumps(ev.as_dict(), indent=2, sort_keys=True, default=str) + "\n")
            return
        cols = [
            "ring_recall",
            "precision_at_k",
            "recall_at_k",
            "precision",
            "recall",
            "f1",
            "roc_auc",
            "average_precision",
        ]
        t = Table(title=f"{run_dir} vs {truth} (K = {ev.k}, {ev.n_entities:,} accounts)")
        t.add_column("method")
        short = {
            "ring_recall": "rings",
            "precision_at_k": "P@K",
            "recall_at_k": "R@K",
            "precision": "P",
            "recall": "R",
            "f1": "F1",
            "roc_auc": "AUC",
            "average_precision": "AP",
        }
        for c in cols:
            t.add_column(short[c], justify="right")
        for method, m in ev.metrics.items():
            t.add_row(
                method,
                *("—" if m.get(c) is None or m.get(c) != m.get(c) else f"{m[c]:.3f}" for c in cols),
            )
        out.print(t)

    guarded(run)
