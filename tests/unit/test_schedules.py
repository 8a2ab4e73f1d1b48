"""The registry of scheduled jobs and the local scheduler that reads it."""
import importlib
import re

from local.scheduler import default_jobs
from scheduled.schedules import JOBS, job_named


def test_each_job_names_a_handler_that_exists():
    for job in JOBS:
        assert callable(getattr(importlib.import_module(job.module), job.function))


def test_each_rate_is_an_eventbridge_rate_expression():
    for job in JOBS:
        assert re.fullmatch(r"rate\((1 (minute|hour|day)|([2-9]|\d\d+) (minutes|hours|days))\)", job.rate), job.rate


def test_the_local_scheduler_runs_the_registry():
    jobs = default_jobs()
    assert [(j.module, j.every, j.run_at_start) for j in jobs] == [
        (job.module, job.local_every_seconds, job.run_at_start) for job in JOBS
    ]
    assert job_named("release_holds").run_at_start is False


def test_the_command_line_intervals_still_override():
    jobs = {j.module: j.every for j in default_jobs(release_every=1, roll_every=2, sync_every=3)}
    assert jobs == {
        "scheduled.release_holds": 1, "scheduled.roll_horizon": 2, "scheduled.finish_syncs": 3,
        "scheduled.send_reminders": 3, "scheduled.refresh_search": 3,
    }
