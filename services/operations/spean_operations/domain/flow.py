"""The flow of events per topic as a chart wants it: one count per minute, the quiet minutes as zeros."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta


def minute_of(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def per_minute(
    counts: Iterable[tuple[str, datetime, int]], topics: Iterable[str], *, now: datetime, minutes: int
) -> dict[str, list[int]]:
    """`counts` holds (topic, minute, events); the answer has, for each of `topics`, the counts of the
    last `minutes` minutes up to and including `now`'s, oldest first."""
    first = minute_of(now) - timedelta(minutes=minutes - 1)
    series = {topic: [0] * minutes for topic in topics}
    for topic, minute, count in counts:
        index = int((minute_of(minute) - first) / timedelta(minutes=1))
        if topic in series and 0 <= index < minutes:
            series[topic][index] += count
    return series
