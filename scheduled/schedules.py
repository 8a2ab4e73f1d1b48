"""The scheduled jobs: one registry for the local scheduler (local/scheduler.py) and infra/.

Each job is what an EventBridge rule says when deployed (its rate expression) and what the local
stack's scheduler does instead (an interval in seconds, and whether it runs once at start). Locally the
jobs run more often than deployed: EventBridge's shortest rate is a minute, and the local stack and its
tests should not wait that long.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List


@dataclass(frozen=True)
class ScheduledJob:
    """One scheduled function: ``handler({}, None)`` on a schedule."""

    name: str
    handler: str  # module:function
    rate: str  # EventBridge's ScheduleExpression when deployed
    local_every_seconds: float
    run_at_start: bool

    @property
    def module(self) -> str:
        return self.handler.split(":")[0]

    @property
    def function(self) -> str:
        return self.handler.split(":")[1]


JOBS: List[ScheduledJob] = [
    ScheduledJob(name="roll_horizon", handler="scheduled.roll_horizon:handler", rate="rate(1 hour)",
                 local_every_seconds=3600.0, run_at_start=True),
    ScheduledJob(name="release_holds", handler="scheduled.release_holds:handler", rate="rate(1 minute)",
                 local_every_seconds=30.0, run_at_start=False),
    ScheduledJob(name="finish_syncs", handler="scheduled.finish_syncs:handler", rate="rate(1 minute)",
                 local_every_seconds=15.0, run_at_start=True),
    ScheduledJob(name="send_reminders", handler="scheduled.send_reminders:handler", rate="rate(1 minute)",
                 local_every_seconds=15.0, run_at_start=True),
    ScheduledJob(name="refresh_search", handler="scheduled.refresh_search:handler", rate="rate(1 minute)",
                 local_every_seconds=15.0, run_at_start=True),
]


def job_named(name: str) -> ScheduledJob:
    """The job of that name; KeyError if there is none."""
    for job in JOBS:
        if job.name == name:
            return job
    raise KeyError(name)
