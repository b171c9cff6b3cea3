"""``ringlens explore``: an interactive view of one entity's neighbourhood or one ring."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from ringlens.cli.app import CliState, app, plain
from ringlens.exceptions import InputError
from ringlens.graph import build_graph
from ringlens.viz import ring_filename, safe_filename

log = logging.getLogger("ringlens.cli")


def _check(entity: str | None, ring: str | None, hops: int, max_nodes: int | None) -> None:
    if (entity is None) == (ring is None):
        raise InputError("give exactly one of --entity TYPE:ID or --ring RING_ID")
    if hops < 1:
        raise InputError(f"--hops must be >= 1, got {hops}")
    if max_nodes is not None and max_nodes < 1:
        raise InputError(f"--max-nodes must be >= 1, got {max_nodes}")


def explore_filename(entity: str | None, ring: str | None, hops: int, max_nodes: int) -> str:
    """File name of an explore view: one per entity and options (``--hops``,
    ``--max-nodes``), so a second view never overwrites the first.

    Examples
    --------
    >>> explore_filename("creator:cr00042", None, 2, 500)
    'ego_creator_cr00042-..._h2_n500.html'
    >>> explore_filename(None, "ring_0123abcd", 2, 500)
    'ring_0123abcd.html'
    """
    if entity is not None:
        return f"ego_{safe_filename(entity)}_h{hops}_n{max_nodes}.html"
    return ring_filename(str(ring))


@app.command()
def explore(
    ctx: typer.Context,
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

    st: CliState = ctx.obj

    def run() -> None:
        from ringlens.viz.evidence import (  # pyvis and templates: loaded by this command only
            ego_events,
            ego_network,
            lockstep_families,
            lockstep_spans,
            read_run,
            ring_bursts,
            ring_events,
            ring_page,
        )

        _check(entity, ring, hops, max_nodes)
        run = read_run(run_dir)
        rd = run.path
        cfg = st.settings()
        rings = run.rings
        members: list[str] = []
        if ring is not None:
            row = rings.filter(pl.col("ring_id") == ring)
            if row.height == 0:
                raise InputError(f"no ring {ring!r} in {run_dir}/rings.parquet")
            members = row["members"].item().to_list()
        with st.step("load run"):
            # only the events the view needs (a few filtered scans), not the whole graph;
            # a ring's from the events around the run's rings when the run wrote them
            if entity is not None:
                g = build_graph(ego_events(run.events(), entity, hops=hops))
            else:
                around = run.ring_events()
                g = build_graph(
                    ring_events(around if around is not None else run.events(), members)
                )
            scored = run.entities
        viz = rd / "viz"
        cap = cfg.viz.max_nodes if max_nodes is None else max_nodes

        def ring_href(rid: str) -> str | None:
            # explore pages live in RUN/explore/, the run's ring views in RUN/viz/
            return f"../viz/{ring_filename(rid)}" if (viz / ring_filename(rid)).is_file() else None

        if entity is not None:
            with st.step("ego view"):
                links = {
                    r: h
                    for r in scored["ring_id"].drop_nulls().unique().to_list()
                    if (h := ring_href(r)) is not None
                }
                view = ego_network(
                    g,
                    entity,
                    hops=hops,
                    max_nodes=cap,
                    scored=scored,
                    ring_links=links,
                    report_href="../viz/index.html" if (viz / "index.html").is_file() else None,
                    rings=rings,
                )
        else:
            with st.step("ring view"):
                # the bursts the run's detector found, else found again in the events
                bursts = run.bursts
                if bursts is None:
                    families = lockstep_families(
                        cfg, actions=g.events["action"].unique().cast(pl.String).to_list()
                    )
                    bursts = ring_bursts(
                        g,
                        families=families,
                        spans=lockstep_spans(run.events(), families),
                        members=members,
                    )
                view = ring_page(
                    rings,
                    scored,
                    g,
                    str(ring),
                    bursts=bursts,
                    accounts=run.accounts,
                    queue=run.queue,
                    report_href="../viz/index.html" if (viz / "index.html").is_file() else None,
                    ring_href=ring_href,
                )
        target = output or (Path(run_dir) / "explore" / explore_filename(entity, ring, hops, cap))
        target.parent.mkdir(parents=True, exist_ok=True)
        view.save(target)
        st.say(f"wrote {plain(target)} — open {plain(target.resolve().as_uri())}")

    st.guarded(run)
