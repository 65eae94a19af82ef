"""Handlers of /escalate, /confirm on a worker's behalf, /away and /back."""
