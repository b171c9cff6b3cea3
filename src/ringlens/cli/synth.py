"""``ringlens synth``: synthetic data with planted rings and ground truth."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from ringlens.cli.app import CliState, app, plain
from ringlens.synth import PLATFORMS, SynthConfig, generate, write_renamed, write_synth

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
    platform: Annotated[
        str,
        typer.Option(help=f"Synthetic platform: {', '.join(PLATFORMS)} (each its own vocabulary)."),
    ] = "creator",
    slow_share: Annotated[
        float | None,
        typer.Option(
            help="Share of rings that act slowly, over weeks without bursts "
            "(default: 0 on creator, 0.3 elsewhere)."
        ),
    ] = None,
    negatives: Annotated[
        bool | None,
        typer.Option(
            "--negatives/--no-negatives",
            help="Plant organic structure that must not become rings (default: off on "
            "creator, on elsewhere).",
        ),
    ] = None,
    hijacked_share: Annotated[
        float, typer.Option(help="Share of ring accounts that are hijacked organic accounts.")
    ] = 0.2,
    days: Annotated[int, typer.Option(help="Length of the period in days.")] = 30,
    start: Annotated[str, typer.Option(help="Start of the period (UTC), ISO date.")] = "2026-10-01",
    rename_seed: Annotated[
        int | None,
        typer.Option(
            help="Replace every action and entity-type name by another word (this seed "
            "picks the words); vocabulary.toml maps the new names."
        ),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="Events file format: parquet, csv or ndjson.")
    ] = "parquet",
) -> None:
    """Generate a synthetic platform with planted rings, organic negatives and ground truth.

    Example: [bold]ringlens synth /tmp/live --platform live --events 1000000 --seed 1[/]
    """

    st: CliState = ctx.obj

    def run() -> None:
        cfg = SynthConfig(
            n_events=events,
            rings_per_pattern=rings_per_pattern,
            camouflage=camouflage,
            camouflage_kind=camouflage_kind,
            hijacked_share=hijacked_share,
            days=days,
            start=start,
            seed=seed,
            platform=platform,
            slow_share=slow_share,
            negatives=negatives,
        )
        with st.step("generate"):
            data = generate(cfg)
        with st.step("write"):
            paths = (
                write_synth(data, out_dir, fmt=fmt)
                if rename_seed is None
                else write_renamed(data, out_dir, seed=rename_seed, fmt=fmt)
            )
        st.say(
            f"wrote {data.events.height:,} events, {data.entities.height:,} entities, "
            f"{data.truth['ring_id'].n_unique()} planted rings ({plain(platform)}) to {plain(out_dir)}"
        )
        log.info("synth wrote %s", {k: str(v) for k, v in paths.items()})

    st.guarded(run)
