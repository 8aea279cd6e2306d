"""Small-cell suppression for published statistics (k = 11 by default, as the Counter Trafficking Data
Collaborative does).

Primary: every count below k is suppressed. Secondary: a table is published with its total, and a table
by several dimensions has its rows' totals published too, by the table of fewer dimensions. So wherever a
total and some of the cells it adds up are known (the whole table, and each line of cells that differ in
one dimension only), hidden cells are either none or at least two that together count k or more: the
smallest published cells of the line are suppressed too, until they are. Subtracting what is shown from a
total, which is what an attacker gets by comparing two queries, never gives one cell, nor less than k.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

Cell = tuple[str, ...]


@dataclass(frozen=True)
class Published:
    cells: dict[Cell, int | None]
    total: int | None
    suppressed: int


def suppress(counts: Mapping[Cell, int], k: int) -> Published:
    hidden = {cell for cell, count in counts.items() if 0 < count < k}
    width = len(next(iter(counts), ()))
    # The whole table, against its total; then, by several dimensions, each line along each of them.
    along: list[int | None] = [None, *(range(width) if width > 1 else ())]
    lines = [line for dimension in along for line in _lines(counts, dimension)]
    # Hiding a cell for one line may leave another line it is in with a single hidden cell: until none does.
    changed = True
    while changed:
        changed = False
        for line in lines:
            changed |= _protect(line, counts, hidden, k)
    cells: dict[Cell, int | None] = {cell: None if cell in hidden else count for cell, count in counts.items()}
    total = sum(counts.values())
    return Published(cells=cells, total=total if total >= k else None, suppressed=len(hidden))


def _lines(counts: Mapping[Cell, int], along: int | None) -> list[list[Cell]]:
    """The cells that are not zero, in lines along dimension `along` (the same in every other one), or all
    in one line."""
    lines: defaultdict[Cell, list[Cell]] = defaultdict(list)
    for cell, count in counts.items():
        if count > 0:
            lines[() if along is None else cell[:along] + cell[along + 1 :]].append(cell)
    return list(lines.values())


def _protect(line: list[Cell], counts: Mapping[Cell, int], hidden: set[Cell], k: int) -> bool:
    """Hides the line's smallest shown cells until its hidden cells are none, or two or more counting k or
    more, or all of it (then its total is below k, or one cell, and suppressed where it is published).
    Whether it hid any."""
    hiding = [cell for cell in line if cell in hidden]
    shown = sorted((counts[cell], cell) for cell in line if cell not in hidden)
    before = len(hiding)
    while hiding and (sum(counts[cell] for cell in hiding) < k or len(hiding) < 2) and shown:
        hiding.append(shown.pop(0)[1])
    hidden.update(hiding)
    return len(hiding) > before
