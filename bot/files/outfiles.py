"""Files written for the admin (a report, a backup, an export): refused when they would
overwrite something unasked or the live database, written where nobody else can look,
and put in place whole.

Each file is first written inside a fresh private directory (``mkdtemp``: mode 0700, a
name nobody can guess) beside its target, created there with ``O_EXCL`` and mode 0600,
then linked or renamed into place. A predictable temporary name in a shared directory
would let anyone who can write there plant a symlink and have the copy of the database
written wherever they chose; a private directory leaves nothing to plant.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bot.i18n import N_, t

EXISTS = N_("{file}: already exists; choose another name or add --force to overwrite it")
PRIVATE = 0o600


class OutputError(Exception):
    """The operator asked for something we refuse (``operator``), or writing failed."""

    def __init__(self, msgid: str, /, *, operator: bool = True, **params: Any) -> None:
        super().__init__(msgid)
        self.msgid = msgid
        self.params = params
        self.operator = operator  # False: something broke that the operator did not cause

    def text(self, lang: str) -> str:
        return t(lang, self.msgid, **self.params)


def directory_of(target: Path) -> Path:
    return target.parent if str(target.parent) else Path(".")


def check_target(target: Path, live: Path | None, *, force: bool) -> None:
    """Refuse a directory, the live database (even with ``force``), an existing file or
    link without ``force``, and a directory that does not exist."""
    if target.is_dir():
        raise OutputError(N_("{file}: is a directory"), file=target)
    if live is not None and target.exists():
        with contextlib.suppress(OSError):
            if target.samefile(live):
                raise OutputError(N_("{file}: is the live database itself"), file=target)
    if (target.exists() or target.is_symlink()) and not force:
        raise OutputError(EXISTS, file=target)
    if not directory_of(target).is_dir():
        raise OutputError(N_("{file}: the directory does not exist"), file=target)


@contextlib.contextmanager
def staged(targets: list[Path]) -> Iterator[list[Path]]:
    """One private path per target, in a private directory beside it, claimed empty
    (0600, ``O_EXCL``); the directories and whatever is left in them go afterwards."""
    rooms: list[Path] = []
    try:
        partials = []
        for target in targets:
            try:
                room = Path(tempfile.mkdtemp(prefix=".helpline-", dir=directory_of(target)))
                rooms.append(room)
                partial = room / target.name
                os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE))
            except OSError as exc:
                raise OutputError(
                    N_("{file}: cannot be written ({reason})"),
                    file=target,
                    reason=exc.strerror or exc,
                ) from None
            partials.append(partial)
        yield partials
    finally:
        for room in rooms:
            shutil.rmtree(room, ignore_errors=True)


def put_in_place(pairs: list[tuple[Path, Path]], *, force: bool) -> None:
    """Move each (partial, target) into place, private; without ``force`` never over a
    file that appeared meanwhile, and all of them or none (a CSV pair goes in whole)."""
    placed: list[Path] = []
    try:
        for partial, target in pairs:
            os.chmod(partial, PRIVATE)  # sqlite3 creates its file with the umask's mode
            if force:
                os.replace(partial, target)
            else:
                try:
                    os.link(partial, target)  # atomic, and never overwrites
                except FileExistsError:
                    raise OutputError(EXISTS, file=target) from None
                except OSError:  # a file system without hard links
                    if target.exists() or target.is_symlink():
                        raise OutputError(EXISTS, file=target) from None
                    os.replace(partial, target)
            placed.append(target)
    except BaseException:
        if not force:
            for target in placed:
                with contextlib.suppress(OSError):
                    target.unlink()
        raise
