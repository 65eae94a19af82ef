"""Real-process tests: ``helpline run`` as a child process, killed with SIGKILL on purpose.

Deselect them with ``-m "not process"`` (they start the bot several times, a few seconds
each).
"""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "process: starts `helpline run` as a real subprocess (and kills it)"
    )
