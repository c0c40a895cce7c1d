"""Server-rendered SVG bar charts (no JavaScript, no image library; prints cleanly).

Labels are text in the SVG, so Chinese shows in whatever CJK font the browser has.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

BAR_H = 22
GAP = 8
LABEL_W = 170
VALUE_W = 60
PALETTE = ("#2b6cb0", "#38a169", "#d69e2e", "#c53030", "#805ad5", "#319795")


def hbar(
    items: Sequence[tuple[str, int]], width: int = 560, title: str = "", unit: str = ""
) -> str:
    """Horizontal bars, one per (label, value); the longest bar fills the plot width."""
    top = 28 if title else 4
    height = top + len(items) * (BAR_H + GAP) + 4
    plot_w = width - LABEL_W - VALUE_W
    peak = max((v for _, v in items), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" class="chart">'
    ]
    if title:
        parts.append(
            f'<text x="0" y="18" font-size="15" font-weight="bold">{escape(title)}</text>'
        )
    for i, (label, value) in enumerate(items):
        y = top + i * (BAR_H + GAP)
        w = round(plot_w * value / peak) if value else 0
        color = PALETTE[i % len(PALETTE)]
        parts.append(
            f'<text x="{LABEL_W - 8}" y="{y + BAR_H - 6}" font-size="13" '
            f'text-anchor="end">{escape(label)}</text>'
            f'<rect x="{LABEL_W}" y="{y}" width="{w}" height="{BAR_H}" fill="{color}">'
            f"<title>{escape(label)}: {value}</title></rect>"
            f'<text x="{LABEL_W + w + 6}" y="{y + BAR_H - 6}" font-size="13">{value}{unit}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
