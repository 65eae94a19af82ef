"""Keep the message catalogs (bot/locale) in step with the code.

    python tools/catalog.py update   # extract msgids to messages.pot, merge them into the .po files
    python tools/catalog.py check    # exit 1 if a msgid has no zh translation, or its
                                     # {placeholders} differ from the translation's

The same as `pybabel extract -F babel.cfg --no-default-keywords -k t:2 -k N_ -k Refused
-c TRANSLATORS: -o bot/locale/messages.pot bot handlers schedules storage` followed by
`pybabel update` (or `init`) per language, with three differences: files are rewritten
only when a message changed (not for a new date alone), line numbers are left out of the
locations (fewer merge conflicts), and a translation that became obsolete comes back
when its msgid does.
"""

from __future__ import annotations

import argparse
import io
import string
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
MAPPING = ROOT / "babel.cfg"
LOCALE_DIR = ROOT / "bot" / "locale"
TEMPLATE = LOCALE_DIR / "messages.pot"
SOURCES = ("bot", "handlers", "schedules", "storage")
# t(lang, msgid, **params): the msgid is the 2nd argument; N_(msgid); Refused(msgid, **params).
KEYWORDS: dict[str, tuple[int, ...] | None] = {"t": (2,), "N_": None, "Refused": None}
COMMENT_TAGS = ("TRANSLATORS:",)
# Babel leaves parse_mapping_cfg unannotated: give it its type once.
_parse_mapping: Callable[[IO[str]], tuple[list[tuple[str, str]], dict[str, dict[str, Any]]]] = (
    parse_mapping_cfg
)
LANGUAGES = ("zh", "en")
REQUIRED = "zh"  # the default language: every msgid must be translated
_VOLATILE = (b'"POT-Creation-Date:', b'"PO-Revision-Date:')
HEADER = """\
# Messages of the Branch 110/120 help line (msgid = English, with {named} placeholders).
# Maintained with `python tools/catalog.py update`; see README, "Translations".
#"""


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"


def extract(root: Path = ROOT) -> Catalog:
    """Every msgid in the source tree, as a template catalog."""
    with (root / MAPPING.name).open(encoding="utf-8") as fh:
        method_map, options_map = _parse_mapping(fh)
    template = Catalog(
        project="helpline", version="1", charset="utf-8", fuzzy=False, header_comment=HEADER
    )
    for source in SOURCES:
        found = extract_from_dir(
            root / source,
            method_map,
            options_map,
            keywords=KEYWORDS,
            comment_tags=COMMENT_TAGS,
            strip_comment_tags=True,
        )
        for filename, lineno, message, comments, context in found:
            location = (f"{source}/{Path(filename).as_posix()}", lineno)
            template.add(message, None, [location], auto_comments=comments, context=context)
    return template


def placeholders(text: str) -> set[str] | None:
    """The names of the `{fields}` in `text`; None if its braces are malformed."""
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
    except ValueError:
        return None
    return {f.split(".")[0].split("[")[0] for f in fields}


def problems(template: Catalog, catalog: Catalog) -> list[str]:
    """What `catalog` lacks for `template`: untranslated or fuzzy msgids, placeholder drift."""
    found = []
    for message in template:
        msgid = message.id
        if not msgid or not isinstance(msgid, str):
            continue
        where = ", ".join(sorted({path for path, _ in message.locations}))
        translated = catalog.get(msgid, message.context)
        if translated is None or not translated.string or translated.fuzzy:
            state = "fuzzy" if translated is not None and translated.fuzzy else "missing"
            found.append(f"{state}: {msgid!r}  ({where})")
            continue
        expected, got = placeholders(msgid), placeholders(str(translated.string))
        if got is None or expected != got:
            found.append(
                f"placeholders differ: {msgid!r} has {sorted(expected or [])}, "
                f"the translation {translated.string!r} has "
                f"{'malformed braces' if got is None else sorted(got)}  ({where})"
            )
    return found


def _render(catalog: Catalog, *, template: bool) -> bytes:
    out = io.BytesIO()
    write_po(out, catalog, include_lineno=False, include_previous=not template, width=0)
    return out.getvalue()


def _same(old: bytes, new: bytes) -> bool:
    def strip(data: bytes) -> list[bytes]:
        return [line for line in data.splitlines() if not line.startswith(_VOLATILE)]

    return strip(old) == strip(new)


def _write(path: Path, data: bytes) -> bool:
    if path.exists() and _same(path.read_bytes(), data):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


def _read(path: Path, lang: str) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=lang)


def merge(template: Catalog, lang: str) -> Catalog:
    """`pybabel update` (or `init` for a new language), reviving obsolete translations."""
    path = po_path(lang)
    if path.exists():
        catalog = _read(path, lang)
    else:
        catalog = Catalog(
            locale=lang, project="helpline", version="1", fuzzy=False, header_comment=HEADER
        )
    for key in list(catalog.obsolete):
        msgid = key if isinstance(key, str) else key[0]
        if msgid in template:  # a msgid that came back keeps its old translation
            catalog[msgid] = catalog.obsolete.pop(key)
    catalog.update(template, update_header_comment=True)
    return catalog


def update(languages: Iterable[str] = LANGUAGES) -> None:
    template = extract()
    changed = _write(TEMPLATE, _render(template, template=True))
    print(f"{TEMPLATE.relative_to(ROOT)}: {len(template)} msgids{'' if changed else ', unchanged'}")
    for lang in languages:
        catalog = merge(template, lang)
        changed = _write(po_path(lang), _render(catalog, template=False))
        todo = len(problems(template, catalog))
        note = "" if lang == REQUIRED else " (optional: the msgid shows instead)"
        print(
            f"{po_path(lang).relative_to(ROOT)}: {todo} to translate or fix{note}"
            f"{'' if changed else ', unchanged'}"
        )


def check(lang: str = REQUIRED) -> int:
    template = extract()
    path = po_path(lang)
    catalog = _read(path, lang) if path.exists() else Catalog(locale=lang)
    found = problems(template, catalog)
    if not found:
        print(f"{path.relative_to(ROOT)}: all {len(template)} msgids translated")
        return 0
    print(f"{path.relative_to(ROOT)}: {len(found)} msgid(s) to translate or fix:")
    for line in found:
        print("  " + line)
    print(
        f"Run `python tools/catalog.py update`, then translate them in {path.relative_to(ROOT)}"
        " (keep every {placeholder}; remove the fuzzy flag once checked)."
    )
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tools/catalog.py", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("update", help="extract msgids and merge them into the .po files")
    commands.add_parser("check", help=f"exit 1 if the {REQUIRED} catalog misses or breaks one")
    args = parser.parse_args(argv)
    if args.command == "update":
        update()
        return 0
    return check()


if __name__ == "__main__":
    sys.exit(main())
