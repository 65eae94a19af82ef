"""Heavy work asked for by a person, done where it cannot slow an alert down.

A year's figures over a busy database and the charts drawn from them take a second of CPU.
In a thread of the bot they share its interpreter lock and, on a two-core box, the core
the event loop needs; a ``/120`` raised meanwhile waited up to 150 ms more for its alert
(``python -m bench --only inputs``). Here they run in one worker process at the lowest CPU
priority: the kernel gives the bot's loop the core first, and the worker has its own lock.

The worker is started at the first use, not at start-up (most days nobody asks for a
report), and is replaced when it dies. What it runs must be a module-level function of
picklable arguments. It exits with its parent, even one killed with SIGKILL.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import multiprocessing
import multiprocessing.connection
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

T = TypeVar("T")

NICENESS = 19  # the lowest priority: it runs on what the bot leaves over

_pool: ProcessPoolExecutor | None = None


def _start_worker() -> None:
    """In the worker, before any work: the lowest priority, and an exit with the parent.
    A parent killed with SIGKILL tells nobody; its end of the worker's pipe closing is the
    only sign, and the worker is blocked reading work that will never come, so a thread
    waits for that sign."""
    os.setpriority(os.PRIO_PROCESS, 0, NICENESS)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent.sentinel,), daemon=True).start()


def _exit_with(sentinel: int) -> None:
    multiprocessing.connection.wait([sentinel])
    os._exit(0)


def _executor() -> ProcessPoolExecutor:
    global _pool
    if _pool is None:
        # "spawn": a fresh interpreter, not a fork of one whose threads (the database's,
        # the HTTP client's) might hold a lock at the moment of forking.
        _pool = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
        )
    return _pool


async def run(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)`` in the worker process; a worker that died is replaced and
    the call tried once more (its work is a read and a drawing: safe to repeat)."""
    global _pool
    call = functools.partial(fn, *args, **kwargs)
    try:
        return await _submit(call)
    except BrokenProcessPool:
        _pool = None
        return await _submit(call)


async def _submit(call: Callable[[], T]) -> T:
    # Submitted from a thread: the first submit starts the worker (fork and exec of a
    # process the size of the bot), which must not stall the event loop.
    future = await asyncio.to_thread(_submit_low, call)
    return await asyncio.wrap_future(future)


def _submit_low(call: Callable[[], T]) -> Future[T]:
    """Submit, and lower a worker just started at once: its start (an interpreter, then
    the bot's own imports) would otherwise run at full priority until its initializer."""
    pool = _executor()
    future = pool.submit(call)
    for pid in getattr(pool, "_processes", None) or {}:  # CPython keeps its workers there
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, pid, NICENESS)
    return future


def shutdown() -> None:
    """Stop the worker (at the bot's stop; the interpreter's exit would do it too)."""
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=False, cancel_futures=True)
        _pool = None
