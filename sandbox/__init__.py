"""A local Telegram Bot API server for tests, benchmarks and the demo (see ``server.py``)."""

from sandbox.faults import FaultRule, Limits
from sandbox.records import Call, Delivery
from sandbox.server import SandboxServer
from sandbox.users import CallbackAnswer, SentMessage, SimUser

__all__ = [
    "Call",
    "CallbackAnswer",
    "Delivery",
    "FaultRule",
    "Limits",
    "SandboxServer",
    "SentMessage",
    "SimUser",
]
