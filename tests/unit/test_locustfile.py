"""load/locustfile.py imports and declares the peak-hour mix; no request is sent.

It is imported in a subprocess: importing locust patches the standard library for gevent, which must not
happen in the test process.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("locustfile", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
from collections import Counter
from locust import HttpUser
user = module.PeakHourUser
print(json.dumps({
    "is_http_user": issubclass(user, HttpUser),
    "tasks": Counter(t.__name__ for t in user.tasks),
    "weights": module.WEIGHTS,
    "wait": [user.wait_time(None) for _ in range(50)],
}))
"""


def test_the_locustfile_declares_the_weighted_peak_hour_tasks():
    # Given the locustfile; When it is imported (in a process of its own)
    done = subprocess.run([sys.executable, "-c", PROBE, str(ROOT / "load" / "locustfile.py")], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    # Then its user is an HttpUser whose tasks are mostly search and availability, some holds and bookings
    assert found["is_http_user"]
    assert found["weights"] == {"search": 60, "availability": 30, "hold": 7, "book": 3}
    assert found["tasks"] == found["weights"]
    # And it thinks between 0.5 and 2 seconds between tasks
    assert all(0.5 <= wait <= 2.0 for wait in found["wait"])
