"""The run report: ``viz/index.html`` with the rings table, queue counts, charts and diff."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from markupsafe import Markup

from ringlens.exceptions import ConfigError, SchemaError
from ringlens.viz._common import (
    as_text_expr,
    atomic_write_text,
    content_security_policy,
    own_script,
    require_columns,
    require_frame,
    ring_filename,
    template_env,
)
from ringlens.viz._svg import bar_chart, column_chart

__all__ = ["run_report", "write_run_report"]

logger = logging.getLogger(__name__)

_MAX_RING_ROWS = 5000
_RISK_BINS = np.arange(0, 101, 10)
_SIZE_EDGES = [1, 2, 3, 4, 5, 6, 11, 21, 51, 101]
_SIZE_LABELS = ["1", "2", "3", "4", "5", "6–10", "11–20", "21–50", "51–100", "101+"]
_DIFF_LISTS = (
    ("new", "New rings"),
    ("gone", "Gone"),
    ("grown", "Grown"),
    ("shrunk", "Shrunk"),
    ("changed", "Changed members"),
    ("merged", "Merged"),
    ("split", "Split"),
)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(value)


def _risk_histogram(values: pl.Series) -> tuple[list[str], list[int]]:
    arr = values.cast(pl.Float64).drop_nulls().drop_nans().to_numpy()
    counts, _ = np.histogram(np.clip(arr, 0.0, 100.0), bins=_RISK_BINS)
    labels = [f"{a}–{b}" for a, b in zip(_RISK_BINS[:-1], _RISK_BINS[1:], strict=True)]
    return labels, [int(c) for c in counts]


def _size_histogram(sizes: pl.Series) -> tuple[list[str], list[int]]:
    arr = sizes.drop_nulls().to_numpy()
    idx = np.searchsorted(np.asarray(_SIZE_EDGES), arr, side="right") - 1
    counts = np.bincount(idx[idx >= 0], minlength=len(_SIZE_EDGES))
    start = 0 if counts[0] else 1  # hide the "1" bin unless there are singleton rings
    return _SIZE_LABELS[start:], [int(c) for c in counts[start:]]


def _reasons_text(frame: pl.DataFrame) -> pl.Expr:
    for name in ("top_reasons", "reasons"):
        if name in frame.columns:
            dtype = frame.schema[name]
            if isinstance(dtype, pl.List):
                return (
                    pl.col(name)
                    .list.head(3)
                    .list.eval(pl.element().cast(pl.String))
                    .list.join(", ")
                    .fill_null("")
                )
            return as_text_expr(name, dtype)
    return pl.lit("")


def _counts(frame: pl.DataFrame, column: str, missing: str = "(none)") -> list[tuple[str, int]]:
    if column not in frame.columns or frame.height == 0:
        return []
    c = (
        frame.select(as_text_expr(column, frame.schema[column]).alias("v"))
        .with_columns(
            pl.when(pl.col("v") == "").then(pl.lit(missing)).otherwise(pl.col("v")).alias("v")
        )
        .group_by("v")
        .len()
        .sort(["len", "v"], descending=[True, False])
    )
    return list(zip(c["v"].to_list(), c["len"].to_list(), strict=True))


def _ring_rows(
    rings: pl.DataFrame, queue: pl.DataFrame, linked: Collection[str] | None
) -> tuple[list[dict[str, Any]], pl.Series, pl.Series]:
    cols = rings.columns
    if "size" in cols and rings.schema["size"].is_numeric():
        size = pl.col("size").cast(pl.Int64)
    elif "members" in cols and isinstance(rings.schema["members"], pl.List):
        size = pl.col("members").list.len().cast(pl.Int64)
    elif "n_members" in cols and rings.schema["n_members"].is_numeric():
        size = pl.col("n_members").cast(pl.Int64)
    else:
        size = pl.lit(None, pl.Int64)
    if "risk_score" in cols:
        if not rings.schema["risk_score"].is_numeric():
            raise SchemaError(
                f"rings column 'risk_score' must be numeric, got {rings.schema['risk_score']}"
            )
        risk = pl.col("risk_score").cast(pl.Float64).fill_nan(None)
    else:
        risk = pl.lit(None, pl.Float64)
    pattern = as_text_expr("pattern", rings.schema["pattern"]) if "pattern" in cols else pl.lit("")
    table = rings.select(
        as_text_expr("ring_id", rings.schema["ring_id"]).alias("ring_id"),
        pattern.alias("pattern"),
        risk.alias("risk"),
        size.alias("size"),
        _reasons_text(rings).alias("reasons"),
    )
    if "ring_id" in queue.columns and queue.height:
        q = (
            queue.select(as_text_expr("ring_id", queue.schema["ring_id"]).alias("ring_id"))
            .group_by("ring_id")
            .len()
        )
        table = table.join(q, on="ring_id", how="left", maintain_order="left")
    else:
        table = table.with_columns(pl.lit(None, pl.UInt32).alias("len"))
    table = table.with_columns(pl.col("len").fill_null(0)).sort(
        ["risk", "ring_id"], descending=[True, False], nulls_last=True, maintain_order=True
    )
    linked_set = None if linked is None else {str(r) for r in linked}
    rows = []
    for r in table.head(_MAX_RING_ROWS).iter_rows(named=True):
        link = linked_set is None or r["ring_id"] in linked_set
        rows.append(
            {
                "ring_id": r["ring_id"],
                "href": ring_filename(r["ring_id"]) if link else None,
                "pattern": r["pattern"],
                "risk": "" if r["risk"] is None else f"{r['risk']:.1f}",
                "risk_sort": "" if r["risk"] is None else repr(float(r["risk"])),
                "size": "" if r["size"] is None else f"{r['size']:,}",
                "size_sort": "" if r["size"] is None else str(r["size"]),
                "queued": f"{r['len']:,}",
                "queued_sort": str(r["len"]),
                "reasons": r["reasons"],
            }
        )
    return rows, table["risk"], table["size"]


def _charts(
    rings: pl.DataFrame,
    entities: pl.DataFrame | None,
    *,
    risk: pl.Series,
    size: pl.Series,
    by_action: list[tuple[str, int]],
) -> list[Markup]:
    """The report's charts: ring risk, rings by pattern, ring sizes, entity risk and
    entities by type (when ``entities`` has them), queue by action (when not empty)."""
    charts = []
    labels, counts = _risk_histogram(risk)
    charts.append(column_chart(labels, counts, title="Ring risk scores", xlabel="risk score"))
    by_pattern = _counts(rings, "pattern")
    charts.append(
        bar_chart([p for p, _ in by_pattern], [n for _, n in by_pattern], title="Rings by pattern")
    )
    labels, counts = _size_histogram(size)
    charts.append(column_chart(labels, counts, title="Ring sizes", xlabel="members"))
    if entities is not None:
        entities = require_frame(entities, "entities")
        if "risk_score" in entities.columns and entities.schema["risk_score"].is_numeric():
            labels, counts = _risk_histogram(entities["risk_score"])
            charts.append(
                column_chart(labels, counts, title="Entity risk scores", xlabel="risk score")
            )
        by_type = _counts(entities, "entity_type")
        if by_type:
            charts.append(
                bar_chart(
                    [t for t, _ in by_type], [n for _, n in by_type], title="Entities by type"
                )
            )
    if by_action:
        charts.append(
            bar_chart([a for a, _ in by_action], [n for _, n in by_action], title="Queue by action")
        )
    return charts


def _diff_sections(
    diff: Mapping[str, Any], ring_rows: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """The "what changed" lists (ring ids, linked when the ring has a view) and the queue
    changes of ``diff`` (:meth:`ringlens.export.RunDiff.report_changes`)."""
    diff_lists = []
    queue_diff: list[tuple[str, str]] = []
    ring_ids = {r["ring_id"] for r in ring_rows if r["href"]}
    for key, label in _DIFF_LISTS:
        items = diff.get(key) or []
        if isinstance(items, int | float):
            raise ConfigError(
                f"run_report: diff[{key!r}] must be a list of ring ids, got the count "
                f"{items!r} (pass RunDiff.report_changes())"
            )
        if isinstance(items, str | bytes) or not isinstance(items, Collection):
            items = [items]
        entries = []
        for item in list(items)[:500]:
            text = _text(item)
            entries.append(
                {"text": text, "href": ring_filename(text) if text in ring_ids else None}
            )
        diff_lists.append({"label": label, "count": len(items), "items": entries})
    q = diff.get("queue") or {}
    if isinstance(q, Mapping):
        queue_diff = [(str(k).replace("_", " "), _text(v)) for k, v in q.items()]
    return diff_lists, queue_diff


def run_report(
    rings: pl.DataFrame,
    queue: pl.DataFrame,
    *,
    entities: pl.DataFrame | None = None,
    diff: Mapping[str, Any] | None = None,
    title: str = "ringlens run report",
    run_info: Mapping[str, Any] | None = None,
    linked_rings: Collection[str] | None = None,
) -> str:
    """Render the run's index page (static, offline, same CSP as the ring views).

    Sections: run info; what changed since the previous run (when ``diff`` is given);
    charts drawn as inline SVG (ring risk histogram, rings by pattern, ring sizes, entity
    risk histogram when ``entities`` has ``risk_score``); queue counts by action and by
    market; the rings table, sortable by clicking a header, each ring linking to its view
    ``ring_<id>.html`` in the same folder (see :func:`ringlens.viz.ring_filename`).

    Parameters
    ----------
    rings : polars.DataFrame
        ``ring_id`` (required); ``pattern``, ``risk_score``, ``size`` (or ``members``
        list, or ``n_members``), ``top_reasons`` or ``reasons`` (list[str] or str).
    queue : polars.DataFrame
        The enforcement queue (any subset of its columns; ``action``, ``market`` and
        ``ring_id`` are counted). May be empty.
    entities : polars.DataFrame, optional
        Scored entities; ``risk_score`` gives a histogram, ``entity_type`` a bar chart.
    diff : dict, optional
        ``{"new": [ring ids], "gone": [...], "grown": [...], "shrunk": [...],
        "changed": [...], "merged": [...], "split": [...], "queue": {"added": n,
        "removed": n, "action_changed": n}}`` (what
        :meth:`ringlens.export.RunDiff.report_changes` returns); any key may be missing.
        A count where a list is expected is an error (it used to show as "0").
    title : str
        Page title.
    run_info : dict, optional
        Shown as a key/value table (run id, seed, version, timings, counts, ...).
    linked_rings : collection of str, optional
        Ring ids that have a view; default: every ring links to its view.

    Returns
    -------
    str
        The HTML document.

    Examples
    --------
    >>> import polars as pl
    >>> rings = pl.DataFrame({"ring_id": ["ring_a1", "ring_b2"], "pattern": ["brushing", "mutual_boost"],
    ...                       "risk_score": [88.0, 61.5], "size": [12, 5],
    ...                       "top_reasons": [["lockstep"], ["reciprocity", "shared_device"]]})
    >>> queue = pl.DataFrame({"ring_id": ["ring_a1"], "action": ["suspend"], "market": ["DE"]})
    >>> html = run_report(rings, queue, diff={"new": ["ring_b2"], "queue": {"added": 1}})
    >>> 'href="ring_a1.html"' in html and "What changed" in html
    True
    """
    rings = require_frame(rings, "rings")
    queue = require_frame(queue, "queue")
    require_columns(rings, "rings", ["ring_id"])
    if not isinstance(title, str):
        raise ConfigError(f"run_report: title must be a string, got {type(title).__name__}")
    if diff is not None and not isinstance(diff, Mapping):
        raise ConfigError(f"run_report: diff must be a dict, got {type(diff).__name__}")
    if run_info is not None and not isinstance(run_info, Mapping):
        raise ConfigError(f"run_report: run_info must be a dict, got {type(run_info).__name__}")

    ring_rows, risk, size = _ring_rows(rings, queue, linked_rings)
    by_action = _counts(queue, "action")
    charts = _charts(rings, entities, risk=risk, size=size, by_action=by_action)
    diff_lists, queue_diff = _diff_sections(diff, ring_rows) if diff is not None else ([], [])

    info_rows = [(str(k), _text(v)) for k, v in (run_info or {}).items()]
    own_js = own_script("report.js")
    html = (
        template_env()
        .get_template("report.html.j2")
        .render(
            csp=content_security_policy(own_js),
            own_js=own_js,
            title=title,
            info_rows=info_rows,
            n_rings=rings.height,
            n_queue=queue.height,
            n_entities=None if entities is None else entities.height,
            ring_rows=ring_rows,
            rings_capped=rings.height > len(ring_rows),
            charts=charts,
            by_action=by_action,
            by_market=_counts(queue, "market"),
            has_diff=diff is not None,
            diff_lists=diff_lists,
            queue_diff=queue_diff,
        )
    )
    return html


def write_run_report(
    path: str | os.PathLike[str],
    rings: pl.DataFrame,
    queue: pl.DataFrame,
    **kwargs: Any,
) -> Path:
    """Render :func:`run_report` and write it atomically to ``path`` (e.g. ``run/viz/index.html``).

    Keyword arguments are those of :func:`run_report`.

    Examples
    --------
    >>> import tempfile, polars as pl
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = write_run_report(f"{d}/viz/index.html", pl.DataFrame({"ring_id": ["r1"]}),
    ...                          pl.DataFrame())
    ...     p.name
    'index.html'
    """
    html = run_report(rings, queue, **kwargs)
    target = atomic_write_text(path, html)
    logger.info("wrote run report %s", target)
    return target
