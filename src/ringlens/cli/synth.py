"""``ringlens synth``: synthetic data with planted rings and ground truth."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from ringlens.cli.app import CliState, app, plain
from ringlens.synth import SynthConfig, generate, write_synth

log = logging.getLogger("ringlens.cli")


@app.command()
def synth(
    ctx: typer.Context,
    out_dir: Annotated[
        Path, typer.Argument(help="Folder to write events, entities, truth and labels into.")
    ],
    events: Annotated[
        int, typer.Option("--events", "-n", help="Approximate number of organic events.")
    ] = 200_000,
    rings_per_pattern: Annotated[int, typer.Option(help="Planted rings of each pattern.")] = 3,
    camouflage: Annotated[
        float, typer.Option(help="Camouflage events per ring event (0 = none).")
    ] = 0.5,
    camouflage_kind: Annotated[
        str, typer.Option(help="random or biased (popularity-weighted).")
    ] = "biased",
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
    fmt: Annotated[
        str, typer.Option("--format", help="Events file format: parquet, csv or ndjson.")
    ] = "parquet",
) -> None:
    """Generate a synthetic creator economy with planted rings and ground truth.

    Example: [bold]ringlens synth /tmp/demo --events 1000000 --seed 1[/]
    """

    st: CliState = ctx.obj

    def run() -> None:
        cfg = SynthConfig(
            n_events=events,
            rings_per_pattern=rings_per_pattern,
            camouflage=camouflage,
            camouflage_kind=camouflage_kind,
            seed=seed,
        )
        with st.step("generate"):
            data = generate(cfg)
        with st.step("write"):
            paths = write_synth(data, out_dir, fmt=fmt)
        st.say(
            f"wrote {data.events.height:,} events, {data.entities.height:,} entities, "
            f"{data.truth['ring_id'].n_unique()} planted rings to {plain(out_dir)}"
        )
        log.info("synth wrote %s", {k: str(v) for k, v in paths.items()})

    st.guarded(run)
