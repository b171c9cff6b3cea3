"""Calibration of ``dense_blocks`` on backgrounds without rings, and small injected rings.

Four parts (``--part`` to run one):

``null``
    Bipartite configuration-model graphs (Pareto row activity, Zipf column popularity,
    stubs matched at random, repeated pairs erased) of several sizes and tails, many seeds:
    the null the test is built on. Counts the graphs where any block is reported (the
    theory bounds it by ``alpha`` = 1 % per graph) and, for comparison, the graphs where
    the first peeled block would pass a *naive* test (its own configuration-model tail at
    1 %, without the correction for the search).
``yelpchi``
    YelpChi as it is, and degree-preserving rewirings of it (edge swaps that keep every
    user's and product's degree and create no repeated pair).
``synth``
    ``ringlens.synth``'s three platforms (creator, live commerce, marketplace) at 1M
    events: without rings (organic structure: niches, heavy users, households, and on
    live and marketplace the planted organic negatives: live audiences, fandoms, viral
    items, coupon campaigns, flash sales), seeds 1-3, and with their planted rings, seeds
    1-2: every (action, actor type, target type) family, which planted rings the blocks
    hold (found = Jaccard >= 0.5 with a ring's members) and which blocks are organic.
``rings``
    ``ring_significance`` and ``ring_structure`` on the 1M synthetic set with its planted
    rings, against organic groups: the 25 heaviest buyers of each market, buyers who share
    a device (households), and random groups of buyers; each group's targets are those at
    least 30 % of its members hit.
``inject``
    20 x 5 and 40 x 10 blocks at densities 0.3 and 0.6 (and 200 x 30 at 0.6) injected
    into the order family (buyers x products) of the 1M organic synthetic set, with no /
    random / biased camouflage and into hijacked buyers, seeds 0-4.

    .venv/bin/python bench/dense_calibration.py [--part null|yelpchi|synth|rings|inject]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from yelpchi_eval import DEFAULT_DATA, load_yelpchi  # noqa: E402

from ringlens.detect.dense import dense_blocks, fraudar, trim_block  # noqa: E402
from ringlens.detect.significance import _log10_tail, block_significance  # noqa: E402
from ringlens.eval import inject_block, precision_recall_f1  # noqa: E402
from ringlens.graph import Biadjacency, build_graph  # noqa: E402


def null_matrix(seed: int, n_rows: int, n_cols: int, tail: float) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    deg = np.minimum(rng.pareto(tail, n_rows) + 1.0, n_cols // 4).astype(np.int64)
    rows = np.repeat(np.arange(n_rows), deg)
    pop = rng.permutation(1.0 / np.arange(1, n_cols + 1) ** 0.9)
    cols = rng.choice(n_cols, rows.size, p=pop / pop.sum())
    mat = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n_rows, n_cols))
    mat.data[:] = 1.0
    return mat


def biadjacency(mat: sp.csr_matrix) -> Biadjacency:
    return Biadjacency(
        matrix=mat,
        row_nodes=np.arange(mat.shape[0]),
        col_nodes=np.arange(mat.shape[1]),
        row_keys=[f"user:{i}" for i in range(mat.shape[0])],
        col_keys=[f"product:{j}" for j in range(mat.shape[1])],
    )


def naive_first_block(mat: sp.csr_matrix) -> float:
    """-log10 of the first trimmed block's own configuration-model tail (no correction)."""
    blk = trim_block(mat, fraudar(mat, min_rows=2, min_cols=2)[0])
    e = mat[blk.rows][:, blk.cols].nnz
    d_r = np.diff(mat.indptr)[blk.rows].sum()
    d_c = np.bincount(mat.indices, minlength=mat.shape[1])[blk.cols].sum()
    return float(-_log10_tail(e, d_r, d_c / mat.nnz))


def part_null() -> None:
    print(
        "| background | graphs | pairs (median) | graphs with a block "
        "| configuration-model test alone at 1 % | naive test at 1 % |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for n_rows, n_cols, tail, seeds in [
        (20_000, 2_000, 1.5, 50),
        (20_000, 2_000, 1.1, 50),
        (200_000, 20_000, 1.5, 10),
        (200_000, 5_000, 1.2, 10),
        (1_000_000, 50_000, 1.5, 3),
    ]:
        hits = null_only = naive = 0
        sizes = []
        for seed in range(seeds):
            mat = null_matrix(seed, n_rows, n_cols, tail)
            sizes.append(mat.nnz)
            res = dense_blocks(biadjacency(mat))
            hits += len(res) > 0
            null_only += bool((res.tested["sig_null"] >= 2.0).any())
            naive += naive_first_block(mat) >= 2.0
        print(
            f"| {n_rows:,} x {n_cols:,}, Pareto {tail} | {seeds} | {int(np.median(sizes)):,} "
            f"| {hits} | {null_only} | {naive} |",
            flush=True,
        )


def swap_rewire(mat: sp.csr_matrix, rng: np.random.Generator, rounds: int = 20) -> sp.csr_matrix:
    """Degree-preserving rewiring by double edge swaps (a-b, c-d -> a-d, c-b) that create no
    repeated pair, in vectorised batches; ``rounds`` passes over the edges."""
    coo = mat.tocoo()
    r, c = coo.row.astype(np.int64), coo.col.astype(np.int64)
    n = mat.shape[1]
    for _ in range(rounds):
        perm = rng.permutation(r.size)
        half = perm.size // 2
        i, j = perm[:half], perm[half : 2 * half]
        new_i = r[i] * n + c[j]
        new_j = r[j] * n + c[i]
        existing = r * n + c
        ok = (c[i] != c[j]) & ~np.isin(new_i, existing) & ~np.isin(new_j, existing)
        ok &= new_i != new_j
        # no two accepted swaps may create the same pair
        created = np.concatenate([new_i[ok], new_j[ok]])
        uniq, counts = np.unique(created, return_counts=True)
        dup = set(uniq[counts > 1].tolist())
        if dup:
            bad = np.isin(new_i, list(dup)) | np.isin(new_j, list(dup))
            ok &= ~bad
        ci, cj = c[i[ok]].copy(), c[j[ok]].copy()
        c[i[ok]], c[j[ok]] = cj, ci
    out = sp.csr_matrix((np.ones(r.size), (r, c)), shape=mat.shape)
    assert out.nnz == mat.nnz and out.max() == 1.0
    return out


def part_yelpchi(rewirings: int) -> None:
    mat = load_yelpchi(DEFAULT_DATA)
    res = dense_blocks(biadjacency(mat))
    print(
        f"YelpChi ({mat.shape[0]:,} x {mat.shape[1]}, {mat.nnz:,} pairs): {len(res)} blocks "
        f"reported; tested: {res.tested.select('n_actors', 'n_targets', 'edges', 'expected_edges', 'sig_null', 'significance').rows()}"
    )
    rng = np.random.default_rng(0)
    hits = null_only = naive = 0
    for _ in range(rewirings):
        null = swap_rewire(mat, rng)
        res = dense_blocks(biadjacency(null))
        hits += len(res) > 0
        null_only += bool((res.tested["sig_null"] >= 2.0).any())
        naive += naive_first_block(null) >= 2.0
    print(
        f"{rewirings} degree-preserving rewirings of YelpChi: {hits} with a block reported, "
        f"{null_only} with a block passing the configuration-model test alone, {naive} where "
        "the first block passes the naive test at 1 %"
    )


def families(g) -> list[tuple[str, str, str]]:  # noqa: ANN001
    types = g.nodes.select("node", "node_type")
    return (
        g.events.select("src", "dst", pl.col("action").cast(pl.String))
        .join(types.rename({"node": "src", "node_type": "a"}), on="src")
        .join(types.rename({"node": "dst", "node_type": "t"}), on="dst")
        .select("action", "a", "t")
        .unique()
        .sort("action", "a", "t")
        .rows()
    )


def part_synth(platforms: list[str], n_events: int, patience: int = 1) -> None:
    from ringlens.synth import SynthConfig, generate

    print(
        "| platform | rings | seed | events | families | blocks | planted members in blocks "
        "| organic blocks (members) | negatives' accounts in blocks | rings found |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    details = []
    for name in platforms:
        for seed, rings in [(1, 0), (2, 0), (3, 0), (1, 3), (2, 3)]:
            data = generate(
                SynthConfig(n_events=n_events, rings_per_pattern=rings, seed=seed, platform=name)
            )
            key = pl.concat_str([pl.col("entity_type"), pl.lit(":"), pl.col("entity_id")])
            truth = dict(data.truth.select(key.alias("key"), "ring_id").rows())
            negative = set(data.negatives.select(key.alias("key"))["key"].to_list())
            g = build_graph(data.events)
            fams = families(g)
            n_blocks = planted = organic = organic_members = neg = 0
            best: dict[str, float] = {}
            for action, actor, target in fams:
                res = dense_blocks(
                    g,
                    actions=[action],
                    actor_types=[actor],
                    target_types=[target],
                    patience=patience,
                )
                for grp in range(len(res)):
                    acts = set(res.actors(grp))
                    n_blocks += 1
                    inring = [truth[k] for k in acts if k in truth]
                    planted += len(inring)
                    neg += len(acts & negative)
                    if len(inring) < 0.5 * len(acts):
                        organic += 1
                        organic_members += len(acts) - len(inring)
                        details.append(
                            f"    {name} seed {seed}: {action}/{actor}/{target} "
                            f"{len(acts)} x {len(res.targets(grp))}, significance "
                            f"{res.groups['significance'][grp]:.1f}, shared targets "
                            f"{res.groups['shared_targets'][grp]:.2f}"
                        )
                    for rid in set(inring):
                        members = {k for k, r in truth.items() if r == rid}
                        jac = len(acts & members) / len(acts | members)
                        best[rid] = max(best.get(rid, 0.0), jac)
            n_rings = data.truth["ring_id"].n_unique()
            found = sum(v >= 0.5 for v in best.values())
            print(
                f"| {name} | {n_rings} | {seed} | {data.events.height:,} | {len(fams)} "
                f"| {n_blocks} | {planted} | {organic} ({organic_members}) | {neg} "
                f"| {found}/{n_rings} |",
                flush=True,
            )
    if details:
        print("\norganic blocks:")
        print("\n".join(details))


def group_targets(g, members: pl.DataFrame, share: float = 0.3) -> pl.DataFrame:  # noqa: ANN001
    """``ring_id``, ``key``: the targets hit by at least ``share`` of a group's members."""
    keys = g.nodes.select("node", "key")
    mem = members.join(keys, on="key").select("ring_id", pl.col("node").alias("src"))
    size = mem.group_by("ring_id").agg(pl.len().alias("n"))
    return (
        g.edges.select("src", "dst")
        .join(mem, on="src")
        .group_by("ring_id", "dst")
        .agg(pl.len().alias("hits"))
        .join(size, on="ring_id")
        .filter(pl.col("hits") >= share * pl.col("n"))
        .join(keys.rename({"node": "dst"}), on="dst")
        .select("ring_id", "key")
        .sort("ring_id", "key")
    )


def part_rings() -> None:
    from ringlens.detect.significance import ring_significance, ring_structure
    from ringlens.synth import SynthConfig, generate

    data = generate(SynthConfig(n_events=1_000_000, seed=1))
    g = build_graph(data.events)
    truth = data.truth.select(
        pl.concat_str([pl.col("entity_type"), pl.lit(":"), pl.col("entity_id")]).alias("key"),
        pl.concat_str(
            [pl.lit("planted "), pl.col("pattern"), pl.lit(" "), pl.col("ring_id")]
        ).alias("ring_id"),
    )
    ents = data.entities.select(
        pl.concat_str([pl.col("entity_type"), pl.lit(":"), pl.col("entity_id")]).alias("key"),
        "entity_type",
        "market",
    )
    deg = g.degree_frame().select("key", "out_degree")
    buyers = ents.filter(pl.col("entity_type") == "buyer").join(deg, on="key")
    heavy = (
        buyers.sort("out_degree", "key", descending=[True, False])
        .group_by("market", maintain_order=True)
        .head(25)
        .select("key", pl.concat_str([pl.lit("heavy buyers "), "market"]).alias("ring_id"))
    )
    logins = g.edges.join(
        g.nodes.filter(pl.col("node_type") == "device").select(pl.col("node").alias("dst")),
        on="dst",
    )
    shared = (
        logins.group_by("dst").agg(pl.col("src").unique()).filter(pl.col("src").list.len() >= 3)
    )
    house = (
        shared.head(20)
        .with_row_index("h")
        .explode("src")
        .join(g.nodes.select(pl.col("node").alias("src"), "key"), on="src")
        .join(ents.filter(pl.col("entity_type") == "buyer").select("key"), on="key", how="semi")
        .select(
            "key",
            pl.concat_str([pl.lit("household "), pl.col("h").cast(pl.String)]).alias("ring_id"),
        )
    )
    rng = np.random.default_rng(0)
    pool = buyers["key"].to_numpy()
    rand = pl.DataFrame(
        {
            "key": [k for i in range(10) for k in rng.choice(pool, 20, replace=False)],
            "ring_id": [f"random {i}" for i in range(10) for _ in range(20)],
        }
    )
    members = pl.concat([truth, heavy, house, rand]).unique(maintain_order=True)
    targets = group_targets(g, members)
    # per family (a device, a product and a post are not one kind of target); a group
    # takes its best family, with a Bonferroni factor for the families tried
    fams = families(g)
    parts = []
    for action, actor, target in fams:
        res = ring_significance(
            g, members, targets, actions=[action], actor_types=[actor], target_types=[target]
        )
        parts.append(res.with_columns(pl.lit(f"{action}/{actor}/{target}").alias("family")))
    sig = (
        pl.concat(parts)
        .sort(
            "ring_id",
            "significance",
            "observed_edges",
            "family",
            descending=[False, True, True, False],
        )
        .group_by("ring_id", maintain_order=True)
        .first()
        .with_columns((pl.col("significance") - np.log10(len(fams))).clip(lower_bound=0.0))
    )
    mixed = ring_significance(g, members, targets).select(
        "ring_id",
        pl.col("n_members").alias("all_members"),
        pl.col("n_targets").alias("all_targets"),
        pl.col("observed_edges").alias("all_pairs"),
        pl.col("expected_edges").alias("all_expected"),
        pl.col("shared_targets").alias("all_shared"),
        pl.col("significance").alias("all_significance"),
    )
    sig = sig.join(mixed, on="ring_id")
    planted = truth.select("ring_id").unique()
    struct = ring_structure(g, truth, targets.join(planted, on="ring_id", how="semi")).rings.select(
        "ring_id", "core_share", "n_brokers"
    )
    out = sig.join(struct, on="ring_id", how="left").with_columns(
        pl.col("ring_id").str.extract(r"^(planted|heavy buyers|household|random)").alias("kind")
    )
    print(
        "| group | members x targets | pairs (expected) | shared targets | significance "
        "| best family: significance | core share | brokers |"
    )
    print("|---|---:|---:|---:|---:|---|---:|---:|")
    for row in out.sort("kind", "ring_id").iter_rows(named=True):
        core = "—" if row["core_share"] is None else f"{row['core_share']:.2f}"
        brokers = "—" if row["n_brokers"] is None else row["n_brokers"]
        print(
            f"| {row['ring_id']} | {row['all_members']} x {row['all_targets']} "
            f"| {row['all_pairs']} ({row['all_expected']:.1f}) | {row['all_shared']:.2f} "
            f"| {row['all_significance']:.1f} | {row['family']}: {row['significance']:.1f} "
            f"| {core} | {brokers} |"
        )
    summary = out.group_by("kind").agg(
        pl.len().alias("groups"),
        (pl.col("all_significance") >= 2).sum().alias("significant (all events)"),
        (pl.col("significance") >= 2).sum().alias("significant (best family)"),
        pl.col("all_significance").median().alias("median significance"),
    )
    print()
    print(summary.sort("kind"))


def part_inject(seeds: int) -> None:
    from ringlens.synth import SynthConfig, generate

    data = generate(SynthConfig(n_events=1_000_000, rings_per_pattern=0, seed=1))
    g = build_graph(data.events)
    base = g.biadjacency(actions=["order"], actor_types=["buyer"], target_types=["product"])
    mat = base.binary()
    print(f"background: orders of the 1M organic set, {mat.shape[0]:,} x {mat.shape[1]:,}")
    print(f"({mat.nnz:,} pairs); nothing reported: {len(dense_blocks(biadjacency(mat))) == 0}")
    print(
        "| ring | injection | found | user F1 of the best block | product F1 "
        "| significance of the injected block |"
    )
    print("|---|---|---|---|---|---|")
    scenarios = [
        ("none", {"camouflage": "none"}),
        ("random", {"camouflage": "random"}),
        ("biased", {"camouflage": "biased"}),
        ("hijacked", {"camouflage": "none", "hijacked": True}),
    ]
    for r, c, d in [
        (20, 5, 0.3),
        (20, 5, 0.6),
        (40, 10, 0.3),
        (40, 10, 0.6),
        (200, 30, 0.6),
    ]:
        for name, kw in scenarios:
            hits, fu, fp, sg = 0, [], [], []
            for seed in range(seeds):
                inj = inject_block(mat, n_rows=r, n_cols=c, density=d, seed=seed, **kw)
                res = dense_blocks(biadjacency(inj.matrix))
                sg.append(
                    block_significance(inj.matrix, inj.fraud_rows, inj.fraud_cols).significance
                )
                want = set(inj.fraud_rows.tolist())
                best = (False, 0.0, 0.0)
                for grp in range(len(res)):
                    users = {int(k.split(":")[1]) for k in res.actors(grp)}
                    u = precision_recall_f1(sorted(users), sorted(want)).f1
                    if u > best[1]:
                        prods = [int(k.split(":")[1]) for k in res.targets(grp)]
                        p = precision_recall_f1(prods, inj.fraud_cols.tolist()).f1
                        best = (len(users & want) / len(users | want) >= 0.5, u, p)
                hits += best[0]
                fu.append(best[1])
                fp.append(best[2])
            print(
                f"| {r} x {c} at {d} | {name} | {hits}/{seeds} | {np.mean(fu):.3f} "
                f"| {np.mean(fp):.3f} | {min(sg):.0f}–{max(sg):.0f} |",
                flush=True,
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=["null", "yelpchi", "synth", "rings", "inject"], default=None)
    ap.add_argument("--rewirings", type=int, default=20)
    ap.add_argument("--platforms", nargs="+", default=["creator", "live", "marketplace"])
    ap.add_argument("--events", type=int, default=1_000_000, help="synthetic sets' size")
    ap.add_argument("--patience", type=int, default=1, help="dense_blocks' patience (synth)")
    ap.add_argument("--seeds", type=int, default=5)
    args = ap.parse_args()
    t0 = time.perf_counter()
    parts = [args.part] if args.part else ["null", "yelpchi", "synth", "rings", "inject"]
    for part in parts:
        print(f"\n## {part}\n", flush=True)
        if part == "null":
            part_null()
        elif part == "yelpchi":
            part_yelpchi(args.rewirings)
        elif part == "synth":
            part_synth(args.platforms, args.events, args.patience)
        elif part == "rings":
            part_rings()
        else:
            part_inject(args.seeds)
    print(f"\ntotal {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
