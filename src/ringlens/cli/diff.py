"""``ringlens diff``: what changed between two runs."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ringlens.cli.app import CliState, app, out, plain
from ringlens.export import diff_runs


@app.command()
def diff(
    ctx: typer.Context,
    run_a: Annotated[Path, typer.Argument(help="The earlier run folder.")],
    run_b: Annotated[Path, typer.Argument(help="The later run folder.")],
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print the diff as JSON: counts, the ring and queue item ids per change, "
            "and each ring's lineage (previous ring ids).",
        ),
    ] = False,
) -> None:
    """What changed between two runs: new, grown, shrunk, merged, split and gone rings; queue changes.

    Example: [bold]ringlens diff out/monday out/tuesday[/]
    """

    st: CliState = ctx.obj

    def run() -> None:
        d = diff_runs(run_a, run_b)
        summary = d.summary()
        if as_json:
            sys.stdout.write(json.dumps(d.to_dict(), indent=2, default=str, sort_keys=True) + "\n")
            return
        frame = d.to_frame("rings")
        t = Table(title=f"rings: {plain(run_a)} → {plain(run_b)}")
        t.add_column("change")
        t.add_column("rings", justify="right")
        for change, n in sorted(frame.group_by("change").len().iter_rows()):
            t.add_row(plain(change), str(n))
        out.print(t)
        q = summary.get("queue", {})
        if q:
            out.print(
                "queue: "
                + ", ".join(
                    f"{plain(k)} {plain(v)}" for k, v in q.items() if not isinstance(v, dict | list)
                )
            )

    st.guarded(run)
