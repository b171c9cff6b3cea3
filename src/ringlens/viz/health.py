"""The health dashboard: ``health.html``, one static offline page per calibration or run.

Precision over runs per pattern and per market (with Wilson intervals), queue volume
against capacity, the verdict backlog, and the drift of the inputs (events per action and
market against the previous runs). Same rules as every ringlens page: one self-contained
file, strict Content-Security-Policy, charts drawn as inline SVG in Python, every data
string escaped.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl
from markupsafe import Markup, escape

from ringlens.exceptions import ConfigError
from ringlens.viz._common import (
    atomic_write_text,
    content_security_policy,
    own_script,
    require_columns,
    require_frame,
    template_env,
)

__all__ = ["health_page", "line_chart", "write_health_page"]

logger = logging.getLogger(__name__)

_PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)
_AXIS = "#6b7280"
_FONT = 'font-family="system-ui, DejaVu Sans, sans-serif"'
#: Most lines drawn in one chart (the largest groups; the tables list every group).
MAX_SERIES = 8
_MAX_DRIFT_ROWS = 300


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _fmt(v: float, percent: bool) -> str:
    return f"{100 * v:.0f}%" if percent else f"{v:,.0f}"


def line_chart(
    x_labels: Sequence[str],
    series: Sequence[Mapping[str, Any]],
    *,
    title: str,
    y_max: float | None = None,
    percent: bool = False,
    width: int = 520,
    height: int = 240,
) -> Markup:
    """Lines over ordered runs, with optional interval whiskers, as inline SVG.

    Each series is ``{"name": str, "values": [float | None], "lo": [...], "hi": [...],
    "dashed": bool}`` (``lo`` / ``hi`` optional). Every text is escaped.

    Examples
    --------
    >>> svg = line_chart(["r1", "r2"], [{"name": "<b>", "values": [0.5, None]}], title="t", percent=True)
    >>> svg.startswith("<svg") and "&lt;b&gt;" in svg and "<b>" not in svg
    True
    """
    n = max(len(x_labels), 1)
    top, bottom, left, right = 28, 56, 44, 12
    legend_h = 16 * ((len(series) + 2) // 3)
    total_h = height + legend_h
    pw, ph = width - left - right, height - top - bottom
    vals = [v for s in series for k in ("values", "hi") for v in (s.get(k) or []) if v is not None]
    ymax = y_max if y_max is not None else max(vals, default=0.0) * 1.1
    ymax = ymax if ymax and math.isfinite(ymax) and ymax > 0 else 1.0

    def x(i: int) -> float:
        return round(left + (pw * (i + 0.5) / n), 1)

    def y(v: float) -> float:
        return round(top + ph - ph * min(max(v, 0.0), ymax) / ymax, 1)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{total_h}" '
        f'viewBox="0 0 {width} {total_h}" aria-label="{escape(title)}" {_FONT} font-size="11">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="16" font-size="13" font-weight="600" fill="#111827">{escape(title)}</text>',
        f'<line x1="{left}" y1="{top + ph}" x2="{left + pw}" y2="{top + ph}" stroke="{_AXIS}"/>',
    ]
    for frac in (0.0, 0.5, 1.0):
        yy = y(ymax * frac)
        parts.append(
            f'<line x1="{left}" y1="{yy}" x2="{left + pw}" y2="{yy}" stroke="#e5e7eb"/>'
            f'<text x="{left - 4}" y="{yy + 4}" text-anchor="end" fill="{_AXIS}">{escape(_fmt(ymax * frac, percent))}</text>'
        )
    for i, lab in enumerate(x_labels):
        parts.append(
            f'<text x="{x(i)}" y="{top + ph + 14}" text-anchor="middle" fill="{_AXIS}" font-size="9">'
            f"<title>{escape(lab)}</title>{escape(_short(str(lab), 12))}</text>"
        )
    if not series:
        parts.append(f'<text x="{left + 8}" y="{top + 20}" fill="{_AXIS}">no data</text>')
    for si, s in enumerate(series):
        color = _PALETTE[si % len(_PALETTE)]
        values = list(s.get("values") or [])
        lo, hi = s.get("lo"), s.get("hi")
        name = str(s.get("name", ""))
        dash = ' stroke-dasharray="5 4"' if s.get("dashed") else ""
        pts = [(x(i), y(v)) for i, v in enumerate(values) if v is not None and math.isfinite(v)]
        if len(pts) > 1:
            path = " ".join(f"{px},{py}" for px, py in pts)
            parts.append(
                f'<polyline fill="none" stroke="{color}" stroke-width="2"{dash} points="{path}"/>'
            )
        for i, v in enumerate(values):
            if v is None or not math.isfinite(v):
                continue
            if lo is not None and hi is not None and lo[i] is not None and hi[i] is not None:
                parts.append(
                    f'<line x1="{x(i)}" y1="{y(lo[i])}" x2="{x(i)}" y2="{y(hi[i])}" stroke="{color}" stroke-opacity="0.5"/>'
                )
            tip = f"{name} · {x_labels[i] if i < len(x_labels) else ''}: {_fmt(v, percent)}"
            if lo is not None and hi is not None and lo[i] is not None and hi[i] is not None:
                tip += f" ({_fmt(lo[i], percent)}–{_fmt(hi[i], percent)})"
            parts.append(
                f'<circle cx="{x(i)}" cy="{y(v)}" r="3" fill="{color}"><title>{escape(tip)}</title></circle>'
            )
        lx = 8 + (si % 3) * (width // 3)
        ly = height + 4 + 16 * (si // 3)
        parts.append(
            f'<rect x="{lx}" y="{ly - 9}" width="10" height="10" fill="{color}"/>'
            f'<text x="{lx + 14}" y="{ly}" fill="#111827"><title>{escape(name)}</title>{escape(_short(name, 24))}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _precision_charts(frame: pl.DataFrame, runs: Sequence[str]) -> list[dict[str, Any]]:
    out = []
    for dim, label in (
        ("pattern", "Precision over runs by pattern"),
        ("market", "Precision over runs by market"),
    ):
        d = frame.filter(pl.col("dimension") == dim)
        sizes = (
            d.group_by("value")
            .agg(pl.col("n").sum())
            .sort(["n", "value"], descending=[True, False])
        )
        top = sizes.head(MAX_SERIES)["value"].to_list()
        series = []
        for v in top:
            s = d.filter(pl.col("value") == v)
            by = {r["run_id"]: r for r in s.iter_rows(named=True)}
            series.append(
                {
                    "name": str(v),
                    "values": [by[r]["precision"] if r in by else None for r in runs],
                    "lo": [by[r]["lo"] if r in by else None for r in runs],
                    "hi": [by[r]["hi"] if r in by else None for r in runs],
                }
            )
        capped = sizes.height > len(top)
        out.append(
            {
                "chart": line_chart(runs, series, title=label, y_max=1.0, percent=True),
                "note": f"the {len(top)} largest of {sizes.height} {dim}s are drawn; the table lists all"
                if capped
                else "",
            }
        )
    return out


def _volume_charts(volume: pl.DataFrame, runs: Sequence[str]) -> list[Markup]:
    charts = []
    for q in sorted(volume["queue"].unique().to_list()):
        d = {r["run_id"]: r for r in volume.filter(pl.col("queue") == q).iter_rows(named=True)}
        series: list[dict[str, Any]] = [
            {"name": "queued", "values": [float(d[r]["queued"]) if r in d else None for r in runs]},
            {
                "name": "demand (queued + over capacity)",
                "values": [
                    float(d[r]["queued"] + d[r]["over_capacity"]) if r in d else None for r in runs
                ],
            },
            {
                "name": "capacity",
                "values": [
                    float(d[r]["capacity"]) if r in d and d[r]["capacity"] is not None else None
                    for r in runs
                ],
                "dashed": True,
            },
        ]
        charts.append(line_chart(runs, series, title=f"Queue {q}: volume and capacity"))
    return charts


def _num(v: Any, digits: int = 0, percent: bool = False) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return ""
    if percent:
        return f"{100 * v:.1f}%"
    return f"{v:,.{digits}f}"


def _precision_rows(frame: pl.DataFrame, dim: str, latest: str | None) -> list[dict[str, Any]]:
    """Table rows of one dimension: every value, its precision over all runs and in the
    latest run with the interval."""
    d = frame.filter(pl.col("dimension") == dim)
    total = (
        d.group_by("value")
        .agg(pl.col("n").sum(), pl.col("confirmed").sum())
        .sort(["n", "value"], descending=[True, False])
    )
    last = {r["value"]: r for r in d.filter(pl.col("run_id") == latest).iter_rows(named=True)}
    rows = []
    for r in total.iter_rows(named=True):
        lr = last.get(r["value"])
        rows.append(
            {
                "value": str(r["value"]),
                "n": f"{r['n']:,}",
                "precision": _num(r["confirmed"] / r["n"] if r["n"] else None, percent=True),
                "latest": "" if lr is None else _num(lr["precision"], percent=True),
                "latest_ci": ""
                if lr is None
                else f"{_num(lr['lo'], percent=True)}–{_num(lr['hi'], percent=True)}",
                "latest_n": "" if lr is None else f"{lr['n']:,}",
                "small": lr is not None and bool(lr.get("small_sample")),
            }
        )
    return rows


def _drift_rows(drift: pl.DataFrame | None) -> tuple[list[dict[str, str]], int]:
    """Drift table rows (actions and markets, plus flagged action × market rows; flagged
    first) and how many rows are left out."""
    if drift is None or drift.height == 0:
        return [], 0
    shown = drift.filter((pl.col("level") != "action × market") | pl.col("flag").is_not_null())
    hidden = drift.height - shown.height
    d = shown.sort(pl.col("flag").is_null(), "level", "action", "market", nulls_last=True)
    hidden += max(0, d.height - _MAX_DRIFT_ROWS)
    rows = [
        {
            "level": str(r["level"]),
            "action": "" if r["action"] is None else str(r["action"]),
            "market": "" if r["market"] is None else str(r["market"]),
            "per_day": _num(r["per_day"], 1),
            "expected": _num(r["expected_per_day"], 1),
            "ratio": "" if r["ratio"] is None else f"{r['ratio']:.2f}×",
            "flag": r["flag"] or "",
        }
        for r in d.head(_MAX_DRIFT_ROWS).iter_rows(named=True)
    ]
    return rows, hidden


def health_page(
    precision_by_run: pl.DataFrame,
    volume: pl.DataFrame,
    *,
    runs: Sequence[str],
    backlog: pl.DataFrame | None = None,
    drift: pl.DataFrame | None = None,
    alerts: Sequence[str] = (),
    notes: Sequence[str] = (),
    title: str = "ringlens health",
    info: Mapping[str, Any] | None = None,
) -> str:
    """Render the health dashboard (static, offline, escaped).

    Parameters
    ----------
    precision_by_run : polars.DataFrame
        ``dimension`` (``pattern`` / ``market``), ``value``, ``run_id``, ``n``,
        ``confirmed``, ``precision``, ``lo``, ``hi``.
    volume : polars.DataFrame
        ``run_id``, ``queue``, ``queued``, ``over_capacity``, ``capacity``.
    runs : sequence of str
        Run ids, oldest first (the x axis).
    backlog : polars.DataFrame, optional
        ``run_id``, ``open_items`` (items without a verdict when each run was written).
    drift : polars.DataFrame, optional
        :class:`~ringlens.pipeline.drift.DriftReport` rows.
    alerts, notes : sequence of str
        Shown at the top (alerts highlighted).
    title : str
    info : dict, optional
        Key/value rows (runs, verdicts, database, ...).

    Examples
    --------
    >>> import polars as pl
    >>> p = pl.DataFrame({"dimension": ["pattern"], "value": ["<i>x</i>"], "run_id": ["r1"],
    ...     "n": [10], "confirmed": [9], "precision": [0.9], "lo": [0.6], "hi": [0.98]})
    >>> v = pl.DataFrame({"run_id": ["r1"], "queue": ["review"], "queued": [10], "over_capacity": [0],
    ...     "capacity": [100]})
    >>> html = health_page(p, v, runs=["r1"], alerts=["new market: <b>"])
    >>> "&lt;i&gt;x&lt;/i&gt;" in html and "<i>x</i>" not in html and "&lt;b&gt;" in html
    True
    """
    precision_by_run = require_frame(precision_by_run, "precision_by_run")
    volume = require_frame(volume, "volume")
    require_columns(
        precision_by_run,
        "precision_by_run",
        ["dimension", "value", "run_id", "n", "confirmed", "precision", "lo", "hi"],
    )
    require_columns(volume, "volume", ["run_id", "queue", "queued", "over_capacity", "capacity"])
    if not isinstance(title, str):
        raise ConfigError(f"health_page: title must be a string, got {type(title).__name__}")
    runs = [str(r) for r in runs]
    prec_charts = _precision_charts(precision_by_run, runs)
    latest = runs[-1] if runs else None
    tables = {dim: _precision_rows(precision_by_run, dim, latest) for dim in ("pattern", "market")}
    vol_rows = [
        {
            "run_id": str(r["run_id"]),
            "queue": str(r["queue"]),
            "queued": _num(r["queued"]),
            "over": _num(r["over_capacity"]),
            "capacity": _num(r["capacity"]),
            "full": r["capacity"] is not None and r["queued"] + r["over_capacity"] > r["capacity"],
        }
        for r in volume.iter_rows(named=True)
    ]
    backlog_chart = None
    if backlog is not None and backlog.height:
        b = {r["run_id"]: r["open_items"] for r in backlog.iter_rows(named=True)}
        backlog_chart = line_chart(
            runs,
            [
                {
                    "name": "items without a verdict",
                    "values": [float(b[r]) if r in b else None for r in runs],
                }
            ],
            title="Verdict backlog when each run was written",
        )
    drift_rows, drift_hidden = _drift_rows(drift)
    own_js = own_script("report.js")
    return (
        template_env()
        .get_template("health.html.j2")
        .render(
            csp=content_security_policy(own_js),
            own_js=own_js,
            title=title,
            info_rows=[(str(k), str(v)) for k, v in (info or {}).items()],
            alerts=[str(a) for a in alerts],
            notes=[str(n) for n in notes],
            prec_charts=prec_charts,
            tables=tables,
            latest=latest or "",
            volume_charts=_volume_charts(volume, runs),
            vol_rows=vol_rows,
            backlog_chart=backlog_chart,
            drift_rows=drift_rows,
            has_drift=drift is not None,
            drift_hidden=drift_hidden,
        )
    )


def write_health_page(path: str | os.PathLike[str], *args: Any, **kwargs: Any) -> Path:
    """Render :func:`health_page` and write it atomically to ``path``."""
    target = atomic_write_text(path, health_page(*args, **kwargs))
    logger.info("wrote health page %s", target)
    return target
