"""The domain, the use cases and the wiring of the help line."""

import os

# PTB 22 reports RetryAfter.retry_after as a timedelta when asked to (its future default);
# asking now keeps its deprecation warning out of our logs.
os.environ.setdefault("PTB_TIMEDELTA", "1")
