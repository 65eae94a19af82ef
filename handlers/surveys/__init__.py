"""Handlers of /survey and the survey's answer buttons."""
