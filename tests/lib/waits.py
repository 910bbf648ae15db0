"""waits.py: one factor for every deadline of the Python tests, and polling against it.

A test that waits for work done elsewhere (the worker, a signal taking effect, a breaker opening)
polls until its condition holds or a deadline passes: a fixed sleep either wastes time on a quiet
machine or loses the race on a loaded one. Deadlines are written for a quiet 2-core machine and
multiplied by SLOW, $STARLING_TEST_SLOW (default 1; tests/integration/suite.sh raises it when it
runs several set-ups at once), so one knob stretches them all. Timing assertions (a request
answered in under N seconds) are not scaled: they are what the test is about.
"""

import os
import time

from starling_test import Failure

try:
    SLOW = max(1.0, float(os.environ.get("STARLING_TEST_SLOW", "1")))
except ValueError:
    SLOW = 1.0


def deadline(seconds):
    """The monotonic time seconds * SLOW from now."""
    return time.monotonic() + seconds * SLOW


def wait_for(cond, what, seconds, every=0.1):
    """Polls cond() every `every` seconds until it returns something true, and returns that;
    raises Failure(what) once seconds * SLOW have passed (cond runs once more at the
    deadline, so a slow cond is not cut short)."""
    end = deadline(seconds)
    while True:
        got = cond()
        if got:
            return got
        if time.monotonic() >= end:
            raise Failure("%s (waited %.0f s)" % (what, seconds * SLOW))
        time.sleep(every)
