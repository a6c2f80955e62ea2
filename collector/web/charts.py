"""SVG charts drawn from a `Chart`'s rows: grouped bars with last week's marks, and a colour scale."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from collector.queries import Chart

WIDTH_PX = 860
HEIGHT_PX = 220
PAD_PX = 30


def bars_with_last_week(
    chart: Chart, label_col: int, now_cols: Sequence[int], before_cols: Sequence[int]
) -> str:
    """Bars of `now_cols` per row (in, out) with a tick at last week's value (`before_cols`)."""
    rows = chart.rows
    values = [float(r[i]) for r in rows for i in (*now_cols, *before_cols)]
    top = max(values, default=0.0) or 1.0
    group_w = (WIDTH_PX - 2 * PAD_PX) / max(1, len(rows))
    bar_w = group_w * 0.8 / len(now_cols)
    plot_h = HEIGHT_PX - 2 * PAD_PX
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="bars" width="{WIDTH_PX}" height="{HEIGHT_PX}" '
        f'role="img" aria-label="{escape(chart.title)}">',
        f'<line class="axis" x1="{PAD_PX}" y1="{HEIGHT_PX - PAD_PX}" x2="{WIDTH_PX - PAD_PX}" '
        f'y2="{HEIGHT_PX - PAD_PX}"/>',
        f'<text class="tick" x="2" y="{PAD_PX}">{top:.0f}</text>',
    ]
    for n, row in enumerate(rows):
        x0 = PAD_PX + n * group_w + group_w * 0.1
        for k, (now, before) in enumerate(zip(now_cols, before_cols, strict=True)):
            h_now = plot_h * float(row[now]) / top
            h_before = plot_h * float(row[before]) / top
            x = x0 + k * bar_w
            parts.append(
                f'<rect class="series{k}" x="{x:.1f}" y="{HEIGHT_PX - PAD_PX - h_now:.1f}" '
                f'width="{bar_w * 0.9:.1f}" height="{h_now:.1f}"><title>{escape(str(row[label_col]))} '
                f"{escape(chart.columns[now])}: {row[now]} (last week {row[before]})</title></rect>"
            )
            y = HEIGHT_PX - PAD_PX - h_before
            parts.append(
                f'<line class="lastweek{k}" x1="{x:.1f}" y1="{y:.1f}" x2="{x + bar_w * 0.9:.1f}" y2="{y:.1f}"/>'
            )
        if len(rows) <= 31 and (len(rows) <= 12 or n % 2 == 0):
            parts.append(
                f'<text class="tick" x="{x0:.1f}" y="{HEIGHT_PX - PAD_PX + 14}">{escape(str(row[label_col]))}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def heat_colour(fraction: float) -> str:
    """Background colour for a table cell: white (0) to deep orange (1)."""
    f = min(max(fraction, 0.0), 1.0)
    return f"rgb(255,{int(255 - 140 * f)},{int(255 - 230 * f)})"
