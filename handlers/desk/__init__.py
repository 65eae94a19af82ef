"""Handlers of the secretary's desk: /board, /handles, /remove, /away KEY, /family."""
