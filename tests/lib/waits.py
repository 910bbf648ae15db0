"""waits.py: one factor for every deadline of the Python tests, and polling against it.

A test that waits for work done elsewhere (the worker, a signal taking effect, a breaker opening)
polls until its condition holds or a deadline passes: a fixed sleep either wastes time on a quiet
machine or loses the race on a loaded one. Deadlines are written for a quiet 2-core machine and
multiplied by SLOW, $STARLING_TEST_SLOW (default 1; 2 or 3 on a machine busy with other work,
docs/testing.md), so one knob stretches them all, the request timeout of starling_test.py too.
Timing assertions (a request answered in under N seconds) are not scaled: they are the test.
"""

import os
import time

try:
    SLOW = max(1.0, float(os.environ.get("STARLING_TEST_SLOW", "1")))
except ValueError:
    SLOW = 1.0


def until(seconds):
    """The monotonic time seconds * SLOW from now."""
    return time.monotonic() + seconds * SLOW


def wait_for(cond, what, seconds, every=0.1):
    """Polls cond() every `every` seconds until it returns something true, and returns that;
    raises Failure(what) once seconds * SLOW have passed (cond runs once more at the
    deadline, so a slow cond is not cut short)."""
    end = until(seconds)
    while True:
        got = cond()
        if got:
            return got
        if time.monotonic() >= end:
            from starling_test import Failure   # here: starling_test imports this module
            raise Failure("%s (waited %.0f s)" % (what, seconds * SLOW))
        time.sleep(every)
