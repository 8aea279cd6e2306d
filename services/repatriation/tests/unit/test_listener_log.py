"""The listener's stop is logged at a level an operator's log-based alert can trust."""

from __future__ import annotations

import logging

import pytest

from spean_repatriation.app import LISTENER_STOP_SECONDS, ListenerStopLog

UVICORN_SAYS = "Cancel %s running task(s), timeout graceful shutdown exceeded"


@pytest.mark.parametrize(("cut_short", "level"), [(0, "INFO"), (2, "WARNING")])
def test_a_stop_that_outlasts_its_time_is_no_error_and_says_what_was_cut_short(cut_short: int, level: str) -> None:
    record = logging.LogRecord("uvicorn.error", logging.ERROR, __file__, 1, UVICORN_SAYS, (cut_short,), None)
    assert ListenerStopLog().filter(record)
    assert (record.levelname, record.levelno) == (level, logging.getLevelName(level))
    assert record.getMessage() == (
        f"cross-border listener stopped after {LISTENER_STOP_SECONDS} s; "
        f"{cut_short} message(s) cut short, sent again by their senders"
    )


def test_other_lines_of_uvicorn_are_left_as_they_are() -> None:
    record = logging.LogRecord("uvicorn.error", logging.ERROR, __file__, 1, "Exception in ASGI application", (), None)
    assert ListenerStopLog().filter(record)
    assert (record.levelno, record.getMessage()) == (logging.ERROR, "Exception in ASGI application")
