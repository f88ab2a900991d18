"""Persons' names as people type them: the roster's name and the one typed must be found the same
whatever the keyboard made of it."""

import re
import unicodedata

# The separator of a transliterated name (买买提·艾力): keyboards and IMEs give any of these for it.
_MIDDLE_DOTS = str.maketrans(dict.fromkeys("•・‧･⋅∙", "·"))
_SPACED_DOT = re.compile(r"\s*·\s*")


def name_key(name: str) -> str:
    """The name as compared: NFC (a decomposed "ë" is the composed one), every middle dot as U+00B7
    without spaces around it, none at either end."""
    dotted = unicodedata.normalize("NFC", name).translate(_MIDDLE_DOTS)
    return _SPACED_DOT.sub("·", dotted).strip()


def same_name(a: str, b: str) -> bool:
    return name_key(a) == name_key(b)
