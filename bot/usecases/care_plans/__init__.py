"""Care plans and their visits: created, kept armed, reminded, done, escalated."""
