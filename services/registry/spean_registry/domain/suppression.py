"""Small-cell suppression for published statistics (k = 11 by default, as the Counter Trafficking Data
Collaborative does).

Primary: every count below k is suppressed. Secondary: if the suppressed cells of a table add up to
less than k, the smallest published cells are suppressed too, until they do. So the difference between
a table's published total and the sum of its published cells, which is what an attacker gets by
subtracting two queries, is always k or more and always spread over at least two cells.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

Cell = tuple[str, ...]


@dataclass(frozen=True)
class Published:
    cells: dict[Cell, int | None]
    total: int | None
    suppressed: int


def suppress(counts: Mapping[Cell, int], k: int) -> Published:
    cells: dict[Cell, int | None] = dict(counts)
    hidden = {cell for cell, count in counts.items() if 0 < count < k}
    shown = sorted((count, cell) for cell, count in counts.items() if cell not in hidden and count > 0)
    while hidden and (sum(counts[c] for c in hidden) < k or len(hidden) < 2) and shown:
        hidden.add(shown.pop(0)[1])
    for cell in hidden:
        cells[cell] = None
    total = sum(counts.values())
    return Published(cells=cells, total=total if total >= k else None, suppressed=len(hidden))
