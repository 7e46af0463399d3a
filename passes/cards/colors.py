"""Text colours a pass can show on a tier's background colour."""

from __future__ import annotations


def _relative_luminance(color: str) -> float:
    value = color.lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    r, g, b = (int(value[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def text_colors(background: str) -> tuple[str, str]:
    """Foreground and label colours readable on the tier's background."""
    if _relative_luminance(background) > 0.55:
        return "#1a1a1a", "#3a3a3a"
    return "#ffffff", "#e6e6e6"
