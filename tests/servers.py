"""Helpers for tests that run real local servers (moto, fakesnow) in subprocesses."""

from __future__ import annotations

import subprocess


def stop_server(proc: subprocess.Popen) -> None:
    """Terminate, and kill if it ignores SIGTERM (uvicorn-based servers may, with open conns)."""
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)
