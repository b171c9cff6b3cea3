"""Small inline SVG charts, generated in Python (no JavaScript, no fonts, no requests).

Every piece of text goes through :func:`markupsafe.escape`; numbers are formatted here.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

__all__ = ["bar_chart", "column_chart"]

_BAR = "#4e79a7"
_AXIS = "#6b7280"
_FONT = 'font-family="system-ui, DejaVu Sans, sans-serif"'


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def bar_chart(
    labels: Sequence[str],
    values: Sequence[int],
    *,
    title: str,
    width: int = 440,
    max_bars: int = 12,
) -> Markup:
    """Horizontal bar chart (categories with long names, e.g. patterns).

    Examples
    --------
    >>> svg = bar_chart(["mutual_boost", "<b>"], [3, 1], title="Rings by pattern")
    >>> svg.startswith("<svg") and "&lt;b&gt;" in svg and "<b>" not in svg
    True
    """
    pairs = list(zip(labels, values, strict=True))[:max_bars]
    row_h, top, label_w, right = 22, 28, 150, 50
    height = top + row_h * max(len(pairs), 1) + 8
    vmax = max((v for _, v in pairs), default=0) or 1
    span = width - label_w - right
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-label="{escape(title)}" {_FONT} font-size="12">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="16" font-size="13" font-weight="600" fill="#111827">{escape(title)}</text>',
    ]
    if not pairs:
        parts.append(f'<text x="0" y="{top + 14}" fill="{_AXIS}">no data</text>')
    for i, (label, value) in enumerate(pairs):
        y = top + i * row_h
        w = round(span * value / vmax, 1)
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" fill="#111827">'
            f"<title>{escape(label)}</title>{escape(_short(label, 22))}</text>"
            f'<rect x="{label_w}" y="{y + 3}" width="{w}" height="{row_h - 6}" fill="{_BAR}"/>'
            f'<text x="{label_w + w + 4}" y="{y + 15}" fill="{_AXIS}">{value:,}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def column_chart(
    labels: Sequence[str],
    values: Sequence[int],
    *,
    title: str,
    xlabel: str,
    width: int = 440,
    height: int = 200,
) -> Markup:
    """Vertical columns over ordered bins (histograms).

    Examples
    --------
    >>> svg = column_chart(["0–10", "10–20"], [5, 0], title="Risk", xlabel="risk score")
    >>> svg.count("<rect")
    2
    """
    n = max(len(labels), 1)
    top, bottom, left, right = 28, 40, 36, 8
    plot_w, plot_h = width - left - right, height - top - bottom
    vmax = max(values, default=0) or 1
    col_w = plot_w / n
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-label="{escape(title)}" {_FONT} font-size="11">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="16" font-size="13" font-weight="600" fill="#111827">{escape(title)}</text>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="{_AXIS}"/>',
        f'<text x="{left - 4}" y="{top + 8}" text-anchor="end" fill="{_AXIS}">{vmax:,}</text>',
        f'<text x="{left - 4}" y="{top + plot_h}" text-anchor="end" fill="{_AXIS}">0</text>',
    ]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        h = round(plot_h * value / vmax, 1)
        x = round(left + i * col_w + 1, 1)
        parts.append(
            f'<rect x="{x}" y="{round(top + plot_h - h, 1)}" width="{round(col_w - 2, 1)}" '
            f'height="{h}" fill="{_BAR}"><title>{escape(label)}: {value:,}</title></rect>'
        )
        parts.append(
            f'<text x="{round(x + col_w / 2 - 1, 1)}" y="{top + plot_h + 13}" text-anchor="middle" '
            f'fill="{_AXIS}" font-size="9">{escape(_short(label, 8))}</text>'
        )
    parts.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle" '
        f'fill="{_AXIS}">{escape(xlabel)}</text>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))
