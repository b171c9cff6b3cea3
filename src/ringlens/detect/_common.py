"""Helpers shared by the detectors: input coercion, igraph's global RNG, parameter checks."""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import logging
import random
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from ringlens.exceptions import ConfigError, InputError, check_float, check_int

if TYPE_CHECKING:  # pragma: no cover
    import igraph

    from ringlens.graph import EventGraph

log = logging.getLogger(__name__)

__all__ = [
    "GroupMembers",
    "TargetGroups",
    "as_igraph",
    "seeded_igraph",
    "check_int",
    "check_float",
    "filtered_events",
    "one_target_members",
]


class GroupMembers:
    """Accessors shared by the group results of the detectors (lockstep, shared attributes):
    a ``groups`` frame, one row per group, and a ``members`` frame (``group``, ``key``,
    ``role``, …) sorted by group, role, key."""

    groups: pl.DataFrame
    members: pl.DataFrame

    def __len__(self) -> int:
        return self.groups.height

    def to_frame(self) -> pl.DataFrame:
        """The :attr:`members` frame (``group``, ``key``, ``role`` and the per-member count)."""
        return self.members

    def _keys(self, group: int, role: str) -> list[str]:
        return self.members.filter((pl.col("group") == group) & (pl.col("role") == role))[
            "key"
        ].to_list()

    def actors(self, group: int) -> list[str]:
        """Sorted actor keys of one group."""
        return self._keys(group, "actor")


class TargetGroups(GroupMembers):
    """:class:`GroupMembers` whose groups have ``target`` members too (lockstep, dense
    blocks, communities, shared targets)."""

    def targets(self, group: int) -> list[str]:
        """Sorted target keys of one group."""
        return self._keys(group, "target")


#: held while igraph's process-wide generator is swapped (see :func:`seeded_igraph`)
_IGRAPH_RNG_LOCK = threading.RLock()


@contextlib.contextmanager
def seeded_igraph(seed: int) -> Iterator[None]:
    """Run igraph's randomised code with a private ``random.Random(seed)``.

    igraph's random number generator is global to the process; it is set to a fresh
    generator seeded with ``seed`` for the duration of the block and then restored to
    igraph's default (the :mod:`random` module), so the same input and seed give the same
    result whatever ran before, and the caller's :mod:`random` state is left alone. The
    block holds a process-wide lock: two threads (a notebook's executor, the workbench's
    worker threads) never draw from each other's generator; nested blocks in one thread
    are allowed.
    """
    import igraph as ig

    with _IGRAPH_RNG_LOCK:
        ig.set_random_number_generator(random.Random(seed))
        try:
            yield
        finally:
            ig.set_random_number_generator(random)


def as_igraph(graph: Any, *, directed: bool = False, mutable: bool = False) -> igraph.Graph:
    """An igraph graph with a ``name`` vertex attribute (node keys) and a ``weight`` edge attribute.

    Accepts a :class:`~ringlens.graph.Projection` (undirected, weight = shared targets), an
    :class:`~ringlens.graph.EventGraph` (weight = event count; undirected unless
    ``directed``, with the two directions of a pair summed into one edge) or an
    ``igraph.Graph`` that has a ``name`` vertex attribute (edges without a ``weight``
    attribute count 1). The graph passed in is never modified: an ``igraph.Graph`` that
    already has both attributes (and the wanted direction) is returned as it is, to be
    read, not changed (copying 750k edges with their attributes costs 0.09 s, an eighth
    of a Louvain run); a caller that changes the result passes ``mutable=True`` and gets a
    copy.
    """
    import igraph as ig

    from ringlens.graph import EventGraph, Projection

    if isinstance(graph, Projection):
        g = graph.to_igraph()
        return g.as_directed(mode="mutual") if directed else g
    if isinstance(graph, EventGraph):
        return graph.to_igraph(directed=directed)
    if isinstance(graph, ig.Graph):
        if graph.vcount() and "name" not in graph.vs.attributes():
            raise InputError(
                "igraph.Graph input needs a 'name' vertex attribute holding node keys ('type:id')"
            )
        named = "name" in graph.vs.attributes()  # only an empty graph may lack it (above)
        weighted = "weight" in graph.es.attributes()
        collapse = graph.is_directed() and not directed
        if named and weighted and not collapse and not mutable:
            return graph
        g = graph.copy()
        if not named:
            g.vs["name"] = []
        if not weighted:
            g.es["weight"] = [1.0] * g.ecount()
        if collapse:
            g = g.as_undirected(mode="collapse", combine_edges={"weight": "sum"})
        return g
    raise InputError(
        f"expected an EventGraph, a Projection or an igraph.Graph, got {type(graph).__name__}"
    )


def one_target_members(actors: pl.DataFrame, targets: pl.DataFrame) -> pl.DataFrame:
    """Members of groups of one target each: the ``actors`` rows (``group, key, role,
    hits``) and, per group of ``targets`` (``group, target``), the target with its
    actors' hits summed."""
    sums = actors.group_by("group").agg(pl.col("hits").sum())
    tgt = targets.select("group", pl.col("target").alias("key"), pl.lit("target").alias("role"))
    return pl.concat([actors, tgt.join(sums, on="group").select(actors.columns)])


def filtered_events(
    graph: Any,
    *,
    actions: list[str] | None = None,
    actor_types: list[str] | None = None,
    target_types: list[str] | None = None,
    extra: tuple[str, ...] = (),
) -> pl.DataFrame:
    """The graph's events (``src``, ``dst``, ``action``, ``ts`` and those of the ``extra``
    columns it has) restricted by action and types.

    Names are compared as the graph stores them, normalised (case and spacing do not
    matter: ``"Review "`` selects ``review``)."""
    from ringlens.graph.roles import normalise_name

    actions = None if actions is None else [normalise_name(a) for a in actions]
    actor_types = None if actor_types is None else [normalise_name(t) for t in actor_types]
    target_types = None if target_types is None else [normalise_name(t) for t in target_types]
    more = [c for c in extra if c in graph.events.columns]
    ev = graph.events.select("src", "dst", "action", "ts", *more)
    if hasattr(graph, "family_rows"):  # an EventGraph: its family index has the rows
        rows = graph.family_rows(
            actions=actions, actor_types=actor_types, target_types=target_types
        )
        return ev if rows is None else ev[rows]
    if actions is not None:
        ev = ev.filter(pl.col("action").is_in(list(actions)))
    types = graph.nodes.select("node", "node_type")
    if actor_types is not None:
        keep = types.filter(pl.col("node_type").is_in(list(actor_types))).select(
            pl.col("node").alias("src")
        )
        ev = ev.join(keep, on="src", how="semi")
    if target_types is not None:
        keep = types.filter(pl.col("node_type").is_in(list(target_types))).select(
            pl.col("node").alias("dst")
        )
        ev = ev.join(keep, on="dst", how="semi")
    return ev


def check_str_list(name: str, value: object) -> list[str] | None:
    """``None`` or a non-empty list/tuple of strings (a bare string is one item)."""
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple) and value and all(isinstance(v, str) for v in value):
        return list(value)
    raise ConfigError(f"{name} must be None or a non-empty list of strings, got {value!r}")


# ---- statistics and co-interaction helpers shared by the significance-based detectors ----


def poisson_log10_sf(k: np.ndarray | float, mu: np.ndarray | float) -> np.ndarray:
    """``log10 P(X >= k)`` for ``X ~ Poisson(mu)``, vectorised and without underflow.

    Where the tail is representable (``> 1e-280``) it is scipy's regularised incomplete
    gamma (``pdtrc``, what ``scipy.stats.poisson.sf`` calls); further out it is the
    upper bound ``pmf(k) / (1 - mu / (k + 1))`` (valid for ``k + 1 > mu``; exact to a few
    percent there), so the result never reads ``-inf`` for a finite ``mu > 0``. ``k <= 0``
    gives 0 (certain).

    Examples
    --------
    >>> import numpy as np
    >>> np.round(poisson_log10_sf(np.array([0, 1, 3]), 1.0), 4).tolist()
    [0.0, -0.1992, -1.0953]
    >>> float(poisson_log10_sf(400, 0.01)) < -1000
    True
    """
    from scipy.special import gammaln, pdtrc

    k = np.asarray(k, dtype=np.float64)
    mu = np.maximum(np.asarray(mu, dtype=np.float64), 1e-300)
    k, mu = np.broadcast_arrays(k, mu)
    out = np.zeros(k.shape, dtype=np.float64)
    pos = k > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        direct = pdtrc(np.where(pos, k - 1, 0), mu)
        ok = pos & (direct > 1e-280)
        out[ok] = np.log10(direct[ok])
        far = pos & ~ok
        kf, mf = k[far], mu[far]
        logpmf = kf * np.log(mf) - mf - gammaln(kf + 1)
        ratio = np.clip(mf / (kf + 1), 0.0, 1 - 1e-12)
        out[far] = (logpmf - np.log1p(-ratio)) / np.log(10)
    return np.minimum(out, 0.0)


def bonferroni_log10(log10_p: np.ndarray, n_tests: int) -> np.ndarray:
    """Bonferroni-corrected ``log10`` p-values (capped at 0, that is p <= 1)."""
    return np.minimum(np.asarray(log10_p, dtype=np.float64) + np.log10(max(n_tests, 1)), 0.0)


def log10_binom(n: np.ndarray | float, k: np.ndarray | float) -> np.ndarray:
    """``log10`` of the binomial coefficient ``C(n, k)``, vectorised (``0 <= k <= n``).

    Examples
    --------
    >>> round(float(log10_binom(10, 3)), 6) == round(float(np.log10(120)), 6)
    True
    """
    from scipy.special import gammaln

    n = np.asarray(n, dtype=np.float64)
    k = np.asarray(k, dtype=np.float64)
    return (gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1)) / np.log(10)


def scan_log10_pvalue(
    cells: np.ndarray,
    expected: np.ndarray,
    n_rows: np.ndarray,
    n_cols: np.ndarray,
    total_rows: np.ndarray | int,
    total_cols: np.ndarray | int,
) -> np.ndarray:
    """``log10`` p-value of a block found by searching, corrected for the search.

    A block of ``n_rows`` accounts × ``n_cols`` targets holding ``cells`` interactions,
    where the configuration model expects ``expected``: ``P(X >= cells)`` for
    ``X ~ Poisson(expected)``, times the number of blocks of that shape that could have
    been chosen, ``C(total_rows, n_rows) * C(total_cols, n_cols)`` (a union bound: the
    expected number of such blocks anywhere in data without rings is at most the
    result). Capped at 0 (p <= 1). This is the Bonferroni correction of scan statistics
    (Kulldorff, "A spatial scan statistic", Communications in Statistics 26, 1997): a
    detector that searches every group of accounts must pay for the groups it could have
    returned, or a large data set always holds a "significant" small coincidence.

    Examples
    --------
    >>> import numpy as np
    >>> # 5 accounts on the same 2 targets (10 cells, 0.05 expected) among 2,000 x 3,000
    >>> round(float(scan_log10_pvalue(np.array([10]), np.array([0.05]), np.array([5]),
    ...     np.array([2]), 2000, 3000)[0]), 1)
    0.0
    >>> # 30 accounts on 5 targets (120 cells, 0.5 expected): far beyond any search
    >>> float(scan_log10_pvalue(np.array([120]), np.array([0.5]), np.array([30]),
    ...     np.array([5]), 2000, 3000)[0]) < -100
    True
    """
    lp = poisson_log10_sf(cells, expected)
    rows = np.maximum(np.asarray(total_rows, dtype=np.float64), 1.0)
    cols = np.maximum(np.asarray(total_cols, dtype=np.float64), 1.0)
    search = log10_binom(rows, np.minimum(n_rows, rows)) + log10_binom(
        cols, np.minimum(n_cols, cols)
    )
    return np.minimum(lp + search, 0.0)


def family_cells(
    graph: EventGraph,
    *,
    actions: list[str] | None = None,
    actor_types: list[str] | None = None,
    target_types: list[str] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Distinct ``(src, dst)`` node-id pairs of a family's events (who touched what),
    sorted by ``(src, dst)``, as two int64 arrays.

    The event table of an :class:`~ringlens.graph.EventGraph` is in ``(src, dst, ts)``
    order, so the distinct pairs are the starts of runs (no hashing, no sort); a table
    in another order is sorted first.
    """
    rows = graph.family_rows(actions=actions, actor_types=actor_types, target_types=target_types)
    src = graph.events["src"].to_numpy()
    dst = graph.events["dst"].to_numpy()
    if rows is not None:
        src, dst = src[rows], dst[rows]
    if src.size < 2:
        return src.astype(np.int64), dst.astype(np.int64)
    # the rows keep the table's (src, dst) order: the distinct pairs are where a run
    # starts, found on the 32-bit ids (no 64-bit keys for every event)
    same_src = src[1:] == src[:-1]
    new_dst = dst[1:] != dst[:-1]
    if bool(np.all((src[1:] > src[:-1]) | (same_src & (dst[1:] >= dst[:-1])))):
        first = np.empty(src.size, dtype=bool)
        first[0] = True
        np.logical_or(~same_src, new_dst, out=first[1:])
        return src[first].astype(np.int64), dst[first].astype(np.int64)
    key = np.sort((src.astype(np.uint64) << np.uint64(32)) | dst.astype(np.uint64))
    key = key[np.concatenate(([True], key[1:] != key[:-1]))]
    return (key >> np.uint64(32)).astype(np.int64), (key & np.uint64(0xFFFFFFFF)).astype(np.int64)


def pair_budget_cap(audience: np.ndarray, max_pairs: int, *, work: np.ndarray | None = None) -> int:
    """Largest audience ``d`` such that the targets with ``audience <= d`` generate at most
    ``max_pairs`` actor pairs; at least 2.

    A target generates ``w (w - 1) / 2`` pairs, ``w`` its entry in ``work`` (by default its
    audience; a caller that only pairs some of the audience — the accounts with two targets
    or more — passes that count). Targets of one audience are kept or left out together.

    Examples
    --------
    >>> import numpy as np
    >>> pair_budget_cap(np.array([2, 3, 3, 10, 50]), 10)   # 1 + 3 + 3 = 7 pairs; 10 adds 45
    3
    >>> pair_budget_cap(np.array([2, 3, 3, 10, 50]), 10, work=np.array([2, 2, 2, 3, 50]))
    10
    """
    d = np.asarray(audience, dtype=np.int64)
    w = d if work is None else np.asarray(work, dtype=np.int64)
    values, inverse = np.unique(d, return_inverse=True)
    per_value = np.bincount(inverse, weights=(w * (w - 1) // 2).astype(np.float64))
    cum = np.cumsum(per_value)
    fits = values[cum <= max_pairs]
    return max(int(fits[-1]), 2) if fits.size else 2


_pairs_lock = threading.Lock()
_pairs_state: dict[str, Any] = {}


def _pairs_extension() -> Any:
    """``ringlens_cohits`` from the built extension module ``ringlens.detect._pairs``, or
    None when it is not built (then :func:`cohit_counts` uses scipy's sparse product)."""
    with _pairs_lock:
        if "fn" in _pairs_state:
            return _pairs_state["fn"]
        fn = None
        try:
            spec = importlib.util.find_spec("ringlens.detect._pairs")
            if spec is None or not spec.origin:
                raise ImportError("ringlens.detect._pairs is not built")
            importlib.import_module("ringlens.detect._pairs")  # checks that it loads
            lib = ctypes.CDLL(spec.origin)
            fn = lib.ringlens_cohits
            i64p = np.ctypeslib.ndpointer(np.int64, ndim=1, flags="C_CONTIGUOUS")
            i32p = np.ctypeslib.ndpointer(np.int32, ndim=1, flags="C_CONTIGUOUS")
            i64, i32 = ctypes.c_int64, ctypes.c_int32
            fn.restype = i64
            fn.argtypes = [i64, i64, i64p, i32p, i64p, i32p, i32, i64, i32p, i32p, i32p]
        except (ImportError, OSError, AttributeError) as exc:
            fn = None
            log.info(
                "co-interaction C extension unavailable (%s); counting pairs with scipy's "
                "sparse product (slower, same result)",
                exc,
            )
        _pairs_state["fn"] = fn
        return fn


def cohit_counts(
    rows: np.ndarray,
    cols: np.ndarray,
    n_rows: int,
    n_cols: int,
    *,
    min_shared: int = 1,
    backend: str = "auto",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs of rows (``a < b``) that share at least ``min_shared`` columns, and how many
    they share, sorted by ``(a, b)``.

    ``rows``/``cols`` are the cells of a binary matrix (no duplicates). With the C
    extension (``backend="auto"`` when built, or ``"c"``) each row's co-occurrences are
    counted in a dense accumulator and only the pairs that reach ``min_shared`` are ever
    stored: the work is ``sum d (d - 1) / 2`` over the columns (``d`` their row counts)
    and the memory the output. ``backend="scipy"`` computes the upper triangle of
    ``B @ B.T`` (every co-occurring pair stored, then filtered): same result.

    Examples
    --------
    >>> import numpy as np
    >>> r, c = np.array([0, 0, 1, 1, 2, 2]), np.array([0, 1, 0, 1, 1, 2])
    >>> [x.tolist() for x in cohit_counts(r, c, 3, 3)]
    [[0, 0, 1], [1, 2, 2], [2, 1, 1]]
    >>> [x.tolist() for x in cohit_counts(r, c, 3, 3, min_shared=2, backend="scipy")]
    [[0], [1], [2]]
    """
    empty = np.zeros(0, dtype=np.int64)
    if rows.size == 0:
        return empty, empty, empty.copy()
    fn = _pairs_extension() if backend in ("auto", "c") else None
    if backend == "c" and fn is None:
        raise ConfigError(
            "backend='c' needs the C extension ringlens.detect._pairs, which pip builds when "
            "a C compiler is present at install time"
        )
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    key = rows * max(n_cols, 1) + cols
    if not bool(np.all(key[1:] > key[:-1])):
        order = np.argsort(key, kind="stable")
        rows, cols = rows[order], cols[order]
    rptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n_rows), out=rptr[1:])
    if fn is not None and n_rows < 2**31 and n_cols < 2**31:
        import scipy.sparse as sp

        rind = cols.astype(np.int32)
        # the column-major copy by scipy's counting transpose (rows stay ascending within a
        # column), ten times faster than a stable argsort of the columns
        by_col = sp.csr_matrix(
            (np.ones(rows.size, dtype=np.int8), rind, rptr), shape=(n_rows, n_cols)
        ).tocsc()
        cptr = by_col.indptr.astype(np.int64)
        cind = by_col.indices.astype(np.int32)
        capacity = max(1024, rows.size)
        while True:
            out = [np.empty(capacity, dtype=np.int32) for _ in range(3)]
            found = int(fn(n_rows, n_cols, rptr, rind, cptr, cind, int(min_shared), capacity, *out))
            if found < 0:
                raise MemoryError("cohit_counts: the C extension could not allocate its buffers")
            if found <= capacity:
                return tuple(x[:found].astype(np.int64) for x in out)  # type: ignore[return-value]
            capacity = found
    import scipy.sparse as sp

    b = sp.csr_matrix((np.ones(rows.size, dtype=np.float32), cols, rptr), shape=(n_rows, n_cols))
    c = sp.triu(b @ b.T, k=1).tocoo()
    keep = c.data >= min_shared
    a_, b_, n_ = c.row[keep], c.col[keep], np.rint(c.data[keep])
    order = np.lexsort((b_, a_))
    return a_[order].astype(np.int64), b_[order].astype(np.int64), n_[order].astype(np.int64)


def group_order(actor_keys: pl.DataFrame) -> pl.DataFrame:
    """``comp`` → ``group``: groups numbered by size (most actors first), ties by the
    smallest actor key, so ids never depend on internal vertex order. ``actor_keys`` holds
    ``comp`` and ``key`` (one row per actor)."""
    return (
        actor_keys.group_by("comp")
        .agg(pl.len().alias("n"), pl.col("key").min().alias("first"))
        .sort(["n", "first"], descending=[True, False])
        .with_row_index("group")
        .select("comp", pl.col("group").cast(pl.Int64))
    )
