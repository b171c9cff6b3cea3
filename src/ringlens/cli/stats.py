"""``ringlens graph-stats``: sizes by type, components and hubs of an events table."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

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
from ringlens.graph import build_graph
from ringlens.io import InputOptions, scan_events
from ringlens.pipeline.inputs import resolve_run_inputs


@app.command("graph-stats")
def graph_stats(
    ctx: typer.Context,
    events: Annotated[
        Path, typer.Argument(help="Events file, several files' folder, or a synth folder.")
    ],
    top: Annotated[int, typer.Option(help="How many top-degree nodes to list.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print the stats as JSON.")] = False,
    separator: SeparatorOpt = None,
    decimal_comma: DecimalCommaOpt = None,
    timestamp_format: TimestampFormatOpt = None,
    timezone: TimezoneOpt = None,
) -> None:
    """Print the graph's size by type, its components and its top-degree nodes.

    Example: [bold]ringlens graph-stats graphs/demo[/]
    """

    st: CliState = ctx.obj

    def run() -> None:
        cfg = st.settings(input_overrides(separator, decimal_comma, timestamp_format, timezone))
        files = list(resolve_run_inputs(events).events)
        with st.step("ingest"):
            lf = scan_events(
                files, columns=dict(cfg.input.columns), options=InputOptions.from_settings(cfg)
            )
        with st.step("build graph"):
            g = build_graph(lf)
        with st.step("stats"):
            stats = g.stats(top=top)
        if as_json:
            payload = {k: (v.to_dicts() if hasattr(v, "to_dicts") else v) for k, v in stats.items()}
            sys.stdout.write(json.dumps(payload, indent=2, default=str) + "\n")
            return
        out.print(
            f"[bold]{stats['events']:,}[/] events · [bold]{stats['nodes']:,}[/] nodes · "
            f"[bold]{stats['edges']:,}[/] edges · {stats['components']:,} components "
            f"(largest {stats['largest_component']:,} nodes)"
        )
        t = Table(title="nodes by type")
        t.add_column("type")
        t.add_column("nodes", justify="right")
        for row in stats["nodes_by_type"].iter_rows():
            t.add_row(plain(row[0]), f"{row[1]:,}")
        out.print(t)
        t = Table(title="events by actor type, action, target type")
        for c in ("actor", "action", "target", "events"):
            t.add_column(c, justify="right" if c == "events" else "left")
        for a, act, tt, n in stats["events_by_type"].iter_rows():
            t.add_row(plain(a), plain(act), plain(tt), f"{n:,}")
        out.print(t)
        t = Table(title=f"top {top} nodes by degree")
        t.add_column("node")
        t.add_column("degree", justify="right")
        t.add_column("events", justify="right")
        for k, d, n in stats["top_degree"].iter_rows():
            t.add_row(plain(k), f"{d:,}", f"{n:,}")
        out.print(t)

    st.guarded(run)
