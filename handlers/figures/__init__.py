"""Handlers of /report and /figures."""
