"""Stand-in for the EventBridge schedules of the deployed stack.

    python -m local.scheduler

The jobs, their local intervals and their deployed rates are in scheduled/schedules.py. Today it
calls ``scheduled.release_holds.handler`` every 30 seconds (deployed: every minute, EventBridge's
shortest rate), ``scheduled.finish_syncs.handler``, ``scheduled.send_reminders.handler`` and
``scheduled.refresh_search.handler`` at start and every 15 seconds
(deployed: every minute) and ``scheduled.roll_horizon.handler`` at start and then every hour (deployed: hourly), with
the same ``({}, None)`` a scheduled Lambda gets. A job that found nothing to do logs nothing. The job
modules are imported at call time, so an edit is picked up on the next run and a module that does
not import yet only logs an error. A failing job is logged and retried on its next turn; it never
stops the loop. SIGTERM or SIGINT stops it.
"""
from __future__ import annotations

import argparse
import importlib
import logging
import signal
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from typing import Any, List, Optional

from scheduled.schedules import JOBS

log = logging.getLogger("local.scheduler")


@dataclass
class Job:
    """One schedule: ``module.handler({}, None)`` every ``every`` seconds."""

    module: str
    every: float
    run_at_start: bool
    next_run: float = 0.0

    def run(self) -> None:
        started = time.monotonic()
        try:
            handler = importlib.import_module(self.module).handler
            result = handler({}, None)
        except Exception:  # noqa: BLE001 - a failing job must not stop the schedule
            log.error("job %s failed:\n%s", self.module, traceback.format_exc().rstrip())
            return
        # A job that found nothing to do says nothing: the log shows what happened, not the clock ticking.
        if _did_something(result):
            log.info("job %s done in %.2fs: %s", self.module, time.monotonic() - started, _short(result))


def _did_something(result: Any) -> bool:
    if isinstance(result, dict):
        return any(bool(value) for value in result.values())
    return bool(result)


def _short(value: Any, limit: int = 300) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def default_jobs(release_every: float = 30.0, roll_every: float = 3600.0, sync_every: float = 15.0) -> List[Job]:
    """The jobs of scheduled/schedules.py; the intervals the command line can change override theirs."""
    overrides = {
        "release_holds": release_every,
        "roll_horizon": roll_every,
        # finish_syncs, send_reminders and refresh_search share the --finish-syncs-every interval.
        "finish_syncs": sync_every,
        "send_reminders": sync_every,
        "refresh_search": sync_every,
    }
    return [
        Job(job.module, every=overrides.get(job.name, job.local_every_seconds), run_at_start=job.run_at_start)
        for job in JOBS
    ]


def run(jobs: List[Job], stop: threading.Event) -> None:
    """Run ``jobs`` on their schedules until ``stop`` is set."""
    now = time.monotonic()
    for job in jobs:
        job.next_run = now if job.run_at_start else now + job.every
    while not stop.is_set():
        now = time.monotonic()
        for job in jobs:
            if stop.is_set():
                break
            if now >= job.next_run:
                job.run()
                job.next_run = max(job.next_run + job.every, time.monotonic())
        wait = min(job.next_run for job in jobs) - time.monotonic()
        if wait > 0:
            stop.wait(wait)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.scheduler", description=__doc__.split("\n")[0])
    defaults = {job.name: job.local_every_seconds for job in JOBS}
    parser.add_argument("--release-holds-every", type=float, default=defaults["release_holds"], help="seconds")
    parser.add_argument("--roll-horizon-every", type=float, default=defaults["roll_horizon"], help="seconds")
    parser.add_argument("--finish-syncs-every", type=float, default=defaults["finish_syncs"],
                        help="seconds (also send_reminders and refresh_search)")
    args = parser.parse_args(argv)

    logging.basicConfig(
        stream=sys.stdout, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    log.info(
        "scheduler started: release_holds every %ss, finish_syncs at start and every %ss, "
        "roll_horizon at start and every %ss",
        args.release_holds_every,
        args.finish_syncs_every,
        args.roll_horizon_every,
    )
    run(default_jobs(args.release_holds_every, args.roll_horizon_every, args.finish_syncs_every), stop)
    log.info("scheduler stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
