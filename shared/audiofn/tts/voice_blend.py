"""Voice blends: ``af_bella+af_sky`` (equal parts) or ``af_bella(2)+af_sky(1)`` (weighted).

The convention of Kokoro-FastAPI. A blend speaks with the weighted mean of its voices' style
vectors (:func:`audiofn.tts.kokoro_engine.blend_styles`). Pure Python: the API checks blends.
"""

from __future__ import annotations

import re

MAX_BLEND_PARTS = 8
MAX_BLEND_CHARS = 256
# Matched against a stripped part: no two quantifiers can share characters (linear time).
_PART = re.compile(r"(?P<name>[^()+\s]+)(?:\s*\((?P<weight>[^()]*)\))?")


class BlendError(ValueError):
    """A blend expression that does not parse (the message says what is wrong)."""


def is_blend(name: str) -> bool:
    """Whether a voice name is a blend expression (has ``+`` or a weight)."""
    return "+" in name or "(" in name


def parse_blend(expression: str) -> list[tuple[str, float]]:
    """``"a(2)+b"`` -> ``[("a", 2.0), ("b", 1.0)]``; a plain name is one part of weight 1."""
    if len(expression) > MAX_BLEND_CHARS:
        raise BlendError(f"a blend is at most {MAX_BLEND_CHARS} characters long")
    parts = expression.split("+")
    if len(parts) > MAX_BLEND_PARTS:
        raise BlendError(f"a blend takes at most {MAX_BLEND_PARTS} voices, got {len(parts)}")
    out: list[tuple[str, float]] = []
    for part in parts:
        match = _PART.fullmatch(part.strip())
        if match is None:
            shown = part.strip() or "(empty)"
            raise BlendError(
                f"blend part {shown!r} is not 'name' or 'name(weight)' in {expression!r}"
            )
        weight = 1.0
        if match["weight"] is not None:
            try:
                weight = float(match["weight"].strip())
            except ValueError:
                raise BlendError(
                    f"blend weight {match['weight']!r} of {match['name']!r} is not a number"
                ) from None
            if not 0 < weight <= 100:  # NaN fails this too
                raise BlendError(
                    f"blend weight of {match['name']!r} must be above 0 and at most 100, "
                    f"got {match['weight']}"
                )
        out.append((match["name"], weight))
    names = [name.casefold() for name, _ in out]
    if len(set(names)) != len(names):
        raise BlendError(f"a blend names each voice once: {expression!r}")
    return out


def format_blend(parts: list[tuple[str, float]]) -> str:
    """The canonical spelling: weights normalised to the smallest integers where exact."""
    if len(parts) == 1:
        return parts[0][0]

    def weight(value: float) -> str:
        return str(int(value)) if float(value).is_integer() else f"{value:g}"

    if len({w for _, w in parts}) == 1:
        return "+".join(name for name, _ in parts)
    return "+".join(f"{name}({weight(w)})" for name, w in parts)
