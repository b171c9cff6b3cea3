"""Ring views: one self-contained, offline, interactive HTML page per ring.

The network model and its vis-network options come from :class:`pyvis.network.Network`;
the page is rendered by ringlens' own autoescaped Jinja2 template (pyvis' template loads
scripts from CDNs and does not escape data; see ``docs/views.md``). Positions are computed
in Python with igraph (Kamada-Kawai for small views, grid Fruchterman-Reingold for large
ones), so the browser draws at once with
physics off.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, cast

import igraph
import numpy as np
import polars as pl
from markupsafe import Markup, escape
from pyvis.network import Network
from scipy.spatial import cKDTree

from ringlens.detect import seeded_igraph
from ringlens.exceptions import ConfigError, InputError, SchemaError
from ringlens.viz._common import (
    as_text_expr,
    atomic_write_text,
    content_security_policy,
    own_script,
    require_columns,
    require_frame,
    script_json,
    template_env,
    vis_assets,
)

__all__ = [
    "RingView",
    "ring_view",
    "ring_view_context",
    "safe_href",
    "TYPE_COLORS",
    "NODE_COLUMNS",
    "EDGE_COLUMNS",
]

logger = logging.getLogger(__name__)

#: Columns of the nodes frame with a fixed meaning; any other column is an extra feature
#: shown in the tooltip (``x`` and ``y``, when both present, are precomputed positions).
NODE_COLUMNS = (
    "key",
    "node_type",
    "node_id",
    "label",
    "risk_score",
    "reasons",
    "in_ring",
    "key_target",
    "ring_id",
)
#: Columns of the edges frame with a fixed meaning (``first_ts``, ``last_ts`` optional).
EDGE_COLUMNS = ("src", "dst", "weight", "actions")

#: Fixed colours of the entity types of the data contract (colour-blind-safe Tableau 10).
TYPE_COLORS: Mapping[str, str] = MappingProxyType(
    {
        "creator": "#e15759",
        "seller": "#f28e2b",
        "buyer": "#4e79a7",
        "product": "#59a14f",
        "content": "#b07aa1",
        "device": "#9c755f",
        "payment": "#edc948",
        "payout": "#edc948",
        "payout_account": "#edc948",
    }
)
_FALLBACK_COLORS = (
    "#76b7b2",
    "#ff9da7",
    "#bab0ac",
    "#499894",
    "#d37295",
    "#a0cbe8",
    "#8cd17d",
    "#b6992d",
    "#79706e",
    "#d4a6c8",
)
_MEMBER_BORDER = "#1f2937"
_KEY_BORDER = "#b91c1c"
_CONTEXT_BORDER = "#9ca3af"
_MEMBER_EDGE = "#4b5563"
_CONTEXT_EDGE = "#cbd5e1"
_MAX_EVIDENCE_ROWS = 2000
_MAX_EXTRA_COLUMNS = 24
_MAX_LABEL = 40
_BIG_GRAPH_EDGES = 3000
# Up to this many nodes Kamada-Kawai (O(n^2) memory, 0.15 s at 300 nodes on 2 cores): it
# spreads dense rings evenly. Above, Fruchterman-Reingold's grid variant, which only repels
# nearby nodes (0.1 s at 500 nodes, 1.4 s at 20,000).
_SMALL_LAYOUT = 300
# Label sizes (px at zoom 1); the page scales them up when the first fit zooms out, so
# labels stay readable at the default zoom (ring.js, relabel()).
_FONT_MAIN = 16
_FONT_CONTEXT = 12
# A link the page may hold: a relative path or an absolute path on the same server, made
# of safe characters and percent-escapes only (no scheme, no "//", no quotes, no spaces).
_SAFE_HREF = re.compile(
    r"^(?!//)(/|\.\./|\./)?(?:[A-Za-z0-9_\-./]|%[0-9A-Fa-f]{2})+"
    r"(\?(?:[A-Za-z0-9_\-.=&+]|%[0-9A-Fa-f]{2})*)?$"
)


def safe_href(href: str) -> str:
    """``href`` if it is a same-site relative or absolute path of safe characters, else
    :class:`~ringlens.exceptions.ConfigError` (views never link to data-derived URLs).

    Examples
    --------
    >>> safe_href("../viz/ring_ab12.html"), safe_href("/ring/ring_ab12?run=r1")
    ('../viz/ring_ab12.html', '/ring/ring_ab12?run=r1')
    >>> safe_href("/ring/javascript%3Aalert%281%29?run=r%3C1%3E")
    '/ring/javascript%3Aalert%281%29?run=r%3C1%3E'
    >>> safe_href("javascript:alert(1)")
    Traceback (most recent call last):
    ringlens.exceptions.ConfigError: unsafe link 'javascript:alert(1)' (expected a path of [A-Za-z0-9_-./] and %-escapes)
    """
    if (
        not isinstance(href, str)
        or not _SAFE_HREF.match(href)
        or ".." in href.replace("../", "")
        or "%2e" in href.lower()  # an escaped dot can make a '..' segment
    ):
        raise ConfigError(
            f"unsafe link {href!r} (expected a path of [A-Za-z0-9_-./] and %-escapes)"
        )
    return href


@dataclass(frozen=True)
class RingView:
    """A rendered view: one complete HTML document.

    Attributes
    ----------
    title : str
        The page title (untrusted text, escaped in the page).
    n_nodes, n_edges : int
        How many nodes and edges the page draws.

    Examples
    --------
    >>> import polars as pl
    >>> nodes = pl.DataFrame({"key": ["creator:1", "product:9"], "node_type": ["creator", "product"],
    ...     "node_id": ["1", "9"], "label": ["Ann", "Mug"], "risk_score": [91.0, None],
    ...     "reasons": [["lockstep"], []], "in_ring": [True, False]})
    >>> edges = pl.DataFrame({"src": ["creator:1"], "dst": ["product:9"], "weight": [3.0],
    ...     "actions": [["promote"]]})
    >>> view = ring_view(nodes, edges, title="Ring 1")
    >>> view
    RingView(title='Ring 1', n_nodes=2, n_edges=1)
    >>> view.html().startswith("<!DOCTYPE html>")
    True
    >>> view._repr_html_().startswith("<iframe")
    True
    """

    title: str
    n_nodes: int
    n_edges: int
    _html: str = field(repr=False)

    def html(self) -> str:
        """The full HTML document (self-contained: scripts, styles and data inlined)."""
        return self._html

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the page to ``path`` atomically (temporary file, then ``os.replace``).

        Parameters
        ----------
        path : str or PathLike
            Target file; parent folders are created.

        Returns
        -------
        pathlib.Path
            The path written.

        Examples
        --------
        >>> import tempfile, polars as pl
        >>> view = ring_view(pl.DataFrame({"key": ["buyer:7"]}),
        ...                  pl.DataFrame({"src": [], "dst": []}, schema={"src": pl.String, "dst": pl.String}),
        ...                  title="one node")
        >>> with tempfile.TemporaryDirectory() as d:
        ...     p = view.save(f"{d}/viz/ring_a.html")
        ...     p.read_text(encoding="utf-8") == view.html()
        True
        """
        target = atomic_write_text(path, self._html)
        logger.info("wrote ring view %s (%d nodes, %d edges)", target, self.n_nodes, self.n_edges)
        return target

    def _repr_html_(self) -> str:
        # A sandboxed iframe (scripts allowed, no same-origin): the page's own CSP applies
        # and it can reach neither the notebook's DOM nor its cookies.
        return (
            '<iframe sandbox="allow-scripts" referrerpolicy="no-referrer" '
            'style="width:100%;height:760px;border:1px solid #ddd" '
            f'title="{escape(self.title)}" srcdoc="{escape(self._html)}"></iframe>'
        )


def _lighten(hex_color: str, amount: float = 0.6) -> str:
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    mix = [round(c + (255 - c) * amount) for c in (r, g, b)]
    return "#" + "".join(f"{c:02x}" for c in mix)


def _type_colors(types: list[str]) -> dict[str, str]:
    colors: dict[str, str] = {}
    unknown = 0
    for t in types:  # types are sorted, so fallback colours are deterministic
        if t in TYPE_COLORS:
            colors[t] = TYPE_COLORS[t]
        else:
            colors[t] = _FALLBACK_COLORS[unknown % len(_FALLBACK_COLORS)]
            unknown += 1
    return colors


def _prepare_nodes(nodes: object) -> tuple[pl.DataFrame, list[str], bool]:
    """Canonical node frame, the extra column names, and whether x/y are usable."""
    frame = require_frame(nodes, "nodes")
    require_columns(frame, "nodes", ["key"])
    if frame.schema["key"] != pl.String:
        raise SchemaError(f"nodes column 'key' must be strings, got {frame.schema['key']}")
    if frame["key"].null_count():
        row = int(frame["key"].is_null().arg_max() or 0)
        raise SchemaError(f"nodes column 'key' has a null in row {row}")
    dup = frame["key"].is_duplicated()
    if dup.any():
        first = frame["key"].filter(dup)[0]
        raise SchemaError(f"nodes column 'key' has duplicates, e.g. {first!r}")
    key = pl.col("key")
    cols = frame.columns
    exprs: list[pl.Expr] = [key]
    exprs.append(
        pl.col("node_type").cast(pl.String).fill_null("?")
        if "node_type" in cols
        else pl.when(key.str.contains(":", literal=True))
        .then(key.str.splitn(":", 2).struct.field("field_0"))
        .otherwise(pl.lit("?"))
    )
    exprs[-1] = exprs[-1].alias("node_type")
    node_id = (
        pl.col("node_id").cast(pl.String)
        if "node_id" in cols
        else pl.when(key.str.contains(":", literal=True))
        .then(key.str.splitn(":", 2).struct.field("field_1"))
        .otherwise(key)
    )
    exprs.append(node_id.fill_null("").alias("node_id"))
    label = pl.col("label").cast(pl.String) if "label" in cols else pl.lit(None, pl.String)
    exprs.append(
        pl.when(label.is_null() | (label == ""))
        .then(pl.col("__rl_nid"))
        .otherwise(label)
        .alias("label")
    )
    if "risk_score" in cols:
        dtype = frame.schema["risk_score"]
        if not (dtype.is_numeric() or dtype == pl.Null):
            raise SchemaError(f"nodes column 'risk_score' must be numeric, got {dtype}")
        r = pl.col("risk_score").cast(pl.Float64)
        exprs.append(
            pl.when(r.is_nan() | r.is_infinite()).then(None).otherwise(r).alias("risk_score")
        )
    else:
        exprs.append(pl.lit(None, pl.Float64).alias("risk_score"))
    exprs.append(_string_list("reasons", frame, "nodes"))
    if "in_ring" in cols:
        if frame.schema["in_ring"] not in (pl.Boolean, pl.Null):
            raise SchemaError(
                f"nodes column 'in_ring' must be boolean, got {frame.schema['in_ring']}"
            )
        exprs.append(pl.col("in_ring").cast(pl.Boolean).fill_null(False))
    else:
        exprs.append(pl.lit(True).alias("in_ring"))
    if "key_target" in cols:
        if frame.schema["key_target"] not in (pl.Boolean, pl.Null):
            raise SchemaError(
                f"nodes column 'key_target' must be boolean, got {frame.schema['key_target']}"
            )
        exprs.append(pl.col("key_target").cast(pl.Boolean).fill_null(False))
    else:
        exprs.append(pl.lit(False).alias("key_target"))
    exprs.append(
        pl.col("ring_id").cast(pl.String).alias("ring_id")
        if "ring_id" in cols
        else pl.lit(None, pl.String).alias("ring_id")
    )
    has_xy = (
        "x" in cols
        and "y" in cols
        and frame.schema["x"].is_numeric()
        and frame.schema["y"].is_numeric()
        and frame.height > 0
        and frame["x"].null_count() == 0
        and frame["y"].null_count() == 0
        and bool(frame["x"].cast(pl.Float64).is_finite().all())
        and bool(frame["y"].cast(pl.Float64).is_finite().all())
    )
    extra = [c for c in cols if c not in NODE_COLUMNS and c not in ("x", "y")]
    if len(extra) > _MAX_EXTRA_COLUMNS:
        logger.info(
            "ring view shows the first %d of %d extra columns", _MAX_EXTRA_COLUMNS, len(extra)
        )
        extra = extra[:_MAX_EXTRA_COLUMNS]
    extra_exprs = [
        as_text_expr(c, frame.schema[c]).alias(f"__rl_x{i}") for i, c in enumerate(extra)
    ]
    xy = (
        [
            pl.col("x").cast(pl.Float64).alias("__rl_px"),
            pl.col("y").cast(pl.Float64).alias("__rl_py"),
        ]
        if has_xy
        else []
    )
    out = frame.with_columns(node_id.fill_null("").alias("__rl_nid")).select(
        *exprs, *extra_exprs, *xy
    )
    return out, extra, has_xy


def _string_list(name: str, frame: pl.DataFrame, what: str) -> pl.Expr:
    if name not in frame.columns:
        return pl.lit([], pl.List(pl.String)).alias(name)
    dtype = frame.schema[name]
    col = pl.col(name)
    if dtype == pl.String:
        expr = (
            pl.when(col.is_null() | (col == ""))
            .then(pl.lit([], pl.List(pl.String)))
            .otherwise(pl.concat_list(col))
        )
    elif isinstance(dtype, pl.List):
        expr = col.list.eval(pl.element().cast(pl.String)).fill_null(pl.lit([], pl.List(pl.String)))
    elif dtype == pl.Null:
        expr = pl.lit([], pl.List(pl.String))
    else:
        raise SchemaError(f"{what} column {name!r} must be a list of strings, got {dtype}")
    return expr.alias(name)


def _prepare_edges(edges: object, keys: pl.DataFrame) -> pl.DataFrame:
    frame = require_frame(edges, "edges")
    require_columns(frame, "edges", ["src", "dst"])
    for c in ("src", "dst"):
        if frame.schema[c] not in (pl.String, pl.Null):
            raise SchemaError(
                f"edges column {c!r} must hold node keys (strings), got {frame.schema[c]}"
            )
        if frame[c].null_count():
            row = int(frame[c].is_null().arg_max() or 0)
            raise SchemaError(f"edges column {c!r} has a null in row {row}")
    cols = frame.columns
    if "weight" in cols:
        if not (frame.schema["weight"].is_numeric() or frame.schema["weight"] == pl.Null):
            raise SchemaError(
                f"edges column 'weight' must be numeric, got {frame.schema['weight']}"
            )
        w = pl.col("weight").cast(pl.Float64)
        weight = pl.when(w.is_null() | w.is_nan() | w.is_infinite()).then(1.0).otherwise(w)
    else:
        weight = pl.lit(1.0)
    ts = [
        as_text_expr(c, frame.schema[c]).alias(c) if c in cols else pl.lit("").alias(c)
        for c in ("first_ts", "last_ts")
    ]
    out = frame.select(
        pl.col("src").cast(pl.String),
        pl.col("dst").cast(pl.String),
        weight.alias("weight"),
        _string_list("actions", frame, "edges"),
        *ts,
    )
    idx = keys.select(pl.col("key"), pl.int_range(pl.len(), dtype=pl.Int64).alias("_i"))
    out = (
        out.with_row_index("_e")
        .join(idx.rename({"key": "src", "_i": "_s"}), on="src", how="left")
        .join(idx.rename({"key": "dst", "_i": "_d"}), on="dst", how="left")
        .sort("_e")
    )
    bad = out.filter(pl.col("_s").is_null() | pl.col("_d").is_null())
    if bad.height:
        bad_row = bad.row(0, named=True)
        missing = bad_row["src"] if bad_row["_s"] is None else bad_row["dst"]
        raise InputError(
            f"edges row {bad_row['_e']} refers to node {missing!r}, which is not in the nodes frame "
            f"({bad.height} edge(s) like this)"
        )
    return out


def _layout(n: int, src: np.ndarray, dst: np.ndarray, seed: int) -> np.ndarray:
    """Kamada-Kawai (up to 300 nodes) or grid Fruchterman-Reingold positions, in pixels."""
    if n == 0:
        return np.zeros((0, 2))
    if n == 1:
        return np.zeros((1, 2))
    rng = np.random.default_rng(seed)
    # igraph's own start box; a wider one makes the grid variant ~5x slower at 20k nodes
    init = rng.uniform(-0.5, 0.5, size=(n, 2)) * math.sqrt(n)
    graph = igraph.Graph(n=n, edges=np.column_stack([src, dst]).tolist(), directed=False)
    # igraph's RNG is global: seeded for this call under the process-wide lock (views are
    # drawn from several threads: a run's pages, the workbench's workers)
    with seeded_igraph(seed):
        if n <= _SMALL_LAYOUT:
            layout = graph.layout_kamada_kawai(seed=init.tolist())
        else:
            layout = graph.layout_fruchterman_reingold(seed=init.tolist(), niter=500, grid="grid")
    coords = np.asarray(layout.coords, dtype=float)
    coords -= coords.mean(axis=0)
    keep = src != dst
    if keep.any():
        lengths = np.linalg.norm(coords[src[keep]] - coords[dst[keep]], axis=1)
        ref = float(np.median(lengths))
        target = 130.0
    else:
        ref = float(np.abs(coords).max())
        target = 60.0 * math.sqrt(n)
    scale = target / ref if ref > 1e-9 else 1.0
    # Dense rings collapse into a knot when scaled by edge length alone: also ask for a
    # typical nearest-neighbour gap of 90 px (at most 4x the edge-length scale).
    nn = cKDTree(coords).query(coords, k=2)[0][:, 1]
    nn_ref = float(np.median(nn))
    if nn_ref > 1e-9:
        scale = min(max(scale, 90.0 / nn_ref), 4.0 * scale)
    coords *= scale
    if not np.isfinite(coords).all():  # pragma: no cover - defensive
        coords = init * 60.0
    return np.round(coords, 1) + 0.0  # + 0.0 turns -0.0 into 0.0


def _vis_nodes(
    nf: pl.DataFrame, pos: np.ndarray, colors: dict[str, str], center_idx: int | None
) -> list[dict[str, Any]]:
    """vis-network node dicts: colour by type, size by risk, members dark-bordered, key
    targets as full-colour diamonds with a red border, context pale."""
    type_index = {t: i for i, t in enumerate(sorted(colors))}
    sizes = nf.select(
        pl.when(pl.col("risk_score").is_null())
        .then(pl.when(pl.col("in_ring")).then(10.0).otherwise(7.0))
        .otherwise(8.0 + pl.col("risk_score").clip(0.0, 100.0) * 0.17)
        .round(1)
    ).to_series()
    style_cache: dict[tuple[str, int], dict[str, Any]] = {}

    def style(t: str, kind: int) -> dict[str, Any]:  # 0 context, 1 member, 2 key target
        k = (t, kind)
        if k not in style_cache:
            base = colors[t]
            bg = base if kind else _lighten(base)
            border = (_CONTEXT_BORDER, _MEMBER_BORDER, _KEY_BORDER)[kind]
            style_cache[k] = {
                "background": bg,
                "border": border,
                "highlight": {"background": bg, "border": "#111827"},
                "hover": {"background": bg, "border": "#111827"},
            }
        return style_cache[k]

    out: list[dict[str, Any]] = []
    for i, (lab, t, mem, key_t, size, (x, y)) in enumerate(
        zip(
            nf["label"].to_list(),
            nf["node_type"].to_list(),
            nf["in_ring"].to_list(),
            nf["key_target"].to_list(),
            sizes.to_list(),
            pos.tolist(),
            strict=True,
        )
    ):
        kind = 2 if key_t else int(mem)
        main = bool(kind) or i == center_idx
        node: dict[str, Any] = {
            "id": i,
            "label": lab if len(lab) <= _MAX_LABEL else lab[: _MAX_LABEL - 1] + "…",
            "x": x,
            "y": y,
            "size": size if kind != 2 else max(size, 22.0),
            "color": style(t, kind),
            "borderWidth": (1, 3, 4)[kind],
            "t": type_index[t],
            "m": int(main),
            "font": {
                "size": _FONT_MAIN if main else _FONT_CONTEXT,
                "color": "#111827" if main else "#374151",
            },
        }
        if kind == 2:
            node["shape"] = "diamond"
        if i == center_idx:
            node["shape"] = "star"
            node["size"] = max(size, 18.0)
        out.append(node)
    return out


def _vis_edges(
    ef: pl.DataFrame, src: np.ndarray, dst: np.ndarray, members: list[bool], actions: list[str]
) -> tuple[list[dict[str, Any]], list[list[Any]]]:
    action_index = {a: i for i, a in enumerate(actions)}
    vis_edges: list[dict[str, Any]] = []
    edge_info: list[list[Any]] = []
    if not ef.height:
        return vis_edges, edge_info
    wmax = float(cast(float, ef["weight"].abs().max()) or 1.0) or 1.0
    widths = ef.select(
        (1.0 + 5.0 * pl.col("weight").abs().log1p() / math.log1p(wmax)).round(2)
    ).to_series()
    member_arr = np.asarray(members, dtype=bool)
    both = member_arr[src] & member_arr[dst]
    for j, (s, d, w, acts, inner, wt, ft, lt) in enumerate(
        zip(
            src.tolist(),
            dst.tolist(),
            widths.to_list(),
            ef["actions"].to_list(),
            both.tolist(),
            ef["weight"].to_list(),
            ef["first_ts"].to_list(),
            ef["last_ts"].to_list(),
            strict=True,
        )
    ):
        vis_edges.append(
            {
                "id": j,
                "from": s,
                "to": d,
                "width": w,
                "color": {"color": _MEMBER_EDGE if inner else _CONTEXT_EDGE, "opacity": 0.85},
                "a": [action_index[a] for a in acts],
            }
        )
        edge_info.append([wt, ft, lt])
    return vis_edges, edge_info


def _vis_options(n_edges: int, physics: bool, seed: int) -> dict[str, Any]:
    """vis-network options, produced by pyvis' network model and adjusted."""
    net = Network(height="100%", width="100%", directed=True, cdn_resources="in_line")
    net.toggle_physics(bool(physics))
    net.options.edges.smooth.enabled = False
    net.options.edges.inherit_colors(False)
    big = n_edges > _BIG_GRAPH_EDGES
    net.options.interaction.hideEdgesOnDrag = big
    options = json.loads(net.options.to_json())
    options["physics"]["stabilization"] = {"enabled": False}
    options["physics"]["solver"] = "forceAtlas2Based"
    options["layout"] = {"improvedLayout": False, "randomSeed": seed}
    options["interaction"].update(
        {"hover": True, "hideEdgesOnZoom": big, "keyboard": False, "multiselect": False}
    )
    options["nodes"] = {
        "shape": "dot",
        "font": {
            "size": _FONT_CONTEXT,
            "face": "sans-serif",
            "strokeWidth": 4,
            "strokeColor": "#ffffff",
        },
    }
    options["edges"]["arrows"] = {"to": {"enabled": not big, "scaleFactor": 0.5}}
    options["edges"]["selectionWidth"] = 2
    return options


def ring_view_context(
    nodes: pl.DataFrame,
    edges: pl.DataFrame,
    *,
    title: str,
    evidence: pl.DataFrame | None = None,
    note: str | None = None,
    physics: bool = False,
    seed: int = 0,
    center: str | None = None,
    members: pl.DataFrame | None = None,
    timeline: str | None = None,
    report_href: str | None = None,
    ring_links: Mapping[str, str] | None = None,
    expand: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The template context of a view (what ``ring.html.j2`` renders): for an application
    that renders the view with its own template extending ``ring.html.j2`` and its own
    Content-Security-Policy (``ringlens serve``). Parameters as for :func:`ring_view`;
    ``center`` is the key drawn as a star (ego views); ``expand`` (``{"url": path,
    "params": {name: text}}``) gives each node's tooltip an "Expand neighbours" button
    that fetches ``url?params&key=<node key>`` (JSON nodes and edges) and adds them.

    The context holds ``data_json`` (the page's data: one JSON script block), ``vis_js``,
    ``vis_css``, ``own_js`` (the inlined scripts), ``csp`` (the static page's policy) and
    the escaped-by-template texts. Its ``n_nodes``/``n_edges`` say what is drawn.
    """
    _check_view_args(title=title, note=note, seed=seed, timeline=timeline)
    links = [[str(r), safe_href(h)] for r, h in sorted((ring_links or {}).items())]
    report = None if report_href is None else safe_href(report_href)
    nf, extra_names, has_xy = _prepare_nodes(nodes)
    ef = _prepare_edges(edges, nf)
    n, m = nf.height, ef.height
    if n > 20_000:
        logger.warning("ring view with %d nodes: the browser will be slow; consider ego_view", n)

    types = sorted(set(nf["node_type"].to_list()))
    colors = _type_colors(types)
    actions = sorted(set(ef["actions"].explode().drop_nulls().to_list())) if m else []

    src = ef["_s"].to_numpy().astype(np.int64) if m else np.zeros(0, dtype=np.int64)
    dst = ef["_d"].to_numpy().astype(np.int64) if m else np.zeros(0, dtype=np.int64)
    if has_xy:
        pos = (
            np.round(np.column_stack([nf["__rl_px"].to_numpy(), nf["__rl_py"].to_numpy()]), 1) + 0.0
        )
    else:
        pos = _layout(n, src, dst, seed)

    center_idx = None
    if center is not None:
        hits = nf["key"].eq(center).arg_true()
        center_idx = int(hits[0]) if len(hits) else None

    vis_nodes = _vis_nodes(nf, pos, colors, center_idx)
    in_ring = nf["in_ring"].to_list()
    vis_edges, edge_info = _vis_edges(ef, src, dst, in_ring, actions)
    ev = _evidence_payload(evidence)
    mt = _evidence_payload(members)
    counts, action_counts = _legend_counts(nf, ef, actions)
    payload = {
        "nodes": vis_nodes,
        "edges": vis_edges,
        "options": _vis_options(m, physics, seed),
        "info": _node_info(nf, extra_names),
        "edgeInfo": edge_info,
        "extraNames": extra_names,
        "types": [{"name": t, "color": colors[t]} for t in types],
        "actions": actions,
        "evidence": ev,
        "members": mt,
        "center": center_idx,
        "ringLinks": links,
    }
    if expand is not None:
        payload["expand"] = {
            "url": safe_href(str(expand["url"])),
            "params": {str(k): str(v) for k, v in dict(expand.get("params", {})).items()},
        }
    vis_js, vis_css = vis_assets()
    own_js = own_script("ring.js")
    return {
        "csp": content_security_policy(vis_js, own_js),
        "own_js": own_js,
        "title": title,
        "note": note,
        "vis_js": vis_js,
        "vis_css": vis_css,
        "data_json": script_json(payload),
        "n_nodes": n,
        "n_members": int(sum(in_ring)),
        "n_key_targets": int(nf["key_target"].sum()),
        "n_edges": m,
        "types": [
            {"i": i, "name": t, "color": colors[t], "count": counts.get(t, 0)}
            for i, t in enumerate(types)
        ],
        "actions": [
            {"i": i, "name": a, "count": action_counts.get(a, 0)} for i, a in enumerate(actions)
        ],
        "member_color": _MEMBER_BORDER,
        "context_color": _CONTEXT_BORDER,
        "key_color": _KEY_BORDER,
        "has_evidence": ev is not None,
        "has_members": mt is not None,
        "timeline": timeline,
        "report_href": report,
    }


def _check_view_args(*, title: object, note: object, seed: object, timeline: object) -> None:
    """ConfigError unless the view's title, note, seed and timeline have their types."""
    if not isinstance(title, str):
        raise ConfigError(f"title must be a string, got {type(title).__name__}")
    if note is not None and not isinstance(note, str):
        raise ConfigError(f"note must be a string or None, got {type(note).__name__}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ConfigError(f"seed must be an int, got {seed!r}")
    if timeline is not None and not isinstance(timeline, Markup):
        raise ConfigError("timeline must be markup made by ringlens.viz.ring_timeline")


def _node_info(nf: pl.DataFrame, extra_names: list[str]) -> list[list[Any]]:
    """Each node's tooltip row: key, id, label, risk, reasons, member flag, the extra
    columns' values, ring id and key-target flag."""
    extra_cols = [nf[f"__rl_x{j}"].to_list() for j in range(len(extra_names))]
    extras_by_node = list(zip(*extra_cols, strict=True)) if extra_cols else [()] * nf.height
    return [
        [k, nid, lab, score, reasons, int(mem), list(ex), rid, int(kt)]
        for k, nid, lab, score, reasons, mem, ex, rid, kt in zip(
            nf["key"].to_list(),
            nf["node_id"].to_list(),
            nf["label"].to_list(),
            nf["risk_score"].to_list(),
            nf["reasons"].to_list(),
            nf["in_ring"].to_list(),
            extras_by_node,
            nf["ring_id"].to_list(),
            nf["key_target"].to_list(),
            strict=True,
        )
    ]


def _legend_counts(
    nf: pl.DataFrame, ef: pl.DataFrame, actions: list[str]
) -> tuple[dict[str, int], dict[str, int]]:
    """Nodes per type and edges per action, for the legend's filters."""
    type_counts = nf.group_by("node_type").len()
    counts = dict(
        zip(type_counts["node_type"].to_list(), type_counts["len"].to_list(), strict=True)
    )
    action_counts: dict[str, int] = {}
    if ef.height and actions:
        ac = ef.select(pl.col("actions").explode().drop_nulls().alias("a")).group_by("a").len()
        action_counts = dict(zip(ac["a"].to_list(), ac["len"].to_list(), strict=True))
    return counts, action_counts


def _build_view(
    nodes: pl.DataFrame,
    edges: pl.DataFrame,
    *,
    title: str,
    evidence: pl.DataFrame | None,
    note: str | None,
    physics: bool,
    seed: int,
    center: str | None = None,
    members: pl.DataFrame | None = None,
    timeline: str | None = None,
    report_href: str | None = None,
    ring_links: Mapping[str, str] | None = None,
) -> RingView:
    ctx = ring_view_context(
        nodes,
        edges,
        title=title,
        evidence=evidence,
        note=note,
        physics=physics,
        seed=seed,
        center=center,
        members=members,
        timeline=timeline,
        report_href=report_href,
        ring_links=ring_links,
    )
    html = template_env().get_template("ring.html.j2").render(**ctx)
    return RingView(title=title, n_nodes=ctx["n_nodes"], n_edges=ctx["n_edges"], _html=html)


def _evidence_payload(evidence: object) -> dict[str, Any] | None:
    if evidence is None:
        return None
    frame = require_frame(evidence, "evidence")
    total = frame.height
    shown = frame.head(_MAX_EVIDENCE_ROWS)
    text = shown.select(
        [as_text_expr(c, shown.schema[c]).alias(f"_c{i}") for i, c in enumerate(shown.columns)]
    )
    return {"columns": list(frame.columns), "rows": [list(r) for r in text.rows()], "total": total}


def ring_view(
    nodes: pl.DataFrame,
    edges: pl.DataFrame,
    *,
    title: str,
    evidence: pl.DataFrame | None = None,
    note: str | None = None,
    physics: bool = False,
    seed: int = 0,
    members: pl.DataFrame | None = None,
    timeline: str | None = None,
    report_href: str | None = None,
    ring_links: Mapping[str, str] | None = None,
) -> RingView:
    """Build the interactive view of one ring (or any small subgraph).

    Nodes are coloured by entity type (fixed palette, legend), sized by risk score; ring
    members get a dark border, context nodes are pale. Edge width grows with weight.
    The page has search by key/id/name, filters by entity type and by action, tooltips
    with the entity's key, type, score, reasons and extra columns, an evidence table, and
    a button to turn physics on. All data is untrusted and rendered as text.

    Parameters
    ----------
    nodes : polars.DataFrame
        ``key`` (node key ``type:id``, unique) and, by the viz contract, ``node_type``,
        ``node_id``, ``label``, ``risk_score`` (f64, nullable), ``reasons`` (list[str]),
        ``in_ring`` (bool), optional ``key_target`` (bool: drawn as a full-colour diamond
        with a red border) and ``ring_id`` (the ring the node belongs to, shown and linked
        in its tooltip). Missing contract columns get defaults (type and id split from
        the key, label = id, no score, no reasons, in ring). Every other column is shown
        as a key feature in the tooltip; numeric ``x`` and ``y`` (both, no nulls) are
        used as positions instead of the computed layout.
    edges : polars.DataFrame
        ``src``, ``dst`` (node keys present in ``nodes``), ``weight`` (f64, default 1),
        ``actions`` (list[str]); optional ``first_ts``, ``last_ts``.
    title : str
        Page heading and ``<title>``.
    evidence : polars.DataFrame, optional
        Any table (e.g. shared targets with their burst window) shown under the graph;
        the first 2,000 rows are kept.
    note : str, optional
        A line under the title, e.g. ``"showing 500 of 2,340 nodes; 1,840 left out"``.
    physics : bool
        Start with vis-network physics on (the page has a button for it either way).
    seed : int
        Seed of the layout; same inputs and seed give byte-identical HTML.
    members : polars.DataFrame, optional
        The members table shown above the evidence (e.g. :func:`ringlens.viz.evidence.ring_members`);
        cells equal to a node key focus that node.
    timeline : Markup, optional
        The ring's timeline (:func:`ringlens.viz.ring_timeline`), shown under the graph.
    report_href : str, optional
        Link back to the run report (a safe relative path, e.g. ``"index.html"``).
    ring_links : mapping, optional
        ring id → link to its view; a node whose ``ring_id`` has a link shows it in its
        tooltip (links must be safe paths, see :func:`safe_href`).

    Returns
    -------
    RingView

    Raises
    ------
    ringlens.exceptions.SchemaError
        A frame lacks a required column or has the wrong types, null or duplicate keys.
    ringlens.exceptions.InputError
        An edge refers to a node key that is not in ``nodes``.

    Examples
    --------
    >>> import polars as pl
    >>> nodes = pl.DataFrame({
    ...     "key": ["creator:1", "creator:2", "product:9"],
    ...     "node_type": ["creator", "creator", "product"],
    ...     "node_id": ["1", "2", "9"],
    ...     "label": ["Ann", "Bob", "Mug"],
    ...     "risk_score": [91.0, 80.5, None],
    ...     "reasons": [["lockstep", "shared_device"], ["lockstep"], []],
    ...     "in_ring": [True, True, False],
    ...     "followers": [120, 95, None],
    ... })
    >>> edges = pl.DataFrame({
    ...     "src": ["creator:1", "creator:2"], "dst": ["product:9", "product:9"],
    ...     "weight": [4.0, 2.0], "actions": [["promote"], ["promote", "review"]],
    ... })
    >>> view = ring_view(nodes, edges, title="Ring ring_0001", note="3 of 3 nodes")
    >>> (view.n_nodes, view.n_edges)
    (3, 2)
    >>> view.html() == ring_view(nodes, edges, title="Ring ring_0001", note="3 of 3 nodes").html()
    True
    >>> "<script src" in view.html() or "<link" in view.html()
    False
    """
    return _build_view(
        nodes,
        edges,
        title=title,
        evidence=evidence,
        note=note,
        physics=physics,
        seed=seed,
        members=members,
        timeline=timeline,
        report_href=report_href,
        ring_links=ring_links,
    )
