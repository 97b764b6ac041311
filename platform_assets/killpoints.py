"""Fault-injection points, used by the fault suite (tests/test_faults_*.py) and nothing else.

A pipeline step calls `reached("<step>.<boundary>")` where a crash is most dangerous: between
two durable writes that must agree (a Delta commit and its log, a file and the slot). When
`PLATFORM_KILL_AT` names the point (`name`: the first time it is reached; `name#N`: the Nth
time in this process) the process kills itself with SIGKILL: no cleanup, no finally, as the
OOM killer or a lost machine would. Unset, a call is one environment lookup.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

from platform_assets.variables import value

_times: Counter[str] = Counter()


def reached(name: str) -> None:
    wanted = value("PLATFORM_KILL_AT")
    if not wanted:
        return
    _times[name] += 1
    point, _, nth = wanted.partition("#")
    if point == name and _times[name] == int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
