"""``ringlens eval``: a run against ground truth, next to trivial baselines."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ringlens.cli.app import CliState, app, out, plain

#: metric -> column heading
_COLUMNS = {
    "ring_recall": "rings",
    "precision_at_k": "P@K",
    "recall_at_k": "R@K",
    "precision": "P",
    "recall": "R",
    "f1": "F1",
    "roc_auc": "AUC",
    "average_precision": "AP",
}


@app.command("eval")
def eval_cmd(
    ctx: typer.Context,
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

    st: CliState = ctx.obj

    def run() -> None:
        with st.step("evaluate"):
            from ringlens.eval.evaluate import evaluate_run_dir  # scipy.stats: 0.6 s to load

            ev = evaluate_run_dir(run_dir, truth, k=k)
        if as_json:
            sys.stdout.write(json.dumps(ev.as_dict(), indent=2, sort_keys=True, default=str) + "\n")
            return
        t = Table(
            title=f"{plain(run_dir)} vs {plain(truth)} (K = {ev.k}, {ev.n_entities:,} accounts)"
        )
        t.add_column("method")
        for heading in _COLUMNS.values():
            t.add_column(heading, justify="right")
        for method, m in ev.metrics.items():
            t.add_row(
                plain(method),
                *(
                    "—" if m.get(c) is None or m.get(c) != m.get(c) else f"{m[c]:.3f}"
                    for c in _COLUMNS
                ),
            )
        out.print(t)
        d = ev.details
        if "negatives" in d:
            kinds = ", ".join(f"{plain(k)} {v}" for k, v in d["negatives_in_top_k_by_kind"].items())
            st.say(
                f"organic negatives ({d['negatives']:,} accounts): {d['negatives_in_top_k']} in the "
                f"top K, {d['negatives_in_rings']} in rings" + (f" ({kinds})" if kinds else "")
            )

    st.guarded(run)
