"""Chinese is the default language: every string in the catalog is translated, and compiled."""

import gettext
import re
from pathlib import Path

CATALOG = Path(__file__).resolve().parent.parent / "locale" / "zh_Hans" / "LC_MESSAGES"


def po_entries():
    text = (CATALOG / "django.po").read_text(encoding="utf-8")
    for block in text.split("\n\n")[1:]:
        msgid = "".join(
            re.findall(r'"(.*)"', block.split("msgid ", 1)[1].split("\nmsgid_plural")[0].split("\nmsgstr")[0])
        )
        translations = re.findall(r'msgstr(?:\[\d\])? ((?:".*"\n?)+)', block)
        context = re.findall(r'^msgctxt "(.*)"', block, re.MULTILINE)
        yield (
            f"{context[0]}\x04{msgid}" if context else msgid,
            ["".join(re.findall(r'"(.*)"', t)) for t in translations],
            "fuzzy" in block.split("msgid")[0],
        )


def test_every_string_has_a_chinese_translation():
    untranslated = [msgid for msgid, strings, fuzzy in po_entries() if fuzzy or not all(strings)]

    assert untranslated == []


def test_the_compiled_catalog_matches_the_source():
    compiled = gettext.GNUTranslations((CATALOG / "django.mo").open("rb"))
    missing = [
        msgid
        for msgid, _strings, _fuzzy in po_entries()
        if msgid and compiled._catalog.get(msgid) is None and (msgid, 0) not in compiled._catalog
    ]

    assert missing == []
