"""Small inline SVG charts for the digest and the console. Pure: data in, SVG text out.

Every label is escaped. Readable from a day with zero mentions to a day with 100,000:
axes use round steps whose labels are exact (37,500 reads "37.5k", never "38k"); every
bar carries its value as text (counts with thousands separators, shares as %), so the
numbers are on the page and not only in hover tooltips; a non-zero bar is never drawn
thinner than ``MIN_BAR`` pixels, so a day with 3 mentions beside a day with 100,000
still differs from an empty day; empty data draws a frame with a note instead of bars.
"""

from __future__ import annotations

import math
import unicodedata
from html import escape

PALETTE = {"bar": "#4A7BD0", "neg": "#D93025", "grid": "#E3E6EA", "text": "#333", "muted": "#888"}
FONT_SIZE = 11
FONT = (f'font-family="-apple-system, \'PingFang SC\', \'Noto Sans CJK SC\', \'Microsoft YaHei\', sans-serif" '
        f'font-size="{FONT_SIZE}"')
MIN_BAR = 3.0  # pixels: the least a non-zero value is drawn


def nice_max(value: float, ticks: int = 4) -> float:
    """A round axis maximum at or above ``value`` that splits into ``ticks`` round steps
    (1, 2, 2.5, 5 × 10^n, whole numbers, at least 1: these are counts)."""
    if value <= 0:
        return float(ticks)
    raw = value / ticks
    exp = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10) if exp >= 10 else (1, 2, 5, 10):
        if raw <= m * exp:
            return max(m * exp, 1) * ticks
    return 10 * exp * ticks


def _trim(number: float) -> str:
    return f"{number:.3f}".rstrip("0").rstrip(".")


def fmt_num(value: float) -> str:
    """A short axis label that keeps the exact value: 37500 → ``37.5k``, 1250000 → ``1.25M``."""
    v = float(value)
    for div, suffix in ((1_000_000, "M"), (1000, "k")):
        if abs(v) >= div:
            return _trim(v / div) + suffix
    return _trim(v)


def fmt_count(value: float) -> str:
    """A count with thousands separators: ``100,000``."""
    return f"{int(round(value)):,}"


def fmt_share(share: float) -> str:
    """A 0–1 share as a percentage with at most one decimal: ``12.5%``, ``100%``."""
    return _trim(round(share * 100, 1)) + "%"


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """Roughly how wide ``text`` is drawn, in pixels (wide CJK characters count double)."""
    return sum(size if unicodedata.east_asian_width(ch) in "WF" else size * 0.6 for ch in text)


def fit_label(text: str, max_width: float, size: float = FONT_SIZE) -> str:
    """``text`` cut with an ellipsis so it is drawn within ``max_width`` pixels."""
    if text_width(text, size) <= max_width:
        return text
    out = ""
    for ch in text:
        if text_width(out + ch + "…", size) > max_width:
            break
        out += ch
    return out + "…"


def _label(x: float, y: float, text: str, *, anchor: str = "middle", fill: str = PALETTE["text"], size: float | None = None,
           cls: str | None = None, full: str | None = None) -> str:
    """A text element; with ``full``, the whole text as its tooltip (for a shortened label)."""
    attrs = f' class="{cls}"' if cls else ""
    attrs += f' font-size="{size:g}"' if size else ""
    tip = f"<title>{escape(full)}</title>" if full and full != text else ""
    return f'<text{attrs} x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{fill}">{tip}{escape(text)}</text>'


def _frame(width: int, height: int, title: str, body: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="{escape(title)}" '
            f'viewBox="0 0 {width} {height}" width="100%" style="max-width:{width}px" {FONT}>'
            f'<title>{escape(title)}</title>{body}</svg>')


def _bar_height(value: float, vmax: float, full: float) -> float:
    if value <= 0 or vmax <= 0:
        return 0.0
    return max(MIN_BAR, full * value / vmax)


def _value_font(labels: list[str], room: float) -> float:
    """The font size at which every value label fits in ``room`` pixels (9–11)."""
    widest = max((text_width(t) for t in labels), default=0)
    return FONT_SIZE if widest <= room else max(9.0, FONT_SIZE * room / widest)


def bar_chart(labels: list[str], values: list[float], *, title: str, share: list[float] | None = None,
              share_label: str = "", empty: str = "0", width: int = 880, height: int = 250) -> str:
    """Vertical bars (counts, each labelled) with an optional line of a 0–1 share (right
    axis; its value printed under each day). Days with no mentions have no share point."""
    left, right, top = 52, 48 if share else 16, 22
    bottom = 52 if share else 34
    w, h = width - left - right, height - top - bottom
    has_data = any(values)
    vmax = nice_max(max(values, default=0))
    parts = []
    for i in range(5):
        y = top + h - h * i / 4
        if not (has_data or i == 0):
            continue  # an empty chart keeps its baseline only, and no scale
        parts.append(f'<line x1="{left}" x2="{left + w}" y1="{y:.1f}" y2="{y:.1f}" stroke="{PALETTE["grid"]}"/>')
        parts.append(_label(left - 6, y + 4, fmt_num(vmax * i / 4), anchor="end", fill=PALETTE["muted"], cls="tick"))
        if share is not None and has_data:
            parts.append(_label(left + w + 6, y + 4, f"{25 * i}%", anchor="start", fill=PALETTE["neg"], cls="tick"))
    n = max(len(values), 1)
    slot = w / n
    bw = slot * 0.62
    value_size = _value_font([fmt_count(v) for v in values], slot - 4)
    segments: list[list[tuple[float, float]]] = [[]]
    for i, (label, v) in enumerate(zip(labels, values)):
        x = left + i * slot + (slot - bw) / 2
        bh = _bar_height(v, vmax, h)
        parts.append(f'<rect class="bar" x="{x:.1f}" y="{top + h - bh:.1f}" width="{bw:.1f}" height="{bh:.1f}" fill="{PALETTE["bar"]}">'
                     f'<title>{escape(label)}: {fmt_count(v)}</title></rect>')
        if has_data:
            parts.append(_label(x + bw / 2, top + h - bh - 4, fmt_count(v), size=value_size,
                                fill=PALETTE["text"] if v else PALETTE["muted"], cls="value"))
        parts.append(_label(x + bw / 2, top + h + 16, label))
        if share is not None:
            if v:
                s = max(0.0, min(1.0, share[i]))
                segments[-1].append((x + bw / 2, top + h - h * s))
                parts.append(_label(x + bw / 2, top + h + 32, fmt_share(s), fill=PALETTE["neg"], cls="share"))
            else:
                segments.append([])  # no mentions, no share: the line breaks here
                parts.append(_label(x + bw / 2, top + h + 32, "—", fill=PALETTE["muted"], cls="share"))
    for points in segments:
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{PALETTE["neg"]}" stroke-width="2"/>')
        parts += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{PALETTE["neg"]}"/>' for x, y in points]
    if share is not None and share_label:
        parts.append(_label(left + w, height - 4, f"— {share_label}", anchor="end", fill=PALETTE["neg"]))
    if not has_data:
        parts.append(_label(left + w / 2, top + h / 2, empty, fill=PALETTE["muted"], size=13, cls="empty"))
    return _frame(width, height, title, "".join(parts))


def hbar_chart(labels: list[str], values: list[float], *, title: str, empty: str = "—", width: int = 560,
               label_width: int = 150) -> str:
    """Horizontal bars, in the order given (categories), each labelled with its count and
    its share of the total. Long category names are cut with an ellipsis (full name in a
    tooltip) so they never run off the chart's left edge."""
    row = 24
    total = sum(values)
    if not values or not total:
        height = 60
        return _frame(width, height, title, _label(width / 2, height / 2 + 4, empty, fill=PALETTE["muted"], size=13, cls="empty"))
    height = len(values) * row + 16
    left = label_width
    value_room = 100
    w = width - left - value_room
    vmax = max(values)
    parts = []
    for i, (label, v) in enumerate(zip(labels, values)):
        y = 8 + i * row
        bw = _bar_height(v, vmax, w)
        parts.append(_label(left - 8, y + 15, fit_label(label, left - 14), anchor="end", full=label, cls="category"))
        parts.append(f'<rect class="bar" x="{left}" y="{y + 4}" width="{bw:.1f}" height="{row - 8}" fill="{PALETTE["neg"]}" opacity="0.8">'
                     f'<title>{escape(label)}: {fmt_count(v)}</title></rect>')
        text = f"{fmt_count(v)} ({fmt_share(v / total)})" if v else "0"
        parts.append(_label(left + bw + 6, y + 15, text, anchor="start", fill=PALETTE["text"] if v else PALETTE["muted"], cls="value"))
    return _frame(width, height, title, "".join(parts))


def histogram(counts: list[int], *, title: str, width: int = 560, height: int = 200, cut: float | None = None,
              empty: str = "0", legend: str | None = None) -> str:
    """Counts per equal bin over 0–1 (sentiment spread), each labelled; bins below ``cut``
    in red (``legend`` says what red means)."""
    n = max(len(counts), 1)
    labels = [_trim(i / n) for i in range(n)] if counts else []
    left, right, top, bottom = 48, 12, 32, 30
    w, h = width - left - right, height - top - bottom
    has_data = any(counts)
    vmax = nice_max(max(counts, default=0))
    parts = []
    for i in range(5):
        y = top + h - h * i / 4
        if not (has_data or i == 0):
            continue  # an empty chart keeps its baseline only, and no scale
        parts.append(f'<line x1="{left}" x2="{left + w}" y1="{y:.1f}" y2="{y:.1f}" stroke="{PALETTE["grid"]}"/>')
        parts.append(_label(left - 6, y + 4, fmt_num(vmax * i / 4), anchor="end", fill=PALETTE["muted"], cls="tick"))
    slot = w / n
    value_size = _value_font([fmt_count(c) for c in counts], slot - 2)
    for i, c in enumerate(counts):
        x = left + i * slot
        bh = _bar_height(c, vmax, h)
        colour = PALETTE["neg"] if cut is not None and (i + 1) / n <= cut + 1e-9 else PALETTE["bar"]
        parts.append(f'<rect class="bar" x="{x + 1:.1f}" y="{top + h - bh:.1f}" width="{slot - 2:.1f}" height="{bh:.1f}" fill="{colour}">'
                     f'<title>{labels[i]}–{_trim((i + 1) / n)}: {fmt_count(c)}</title></rect>')
        if has_data:
            parts.append(_label(x + slot / 2, top + h - bh - 4, fmt_count(c), size=value_size,
                                fill=PALETTE["text"] if c else PALETTE["muted"], cls="value"))
        parts.append(_label(x, top + h + 14, labels[i], fill=PALETTE["muted"]))
    parts.append(_label(left + w, top + h + 14, "1", anchor="end", fill=PALETTE["muted"]))
    if legend and has_data:
        parts.append(f'<rect x="{left + w - text_width(legend) - 16:.1f}" y="4" width="10" height="10" fill="{PALETTE["neg"]}"/>')
        parts.append(_label(left + w, 13, legend, anchor="end", fill=PALETTE["text"]))
    if not has_data:
        parts.append(_label(left + w / 2, top + h / 2, empty, fill=PALETTE["muted"], size=13, cls="empty"))
    return _frame(width, height, title, "".join(parts))
