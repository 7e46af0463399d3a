"""Server-side charts: the geometry of a bar chart as plain numbers, drawn as SVG by a template
macro (no script, no inline style). Pure: no Flask, no database. Every chart is shown with a
table of the same figures beside it, for screen readers and for reading exact values."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

TOP = 20  # room for the value labels above the bars
BOTTOM = 24  # room for the labels under them


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    value_label: str
    x: float
    y: float
    width: float
    height: float
    show_label: bool
    show_value: bool

    @property
    def center(self) -> float:
        return round(self.x + self.width / 2, 1)


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    left: int
    baseline: float
    bars: tuple[Bar, ...]
    alternate: bool = False

    @property
    def empty(self) -> bool:
        return not self.bars or all(bar.value == 0 for bar in self.bars)


def _every(count: int, room: int) -> int:
    """Label every n-th bar so that labels do not run into each other."""
    return max(1, -(-count // room))


def bar_chart(
    points: Sequence[tuple[str, float]],
    *,
    width: int = 640,
    height: int = 220,
    left: int = 4,
    max_labels: int = 14,
) -> BarChart:
    """Bars for (label, value) pairs, scaled to the largest value; negative values count as 0."""
    if not points:
        return BarChart(width, height, left, height - BOTTOM, ())
    plot_height = height - TOP - BOTTOM
    top_value = max(max(value for _, value in points), 0) or 1
    slot = (width - left) / len(points)
    bar_width = round(slot * 0.7, 1)
    every = _every(len(points), max_labels)
    bars = []
    for i, (label, value) in enumerate(points):
        shown = max(value, 0)
        bar_height = round(plot_height * shown / top_value, 1)
        bars.append(
            Bar(
                label=label,
                value=value,
                value_label=f"{value:g}" if isinstance(value, float) else str(value),
                x=round(left + i * slot + (slot - bar_width) / 2, 1),
                y=round(TOP + plot_height - bar_height, 1),
                width=bar_width,
                height=bar_height,
                show_label=i % every == 0,
                show_value=len(points) <= max_labels,
            )
        )
    return BarChart(width, height, left, TOP + plot_height, tuple(bars))
