"""What the planted rings a run missed leave in the data: is any structure there to find?

For every planted ring of an evaluation set that no reported ring matches (Jaccard of the
members at least 0.5, as ``ringlens eval`` counts ring recall), the evidence a detector
could have used:

* ``block``: the strongest significance of the ring's members × its planted targets in
  any one family of the events (``ringlens.detect.ring_significance``: the configuration
  model and the two contrasts, each corrected for choosing a block of that shape), and
  ``block_null``, the configuration model's test alone; at least 2 (p <= 0.01) is a block
  a dense-block test can confirm;
* ``fresh``: how far beyond the platform's rate of new accounts the members are
  (``-log10 P``, binomial, as the ring feature ``new_account_sig``);
* ``audience``: the largest share of one planted target's accounts that the ring is,
  with how many of its members act on it;
* ``best_jaccard``: the closest reported ring.

With ``--cohorts``, each data set also gets the test a new-account detector would make:
targets whose accounts (3 to 50 of them with a known creation time) are new beyond the
platform's rate (binomial, Bonferroni over the targets tested, p <= 0.01), how many of
them are planted rings' (at least half their new accounts planted), how many organic
accounts the others hold, and how many of the missed rings have at least half their
members among the new accounts of such targets.

    .venv/bin/python bench/missed_evidence.py WORK [--mode "no vocabulary"] [--only adnet] [--cohorts]

``WORK`` is a ``bench/eval_platforms.py --work`` folder (a data set ``D`` and its run
``D.out/<mode>``). One JSON line per missed ring, then one per data set (``missed``,
``with_block``: the misses whose block is significant, ``with_fresh``: those whose new
accounts are).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import polars as pl

from ringlens.detect import ring_significance
from ringlens.detect.significance import binomial_log10_sf
from ringlens.graph import EventGraph, build_graph
from ringlens.rings.features import (
    new_account_base_rate,
    new_account_significance,
    new_accounts,
)

#: a ring counts as found when a reported ring's members overlap it this much (Jaccard)
FOUND = 0.5
#: significance (-log10 p) that a test passes at p <= 0.01
PASS = 2.0
#: an account created less than this many days before the first event is new (as the run)
NEW_DAYS = 60


def _keyed(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns((pl.col("entity_type") + ":" + pl.col("entity_id")).alias("key"))


def _missed(truth: pl.DataFrame, rings: pl.DataFrame) -> pl.DataFrame:
    """``ring_id`` and ``best_jaccard`` of the planted rings no reported ring matches."""
    sizes = truth.group_by("ring_id").agg(pl.len().alias("size"))
    reported = rings.select(
        pl.col("ring_id").alias("rid"), pl.col("size").alias("rsize"), "members"
    )
    hits = (
        reported.explode("members")
        .rename({"members": "key"})
        .join(truth.select("key", "ring_id"), on="key")
        .group_by("ring_id", "rid")
        .agg(pl.len().alias("both"), pl.first("rsize"))
        .join(sizes, on="ring_id")
        .with_columns(
            (pl.col("both") / (pl.col("size") + pl.col("rsize") - pl.col("both"))).alias("j")
        )
        .group_by("ring_id")
        .agg(pl.col("j").max().alias("best_jaccard"))
    )
    return (
        sizes.join(hits, on="ring_id", how="left")
        .with_columns(pl.col("best_jaccard").fill_null(0.0))
        .filter(pl.col("best_jaccard") < FOUND)
        .sort("ring_id")
    )


def _blocks(
    ev: pl.DataFrame, graph: EventGraph, truth: pl.DataFrame, targets: pl.DataFrame
) -> pl.DataFrame:
    """Each ring's strongest block over the families (members × planted targets)."""
    fams = ev.group_by("action", "actor_type", "target_type").len().filter(pl.col("len") >= 20)
    out = []
    for action, actor_type, target_type, _ in fams.sort(
        "action", "actor_type", "target_type"
    ).iter_rows():
        mem = truth.filter(pl.col("entity_type") == actor_type)
        tgt = targets.filter(pl.col("entity_type") == target_type)
        if mem.height == 0 or tgt.height == 0:
            continue
        sig = ring_significance(
            graph,
            mem.select("ring_id", "key"),
            tgt.select("ring_id", "key"),
            actions=[action],
            actor_types=[actor_type],
            target_types=[target_type],
        )
        out.append(
            sig.select("ring_id", "significance", "sig_null").with_columns(
                pl.lit(f"{actor_type} {action} {target_type}").alias("family")
            )
        )
    if not out:
        return pl.DataFrame(
            schema={
                "ring_id": pl.Int64,
                "block": pl.Float64,
                "block_null": pl.Float64,
                "block_family": pl.String,
            }
        )
    every = pl.concat(out)
    best = every.sort("significance", "sig_null", descending=True).group_by("ring_id").first()
    return best.select(
        "ring_id",
        pl.col("significance").alias("block"),
        pl.col("family").alias("block_family"),
    ).join(
        every.group_by("ring_id").agg(pl.col("sig_null").max().alias("block_null")), on="ring_id"
    )


def _fresh(graph: EventGraph, truth: pl.DataFrame, entities: pl.DataFrame | None) -> pl.DataFrame:
    """``-log10 P`` of each ring's new accounts at the platform's rate."""
    found = new_accounts(graph, entities, first_ts=graph.events["ts"].min())
    if found is None:
        return truth.select("ring_id").unique().with_columns(pl.lit(0.0).alias("fresh"))
    keys, rate = found
    per = truth.group_by("ring_id").agg(
        pl.col("key").is_in(keys.implode()).sum().alias("new"), pl.len().alias("known")
    )
    sig = new_account_significance(
        per["new"].to_numpy(), per["known"].to_numpy(), new_account_base_rate(rate)
    )
    return per.select("ring_id").with_columns(pl.Series("fresh", sig))


def _audience(ev: pl.DataFrame, truth: pl.DataFrame, targets: pl.DataFrame) -> pl.DataFrame:
    """The largest share of one planted target's accounts that its ring is."""
    acts = ev.select(
        (pl.col("actor_type") + ":" + pl.col("actor_id")).alias("key"),
        (pl.col("target_type") + ":" + pl.col("target_id")).alias("target"),
    ).unique()
    on = acts.join(targets.select("ring_id", pl.col("key").alias("target")), on="target")
    per = (
        on.join(
            truth.select("ring_id", "key", pl.lit(True).alias("member")),
            on=["ring_id", "key"],
            how="left",
        )
        .group_by("ring_id", "target")
        .agg(pl.len().alias("accounts"), pl.col("member").sum().alias("members"))
        .with_columns((pl.col("members") / pl.col("accounts")).alias("audience"))
    )
    return (
        per.sort("audience", "members", descending=True)
        .group_by("ring_id")
        .first()
        .select("ring_id", "audience", pl.col("members").alias("audience_members"))
    )


def _cohorts(
    ev: pl.DataFrame, entities: pl.DataFrame | None, truth: pl.DataFrame, missed: pl.DataFrame
) -> dict:
    """The new-account cohort test (module docs, ``--cohorts``) on one data set."""
    if entities is None or "created_at" not in entities.columns:
        return {}
    first = ev["ts"].min()
    known = _keyed(entities.filter(pl.col("created_at").is_not_null())).select(
        "key",
        (pl.col("created_at") >= first - pl.duration(days=NEW_DAYS)).alias("new"),  # type: ignore[operator]
    )
    acts = ev.select(
        (pl.col("actor_type") + ":" + pl.col("actor_id")).alias("key"),
        (pl.col("target_type") + ":" + pl.col("target_id")).alias("target"),
    ).unique()
    news = acts.select("key").unique().join(known, on="key")["new"].cast(pl.Float64).to_numpy()
    rate = float(news.mean()) if news.size else 0.0
    aud = (
        acts.join(known, on="key", how="left")
        .group_by("target")
        .agg(
            pl.len().alias("a"),
            pl.col("new").sum().cast(pl.Int64).alias("x"),
            pl.col("new").is_not_null().sum().cast(pl.Int64).alias("k"),
        )
        .filter(pl.col("a").is_between(3, 50) & (pl.col("k") >= 3))
    )
    p = binomial_log10_sf(aud["x"].to_numpy(), aud["k"].to_numpy(), rate)
    flagged = aud.filter(pl.Series((-p - math.log10(max(aud.height, 1))) >= PASS))
    on = acts.join(flagged.select("target"), on="target").join(known.filter("new"), on="key")
    on = on.join(truth.select("key", "ring_id"), on="key", how="left")
    per = on.group_by("target").agg(pl.col("ring_id").is_not_null().mean().alias("planted"))
    organic = per.filter(pl.col("planted") < 0.5)["target"]
    held = (
        on.filter(pl.col("ring_id").is_in(missed["ring_id"].implode()))
        .group_by("ring_id")
        .agg(pl.col("key").n_unique().alias("n"))
        .join(missed.select("ring_id", "size"), on="ring_id")
        .filter(pl.col("n") >= pl.col("size") / 2)
    )
    return {
        "cohort_targets": per.height,
        "planted_targets": per.height - organic.len(),
        "organic_accounts": on.filter(
            pl.col("target").is_in(organic.implode()) & pl.col("ring_id").is_null()
        )["key"].n_unique(),
        "missed_held": held.height,
    }


def evidence(data: Path, mode: str, cohorts: bool = False) -> tuple[list[dict], dict]:
    """The missed rings of one data set and their evidence, and a summary."""
    run = data.parent / f"{data.name}.out" / mode.replace(" ", "_")
    truth = _keyed(pl.read_parquet(data / "truth.parquet"))
    rings = pl.read_parquet(run / "rings.parquet")
    missed = _missed(truth, rings)
    summary = {
        "data": data.name,
        "run": mode,
        "planted": truth["ring_id"].n_unique(),
        "missed": missed.height,
    }
    ev = pl.read_parquet(data / "events.parquet")
    ent_path = data / "entities.parquet"
    entities = pl.read_parquet(ent_path) if ent_path.exists() else None
    if cohorts:
        summary.update(_cohorts(ev, entities, truth, missed))
    if missed.height == 0:
        return [], {**summary, "with_block": 0, "with_fresh": 0}
    ids = missed["ring_id"].implode()
    truth = truth.filter(pl.col("ring_id").is_in(ids))
    targets = _keyed(pl.read_parquet(data / "ring_targets.parquet")).filter(
        pl.col("ring_id").is_in(ids)
    )
    graph = build_graph(ev)
    pattern = truth.group_by("ring_id").agg(pl.first("pattern"))
    table = (
        missed.join(pattern, on="ring_id", how="left")
        .join(_blocks(ev, graph, truth, targets), on="ring_id", how="left")
        .join(_fresh(graph, truth, entities), on="ring_id", how="left")
        .join(_audience(ev, truth, targets), on="ring_id", how="left")
        .with_columns(pl.col(pl.Float64).fill_null(0.0).round(2), pl.lit(data.name).alias("data"))
    )
    rows = table.to_dicts()
    summary.update(
        with_block=int((table["block"] >= PASS).sum()),
        with_fresh=int((table["fresh"] >= PASS).sum()),
    )
    return rows, summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("work", type=Path, help="a bench/eval_platforms.py --work folder")
    ap.add_argument("--mode", default="no vocabulary", choices=["vocabulary", "no vocabulary"])
    ap.add_argument("--only", nargs="*", default=None, help="data sets whose name starts so")
    ap.add_argument("--cohorts", action="store_true", help="also the new-account cohort test")
    args = ap.parse_args(argv)
    sets = sorted(p.parent / p.name[: -len(".out")] for p in args.work.glob("*.out"))
    if args.only:
        sets = [s for s in sets if any(s.name.startswith(o) for o in args.only)]
    if not sets:
        print(f"{args.work}: no evaluated data set (expected D and D.out/)", file=sys.stderr)
        return 2
    for data in sets:
        rows, summary = evidence(data, args.mode, args.cohorts)
        for r in rows:
            print(json.dumps(r, default=str))
        print(json.dumps({"summary": summary}))
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
