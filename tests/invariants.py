"""Run the invariant checker against the table the current test's settings point at, and require no violation.

Chaos and race tests call `assert_no_violations()` at their end. In-process moto is not thread-safe, so the
scan's segments are read one after another unless `workers` says otherwise (a serialised moto server can
take them at once).
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from chalicelib.domain.invariants import DEFAULT_SETTLE_SECONDS


def assert_no_violations(settle_seconds: int = DEFAULT_SETTLE_SECONDS, after_commit: bool = True,
                         now: Optional[datetime] = None, segments: int = 4, workers: Optional[int] = 1):
    """Check the whole table (at the services' clock unless `now` is given); fail listing every violation.

    after_commit=False for tests that never feed the stream: their bookings have no audit records or inbox
    entries to find. Returns the check (its report, items scanned, seconds) for tests that look further.
    """
    from chalicelib.service.invariants import check_table, summary

    result = check_table(segments=segments, settle_seconds=settle_seconds, after_commit=after_commit,
                         workers=workers, now=now)
    assert not result.report.violations, "\n".join(summary(result))
    return result
