"""The worker process that reads and draws reports (``bot.offloop``): it runs at the lowest
priority, a dead worker is replaced, and it never outlives a bot killed with SIGKILL (a
kill-9 test, a crash or an OOM kill must not leave a reader of the database behind)."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys

import pytest

pytestmark = pytest.mark.process

SCRIPT = """
import asyncio, os, sys
from bot import offloop

async def main():
    first = await offloop.run(os.getpid)
    niceness = await offloop.run(os.nice, 0)
    print(first, niceness, flush=True)
    os.kill(first, 9)  # the worker dies under it
    second = await offloop.run(os.getpid)
    print(second, flush=True)
    sys.stdin.read()  # until the test kills this process

if __name__ == "__main__":
    asyncio.run(main())
"""


def _line(process: subprocess.Popen[str]) -> str:
    """The next line the script prints, or a failure after 60 s rather than a hang."""
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], 60)
    assert ready, "the script printed nothing for 60 s"
    return process.stdout.readline()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(
    "faketime" in os.environ.get("LD_PRELOAD", ""),
    reason="libfaketime fakes the absolute deadlines multiprocessing's locks wait on, and "
    "this test has no date in it (the any-date pass hung on it)",
)
def test_the_worker_is_low_priority_replaced_when_dead_and_dies_with_a_killed_parent() -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", SCRIPT],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # the killed parent's resource tracker complains
        text=True,
    )
    try:
        assert parent.stdout is not None
        first, niceness = map(int, _line(parent).split())
        second = int(_line(parent))
        assert niceness == 19
        assert second != first and _alive(second)
        # A pidfd turns readable when the worker is gone: an event, not a poll (and no
        # time.sleep, which libfaketime breaks in the any-date pass).
        gone = os.pidfd_open(second)
        try:
            os.kill(parent.pid, signal.SIGKILL)
            parent.wait()
            ready, _, _ = select.select([gone], [], [], 30)
        finally:
            os.close(gone)
        assert ready and not _alive(second), "the worker outlived its killed parent"
    finally:
        parent.kill()
        parent.wait()
