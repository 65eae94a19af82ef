"""A rule of the domain said no: the reason as a catalog msgid and its parameters.

The domain does not know the reader's language; whoever shows the refusal translates it
with ``t(lang, error.msgid, **error.params)``.
"""

from __future__ import annotations


class DomainRefusal(ValueError):
    def __init__(self, msgid: str, **params: object) -> None:
        super().__init__(msgid.format(**params) if params else msgid)
        self.msgid = msgid
        self.params = params
