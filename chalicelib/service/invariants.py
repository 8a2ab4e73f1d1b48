"""Check the table's invariants (chalicelib/domain/invariants.py) over a scan of the whole table.

A Scan is no snapshot: a booking committed while its segment was being read can show its booking item and
not its slots. So each violation the scan shows is confirmed by reading its items again as of one instant
(TransactGetItems, which never sees half of a transaction) and checking again; what is left after a check
that finds the same is reported. Audit records and inboxes are only judged for events older than the settle
time, which no scan outlives.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, List, Optional

from chalicelib.domain import invariants
from chalicelib.observability import logger
from chalicelib.service import clock
from chalicelib.service.stores import table_reader

#: Rounds of re-reading the items of what the last check found, until a check finds the same.
CONFIRM_ROUNDS = 3
#: The kinds a commit during the scan can fake; the after-commit ones wait for the settle time instead.
_RACY = (invariants.SLOT_WITHOUT_OWNER, invariants.MISSING_SLOT, invariants.SLOT_CLAIMED_TWICE,
         invariants.HOLD_PAST_EXPIRY)


@dataclass(frozen=True)
class TableCheck:
    """A check's outcome, with what the scan cost."""

    report: invariants.Report
    scanned: int  # items the table gave
    kept: int  # items the rules read
    capacity_units: float
    seconds: float
    segments: int
    now: datetime
    settle_seconds: int
    cleared_on_reread: int  # violations the scan showed that the re-read items do not

    def as_dict(self) -> Dict[str, Any]:
        """A JSON-ready form."""
        return {"checked_at": self.now.strftime("%Y-%m-%dT%H:%M:%SZ"), "segments": self.segments,
                "items_scanned": self.scanned, "items_checked": self.kept,
                "read_capacity_units": round(self.capacity_units, 1), "seconds": round(self.seconds, 3),
                "settle_seconds": self.settle_seconds, "events_checked": self.report.checked_events,
                "events_skipped_recent": self.report.skipped_recent, "cleared_on_reread": self.cleared_on_reread,
                "counts": self.report.counts(), "violations": [v.as_dict() for v in self.report.violations]}


def check_table(segments: int = 4, settle_seconds: int = invariants.DEFAULT_SETTLE_SECONDS,
                consistent_read: bool = False, after_commit: bool = True, workers: Optional[int] = None,
                now: Optional[datetime] = None) -> TableCheck:
    """Scan the table in parallel segments and report every confirmed violation of its invariants."""
    started = time.monotonic()
    now = now or clock.now()
    scan = table_reader.scan(segments=segments, consistent_read=consistent_read, attributes=invariants.ATTRIBUTES,
                             keep=invariants.relevant, workers=workers)
    items: Dict[invariants.Key, Dict[str, Any]] = {(item["pk"], item["sk"]): item for item in scan.items}
    report = invariants.check(items.values(), now, settle_seconds, after_commit)
    first = report
    for _ in range(CONFIRM_ROUNDS):
        keys = {key for violation in report.violations if violation.kind in _RACY for key in violation.keys}
        if not keys:
            break
        for key, item in table_reader.read_items(keys).items():
            if item is None:
                items.pop(key, None)
            elif invariants.relevant(item):
                items[key] = item
            else:
                items.pop(key, None)
        again = invariants.check(items.values(), now, settle_seconds, after_commit)
        same = invariants.identities(again) == invariants.identities(report)
        report = again
        if same:
            break
    cleared = len(invariants.identities(first) - invariants.identities(report))
    result = TableCheck(report=report, scanned=scan.scanned, kept=len(scan.items), capacity_units=scan.capacity_units,
                        seconds=time.monotonic() - started, segments=segments, now=now,
                        settle_seconds=settle_seconds, cleared_on_reread=cleared)
    log = logger.warning if report.violations else logger.info
    log("Invariants checked", items_scanned=scan.scanned, violations=len(report.violations),
        counts=report.counts(), cleared_on_reread=cleared)
    return result


def summary(check: TableCheck) -> List[str]:
    """The lines a person reads: totals, counts by kind, then each violation."""
    lines = [f"checked {check.kept} of {check.scanned} items scanned in {check.seconds:.2f}s "
             f"({check.segments} segments, {check.capacity_units:.1f} read capacity units) at "
             f"{check.now.strftime('%Y-%m-%dT%H:%M:%SZ')}",
             f"booking events checked: {check.report.checked_events}; skipped as newer than {check.settle_seconds}s: "
             f"{check.report.skipped_recent}; cleared on re-read: {check.cleared_on_reread}"]
    lines += [f"  {kind}: {count}" for kind, count in check.report.counts().items()]
    lines += [f"{v.kind} provider={v.provider_id} {v.message} keys={[list(k) for k in v.keys]}"
              for v in check.report.violations]
    lines.append(f"{len(check.report.violations)} violation(s)")
    return lines
