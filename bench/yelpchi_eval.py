"""Dense blocks on YelpChi with injected rings (FRAUDAR protocol).

Reads the YelpChi review graph (users x products), injects a 200 x 30 block at density
0.6 with no / random / biased camouflage and into hijacked accounts, runs FRAUDAR (raw and
trimmed) and degree baselines, and prints user and product F1 of the first block,
averaged over seeds (mean ± standard deviation, min).

    .venv/bin/python bench/yelpchi_eval.py [--data PATH] [--seeds 5]

With ``--dense-blocks`` it measures ``ringlens.detect.dense_blocks`` end to end instead:
the reviews become events (actor type ``user``, target type ``product``, action
``review``; background timestamps spread over a year, the injected edges over two weeks),
an ``EventGraph`` is built, and the injected users and products are compared with the
members of the reported block with the highest significance. It also reports what is
found on YelpChi without injection and for smaller injected rings.

    .venv/bin/python bench/yelpchi_eval.py --dense-blocks [--seeds 5]
"""

from __future__ import annotations

import argparse
import gzip
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import polars as pl
import scipy.sparse as sp

from ringlens.detect.dense import dense_blocks, fraudar, trim_block
from ringlens.detect.significance import block_significance
from ringlens.eval import inject_block, precision_recall_f1
from ringlens.graph import build_graph


def _find_data() -> Path:
    """``shared/data/yelpchi/metadata.gz`` next to the checkout (``../shared``), or higher up
    (a worktree under ``wt/``)."""
    here = Path(__file__).resolve()
    for parent in here.parents[1:]:
        path = parent / "shared" / "data" / "yelpchi" / "metadata.gz"
        if path.is_file():
            return path
    return here.parents[2] / "shared" / "data" / "yelpchi" / "metadata.gz"


DEFAULT_DATA = _find_data()

SCENARIOS = [
    ("none", dict(camouflage="none")),
    ("random", dict(camouflage="random")),
    ("biased", dict(camouflage="biased")),
    ("hijacked (random accounts)", dict(camouflage="none", hijacked=True)),
    ("hijacked + biased", dict(camouflage="biased", hijacked=True)),
    ("hijacked busiest accounts", dict(camouflage="none", hijacked=True, hijack="busiest")),
]


def load_yelpchi(path: Path) -> sp.csr_matrix:
    """Binary users x products matrix (one review per pair counted once)."""
    with gzip.open(path, "rt") as fh:
        cols = np.loadtxt(fh, dtype=str, usecols=(0, 1))
    users, u = np.unique(cols[:, 0], return_inverse=True)
    prods, p = np.unique(cols[:, 1], return_inverse=True)
    mat = sp.csr_matrix((np.ones(u.size), (u, p)), shape=(users.size, prods.size))
    mat.data[:] = 1.0
    return mat


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    return np.lexsort((np.arange(scores.size), -scores))[:k]


def run(mat: sp.csr_matrix, seeds: list[int], n_rows: int, n_cols: int, density: float):
    results: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for name, kw in SCENARIOS:
        for seed in seeds:
            inj = inject_block(mat, n_rows=n_rows, n_cols=n_cols, density=density, seed=seed, **kw)
            m = inj.matrix
            raw = fraudar(m, n_blocks=1)[0]
            trimmed = trim_block(m, raw)
            shrunk = trim_block(m, raw, expand=False)
            deg_r = np.diff(m.indptr).astype(float)
            deg_c = np.bincount(m.indices, minlength=m.shape[1]).astype(float)
            methods = {
                "FRAUDAR raw": (raw.rows, raw.cols),
                "FRAUDAR + trim (no expand)": (shrunk.rows, shrunk.cols),
                "FRAUDAR + trim": (trimmed.rows, trimmed.cols),
                "top-degree baseline": (top_k(deg_r, n_rows), top_k(deg_c, n_cols)),
            }
            for method, (rows, cols) in methods.items():
                fu = precision_recall_f1(rows.tolist(), inj.fraud_rows.tolist()).f1
                fp = precision_recall_f1(cols.tolist(), inj.fraud_cols.tolist()).f1
                results.setdefault((name, method), []).append((fu, fp))
    return results


START = datetime(2024, 1, 1, tzinfo=timezone.utc)
YEAR_US = 365 * 86400 * 10**6
TWO_WEEKS_US = 14 * 86400 * 10**6


def to_events(
    rows: np.ndarray, cols: np.ndarray, start_us: np.ndarray | int, span_us: int, seed: int
) -> pl.DataFrame:
    """Review events ``user:<row>`` -> ``product:<col>`` at random times in a window."""
    rng = np.random.default_rng(seed)
    ts = np.asarray(start_us) + rng.integers(0, span_us, rows.size)
    return pl.DataFrame(
        {
            "actor_id": rows.astype(str),
            "actor_type": "user",
            "target_id": cols.astype(str),
            "target_type": "product",
            "action": "review",
            "ts": pl.Series(ts, dtype=pl.Int64).cast(pl.Datetime("us", "UTC")),
        }
    )


def injected_events(
    base: sp.csr_matrix,
    inj,  # noqa: ANN001
    seed: int,
    span_us: int = TWO_WEEKS_US,
) -> pl.DataFrame:
    """The background over a year and the injected pairs (block + camouflage) over
    ``span_us`` (two weeks) somewhere in that year."""
    t0 = int(START.timestamp() * 10**6)
    bg = base.tocoo()
    background = to_events(bg.row, bg.col, t0, YEAR_US, seed)
    padded = sp.vstack([base, sp.csr_matrix((inj.matrix.shape[0] - base.shape[0], base.shape[1]))])
    new = (inj.matrix - padded.tocsr()).tocoo()
    keep = new.data > 0
    start = t0 + np.random.default_rng(seed + 1).integers(0, YEAR_US - span_us)
    block = to_events(new.row[keep], new.col[keep], start, span_us, seed + 2)
    return pl.concat([background, block])


def best_block(res, inj) -> tuple[float, float, int, float]:  # noqa: ANN001
    """User and product F1 of the reported block with the highest significance (the first
    of equals), the number of blocks reported and that block's significance."""
    if not len(res):
        return 0.0, 0.0, 0, 0.0
    g = int(res.groups.sort("significance", "group", descending=[True, False])["group"][0])
    users = [int(k.split(":", 1)[1]) for k in res.actors(g)]
    prods = [int(k.split(":", 1)[1]) for k in res.targets(g)]
    fu = precision_recall_f1(users, inj.fraud_rows.tolist()).f1
    fp = precision_recall_f1(prods, inj.fraud_cols.tolist()).f1
    return fu, fp, len(res), float(res.groups["significance"].max())


def found(res, inj) -> tuple[bool, float, float]:  # noqa: ANN001
    """Whether a reported block matches the injected users (Jaccard >= 0.5), and the user /
    product F1 of the best-matching reported block."""
    want = set(inj.fraud_rows.tolist())
    best = (False, 0.0, 0.0)
    for g in range(len(res)):
        users = {int(k.split(":", 1)[1]) for k in res.actors(g)}
        prods = [int(k.split(":", 1)[1]) for k in res.targets(g)]
        jac = len(users & want) / len(users | want)
        fu = precision_recall_f1(sorted(users), sorted(want)).f1
        fp = precision_recall_f1(prods, inj.fraud_cols.tolist()).f1
        if fu > best[1]:
            best = (jac >= 0.5, fu, fp)
    return best


def cell(vals: list[float]) -> str:
    a = np.asarray(vals, dtype=float)
    return f"{a.mean():.3f} ± {a.std():.3f} ({a.min():.3f})"


def run_dense_blocks(mat: sp.csr_matrix, seeds: list[int]) -> None:
    fam = {"actions": ["review"], "actor_types": ["user"], "target_types": ["product"]}
    t0 = int(START.timestamp() * 10**6)
    bg = mat.tocoo()
    raw = dense_blocks(build_graph(to_events(bg.row, bg.col, t0, YEAR_US, 0)), **fam)
    print(
        f"\nYelpChi without injection: {len(raw)} blocks reported, "
        f"{raw.tested.height} tested (largest significance "
        f"{raw.tested['significance'].max():.1f})\n"
    )
    print("200 x 30 at density 0.6; F1 of the reported block with the highest significance:")
    print("| injection | method | user F1 | product F1 | blocks reported | significance |")
    print("|---|---|---|---|---|---|")
    for name, kw in SCENARIOS:
        fu, fp, nb, du, dp, sg = [], [], [], [], [], []
        for seed in seeds:
            inj = inject_block(mat, n_rows=200, n_cols=30, density=0.6, seed=seed, **kw)
            res = dense_blocks(build_graph(injected_events(mat, inj, seed)), **fam)
            u, p, n, sig = best_block(res, inj)
            fu.append(u)
            fp.append(p)
            nb.append(n)
            sg.append(sig)
            m = inj.matrix
            deg_r = np.diff(m.indptr).astype(float)
            deg_c = np.bincount(m.indices, minlength=m.shape[1]).astype(float)
            du.append(precision_recall_f1(top_k(deg_r, 200).tolist(), inj.fraud_rows.tolist()).f1)
            dp.append(precision_recall_f1(top_k(deg_c, 30).tolist(), inj.fraud_cols.tolist()).f1)
        print(
            f"| {name} | dense_blocks | {cell(fu)} | {cell(fp)} | {min(nb)}–{max(nb)} "
            f"| {min(sg):.0f}–{max(sg):.0f} |"
        )
        print(f"| {name} | top-degree baseline | {cell(du)} | {cell(dp)} | — | — |", flush=True)
    print("\nsmaller rings: found = a reported block with Jaccard >= 0.5 on the injected users;")
    print("last column: block_significance of the injected block itself (min-max)")
    print("| ring | injection | found | user F1 of the best block | product F1 | significance |")
    print("|---|---|---|---|---|---|")
    small = [(20, 5, 0.3), (20, 5, 0.6), (40, 10, 0.3), (40, 10, 0.6)]
    for r, c, d in small:
        for name, kw in SCENARIOS[:4]:
            hits, fu, fp, sg = 0, [], [], []
            for seed in seeds:
                inj = inject_block(mat, n_rows=r, n_cols=c, density=d, seed=seed, **kw)
                res = dense_blocks(build_graph(injected_events(mat, inj, seed)), **fam)
                ok, u, p = found(res, inj)
                hits += ok
                fu.append(u)
                fp.append(p)
                sg.append(
                    block_significance(inj.matrix, inj.fraud_rows, inj.fraud_cols).significance
                )
            print(
                f"| {r} x {c} at {d} | {name} | {hits}/{len(seeds)} | {cell(fu)} | {cell(fp)} "
                f"| {min(sg):.0f}–{max(sg):.0f} |",
                flush=True,
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="YelpChi metadata.gz")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--rows", type=int, default=200)
    ap.add_argument("--cols", type=int, default=30)
    ap.add_argument("--density", type=float, default=0.6)
    ap.add_argument("--dense-blocks", action="store_true", help="dense_blocks on events")
    args = ap.parse_args()
    t0 = time.perf_counter()
    mat = load_yelpchi(args.data)
    if args.dense_blocks:
        print(f"YelpChi: {mat.shape[0]} users x {mat.shape[1]} products, {mat.nnz} edges")
        run_dense_blocks(mat, list(range(args.seeds)))
        print(f"\ntotal {time.perf_counter() - t0:.1f} s")
        return
    print(f"YelpChi: {mat.shape[0]} users x {mat.shape[1]} products, {mat.nnz} edges")
    res = run(mat, list(range(args.seeds)), args.rows, args.cols, args.density)
    print(
        f"\ninjected {args.rows} users x {args.cols} products at density {args.density}; "
        f"seeds 0..{args.seeds - 1}; F1 of the first block: mean ± sd (min)\n"
    )
    print("| injection | method | user F1 | product F1 |")
    print("|---|---|---|---|")
    for (name, method), vals in res.items():
        a = np.array(vals)
        cells = [
            f"{a[:, i].mean():.3f} ± {a[:, i].std():.3f} ({a[:, i].min():.3f})" for i in (0, 1)
        ]
        print(f"| {name} | {method} | {cells[0]} | {cells[1]} |")
    print(f"\ntotal {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
