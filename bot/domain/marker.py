"""The catalog's marker, here so that the domain needs nothing outside itself.

A rule that refuses or names something says it in a msgid marked ``N_``; the words are
looked up in the user's language where they are shown (``bot.i18n``), never here.
"""


def N_(msgid: str) -> str:
    """Mark a msgid for extraction where it is translated later (by the handler)."""
    return msgid
