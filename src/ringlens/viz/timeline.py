"""A ring's timeline: its members' actions per target over time, the detected bursts shaded.

Drawn in Python as one inline SVG (no script, no fonts, no requests), so the same markup
goes into the offline ring pages and the workbench. Every text is escaped; the numbers are
binned with numpy (one histogram per row), never a loop over events.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import polars as pl
from markupsafe import Markup, escape

from ringlens.exceptions import ConfigError
from ringlens.viz._common import require_columns, require_frame

__all__ = ["ring_timeline"]

_FONT = 'font-family="system-ui, DejaVu Sans, sans-serif"'
_BAR = "#1f2937"
_BURST = "#f87171"
_AXIS = "#6b7280"


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _ticks(lo: int, hi: int, n: int = 6) -> list[tuple[int, str]]:
    """About ``n`` round time ticks (µs) between ``lo`` and ``hi`` with their labels."""
    span_h = max(hi - lo, 1) / 3.6e9
    steps_h = [1, 3, 6, 12, 24, 48, 72, 168, 336, 720, 2160, 8760]
    step = next((s for s in steps_h if span_h / s <= n), steps_h[-1]) * 3_600_000_000
    first = (lo // step + 1) * step
    fmt = "%Y-%m-%d %H:%M" if step < 86_400_000_000 else "%Y-%m-%d"
    out = []
    for t in range(first, hi, step):
        stamp = _dt.datetime.fromtimestamp(t / 1e6, tz=_dt.UTC)
        out.append((t, stamp.strftime(fmt)))
    return out


def ring_timeline(
    events: pl.DataFrame,
    bursts: pl.DataFrame | None = None,
    *,
    title: str = "Members' actions per target",
    max_rows: int = 12,
    bins: int = 240,
    width: int = 980,
) -> Markup:
    """The timeline of a ring: one row per target (most member actions first), the
    members' actions as a histogram over time, the detected bursts as red bands.

    Parameters
    ----------
    events : polars.DataFrame
        The members' actions: ``target`` (node key), ``ts`` (datetime).
    bursts : polars.DataFrame, optional
        ``target``, ``start``, ``end`` (datetime), optional ``n_actors``: the lockstep
        bursts found on those targets (:func:`ringlens.viz.evidence.ring_bursts`).
    title : str
        Heading of the chart.
    max_rows : int
        Targets shown (the rest are counted in a line under the chart).
    bins : int
        Time bins across the chart.
    width : int
        Width in pixels.

    Returns
    -------
    markupsafe.Markup
        An ``<svg>`` element.

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime, timezone
    >>> t = [datetime(2024, 1, 1, h, tzinfo=timezone.utc) for h in (1, 2, 2, 9)]
    >>> ev = pl.DataFrame({"target": ["product:<p>"] * 4, "ts": t})
    >>> b = pl.DataFrame({"target": ["product:<p>"], "start": [t[0]], "end": [t[2]]})
    >>> svg = ring_timeline(ev, b)
    >>> svg.startswith("<svg") and "product:&lt;p&gt;" in svg and 'class="burst"' in svg
    True
    """
    frame = require_frame(events, "events")
    require_columns(frame, "events", ["target", "ts"])
    if isinstance(max_rows, bool) or not isinstance(max_rows, int) or max_rows < 1:
        raise ConfigError(f"ring_timeline: max_rows must be an int >= 1, got {max_rows!r}")
    frame = frame.select(
        pl.col("target").cast(pl.String),
        pl.col("ts").cast(pl.Datetime("us", "UTC")).dt.epoch("us").alias("t"),
    ).drop_nulls()
    if frame.height == 0:
        return Markup(
            f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="40" '
            f'{_FONT} font-size="12"><title>{escape(title)}</title>'
            f'<text x="0" y="24" fill="{_AXIS}">no member actions on shared targets</text></svg>'
        )
    order = (
        frame.group_by("target")
        .len()
        .sort(["len", "target"], descending=[True, False])
        .with_row_index("row")
    )
    shown = order.head(max_rows)
    lo, hi = int(frame["t"].min()), int(frame["t"].max())  # type: ignore[arg-type]
    pad = max((hi - lo) // 40, 1_800_000_000)  # a margin of 1/40 of the span, >= 30 min
    lay = _Layout(lo=lo - pad, hi=hi + pad, plot_w=width - _Layout.label_w - _Layout.right)
    rows = frame.join(shown.select("target", "row"), on="target")
    b = np.clip(((rows["t"].to_numpy() - lay.lo) * bins // lay.span).astype(np.int64), 0, bins - 1)
    counts = np.zeros((shown.height, bins), dtype=np.int64)
    np.add.at(counts, (rows["row"].to_numpy().astype(np.int64), b), 1)
    height = lay.top + lay.row_h * shown.height + 36

    parts = _header(title, width, height, lay)
    if bursts is not None and bursts.height:
        parts.extend(_burst_bands(bursts, shown, lay))
    parts.extend(_target_rows(shown, counts, lay))
    axis_y = lay.top + lay.row_h * shown.height
    parts.extend(_time_axis(lay, axis_y))
    if order.height > shown.height:
        parts.append(
            f'<text x="0" y="{axis_y + 32}" fill="{_AXIS}">… and {order.height - shown.height:,} '
            "more targets with fewer member actions</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


@dataclass(frozen=True)
class _Layout:
    """Where things go on the chart: the time span (µs, with margins) across the plot."""

    lo: int
    hi: int
    plot_w: int
    label_w: ClassVar[int] = 220
    top: ClassVar[int] = 34
    row_h: ClassVar[int] = 30
    right: ClassVar[int] = 12

    @property
    def span(self) -> int:
        return self.hi - self.lo

    def x(self, t: int) -> float:
        """The x position of time ``t`` (µs)."""
        return round(self.label_w + self.plot_w * (t - self.lo) / self.span, 1)


def _header(title: str, width: int, height: int, lay: _Layout) -> list[str]:
    """The ``<svg>`` opening, the title and the legend."""
    label_w, plot_w = lay.label_w, lay.plot_w
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-label="{escape(title)}" {_FONT} font-size="12">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="16" font-size="13" font-weight="600" fill="#111827">{escape(title)}</text>',
        f'<rect x="{label_w + plot_w - 260}" y="6" width="12" height="12" fill="{_BURST}" '
        'fill-opacity="0.35"/>'
        f'<text x="{label_w + plot_w - 243}" y="16" fill="{_AXIS}">detected burst</text>'
        f'<rect x="{label_w + plot_w - 140}" y="6" width="12" height="12" fill="{_BAR}"/>'
        f'<text x="{label_w + plot_w - 123}" y="16" fill="{_AXIS}">member actions</text>',
    ]


def _burst_bands(bursts: pl.DataFrame, shown: pl.DataFrame, lay: _Layout) -> list[str]:
    """A red band per burst on a shown target, clipped to the chart."""
    require_columns(bursts, "bursts", ["target", "start", "end"])
    bf = bursts.select(
        pl.col("target").cast(pl.String),
        pl.col("start").cast(pl.Datetime("us", "UTC")).dt.epoch("us").alias("s"),
        pl.col("end").cast(pl.Datetime("us", "UTC")).dt.epoch("us").alias("e"),
        (pl.col("n_actors") if "n_actors" in bursts.columns else pl.lit(None))
        .cast(pl.Int64)
        .alias("n"),
    ).join(shown.select("target", "row"), on="target")
    parts = []
    for _, s, e, n, r in bf.sort("row", "s").iter_rows():
        x0, x1 = lay.x(max(s, lay.lo)), lay.x(min(e, lay.hi))
        y = lay.top + r * lay.row_h
        what = f"burst {_fmt(s)} – {_fmt(e)}" + (f", {n} accounts" if n is not None else "")
        parts.append(
            f'<rect class="burst" x="{x0}" y="{y + 1}" width="{max(x1 - x0, 3.0):.1f}" '
            f'height="{lay.row_h - 2}" fill="{_BURST}" fill-opacity="0.55">'
            f"<title>{escape(what)}</title></rect>"
        )
    return parts


def _target_rows(shown: pl.DataFrame, counts: np.ndarray, lay: _Layout) -> list[str]:
    """Per shown target: its label, its row's rule and its histogram bars."""
    label_w, plot_w, top, row_h = lay.label_w, lay.plot_w, lay.top, lay.row_h
    cmax = max(int(counts.max()), 1)
    bw = plot_w / counts.shape[1]
    parts = []
    for r, (target, n) in enumerate(zip(shown["target"], shown["len"], strict=True)):
        y = top + r * row_h
        parts.append(
            f'<line x1="{label_w}" x2="{label_w + plot_w}" y1="{y + row_h - 1}" '
            f'y2="{y + row_h - 1}" stroke="#e5e7eb"/>'
            f'<text x="{label_w - 6}" y="{y + row_h / 2 + 4}" text-anchor="end" fill="#111827">'
            f"<title>{escape(target)}: {n:,} member actions</title>"
            f"{escape(_short(target, 32))}</text>"
        )
        nz = np.nonzero(counts[r])[0]
        for j in nz.tolist():
            h = round((row_h - 6) * counts[r, j] / cmax, 1) + 1
            parts.append(
                f'<rect x="{label_w + j * bw:.1f}" y="{y + row_h - 2 - h:.1f}" '
                f'width="{max(bw - 0.3, 0.8):.1f}" height="{h}" fill="{_BAR}"/>'
            )
    return parts


def _time_axis(lay: _Layout, axis_y: int) -> list[str]:
    """The time axis under the rows, with its ticks and their labels."""
    x = lay.x
    parts = [
        f'<line x1="{lay.label_w}" x2="{lay.label_w + lay.plot_w}" y1="{axis_y}" y2="{axis_y}" '
        f'stroke="{_AXIS}"/>'
    ]
    for t, label in _ticks(lay.lo, lay.hi):
        parts.append(
            f'<line x1="{x(t)}" x2="{x(t)}" y1="{axis_y}" y2="{axis_y + 4}" stroke="{_AXIS}"/>'
            f'<text x="{x(t)}" y="{axis_y + 16}" text-anchor="middle" fill="{_AXIS}">'
            f"{escape(label)}</text>"
        )
    return parts


def _fmt(t_us: int) -> str:
    return _dt.datetime.fromtimestamp(t_us / 1e6, tz=_dt.UTC).strftime("%Y-%m-%d %H:%M")
