"""A brand's accent colour made readable: WCAG 2.2 contrast, in light and dark mode alike.

The accent colours links and outlined buttons on the page's surface, and fills primary buttons
under their label. A colour chosen for a logo may be too light for text on white (or too dark
on a dark-mode surface), so it is mixed towards black or white just as far as SC 1.4.3 asks
(4.5:1), and the label on it is whichever of white or near-black reads better.
"""

from __future__ import annotations

from dataclasses import dataclass

# The surfaces of ciam.css, light and dark.
LIGHT_SURFACE = "#ffffff"
DARK_SURFACE = "#1e1e1e"
_DARK_TEXT = "#1a1a1a"
_LIGHT_TEXT = "#ffffff"
_READABLE = 4.5  # WCAG 2.2 SC 1.4.3, normal text
_STEPS = 20


@dataclass(frozen=True)
class Accent:
    color: str
    """#rrggbb, readable as text on the surface it was made for."""
    text: str
    """The colour of a label on a button filled with `color`."""


def accent_on(color: str, surface: str) -> Accent:
    """`color`, mixed towards black or white only as far as needed to read on `surface`."""
    towards = "#000000" if luminance(surface) > 0.5 else "#ffffff"
    mixed = color
    for step in range(_STEPS + 1):
        mixed = _mix(color, towards, step / _STEPS)
        if contrast(mixed, surface) >= _READABLE:
            break
    text = max((_LIGHT_TEXT, _DARK_TEXT), key=lambda label: contrast(label, mixed))
    return Accent(mixed, text)


def contrast(first: str, second: str) -> float:
    """WCAG 2.2 contrast ratio, from 1 (none) to 21 (black on white)."""
    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def luminance(color: str) -> float:
    """WCAG 2.2 relative luminance of an sRGB #rrggbb colour."""
    red, green, blue = (_linear(channel / 255) for channel in _channels(color))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def _linear(value: float) -> float:
    return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4


def _channels(color: str) -> tuple[int, int, int]:
    if len(color) != 7 or not color.startswith("#"):
        raise ValueError(f"not a #rrggbb colour: {color!r}")
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return red, green, blue


def _mix(color: str, towards: str, share: float) -> str:
    pairs = zip(_channels(color), _channels(towards), strict=True)
    red, green, blue = (round(own + (other - own) * share) for own, other in pairs)
    return f"#{red:02x}{green:02x}{blue:02x}"
