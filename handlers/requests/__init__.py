"""Handlers of a request's life: /120 /110 /request, talk, /mine /status /resolve, /cancelall."""
