"""Pure helpers: percentiles, metrics with their targets, the printed table."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

MARKER = re.compile(r"bench-([a-z]+)-(\d+)")


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100), linear between closest ranks (numpy's default)."""
    if not values:
        return math.nan
    if not 0 <= q <= 100:
        raise ValueError("q must be within 0..100")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def markers(text: str) -> list[tuple[str, int]]:
    """The ``bench-<tag>-<n>`` markers in a message text: [(tag, n), ...]."""
    return [(m.group(1), int(m.group(2))) for m in MARKER.finditer(text)]


@dataclass(frozen=True)
class Metric:
    """One figure: ``op`` is how it is compared with ``target`` ("<=", ">=", "==")."""

    key: str
    value: float | int | None
    unit: str = ""
    target: float | int | None = None
    op: str = "<="
    note: str = ""

    @property
    def passed(self) -> bool | None:
        if self.target is None:
            return None
        if self.value is None or (isinstance(self.value, float) and math.isnan(self.value)):
            return False
        if self.op == "<=":
            return self.value <= self.target
        if self.op == ">=":
            return self.value >= self.target
        return self.value == self.target

    def value_text(self) -> str:
        if self.value is None:
            return "n/a"
        if isinstance(self.value, float):
            text = f"{self.value:.3f}" if abs(self.value) < 10 else f"{self.value:.1f}"
        else:
            text = str(self.value)
        return f"{text} {self.unit}".strip()

    def target_text(self) -> str:
        if self.target is None:
            return ""
        return f"{self.op} {self.target} {self.unit}".strip()

    def verdict(self) -> str:
        passed = self.passed
        return "" if passed is None else ("pass" if passed else "FAIL")


def format_table(rows: Sequence[Metric], title: str = "") -> str:
    header = ("metric", "value", "target", "result", "note")
    cells = [(m.key, m.value_text(), m.target_text(), m.verdict(), m.note) for m in rows]
    widths = [max(len(r[i]) for r in [header, *cells]) for i in range(len(header))]

    def line(r: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()

    out = [title] if title else []
    out += [line(header), line(["-" * w for w in widths])]
    out += [line(r) for r in cells]
    return "\n".join(out)
