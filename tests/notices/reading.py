"""The tests' shorthand for reading notices as their reader does."""

from __future__ import annotations

from django.utils import translation

from notices.models import Notice
from notices.rendering import notice_text
from notices.selectors import notice_list_for_person


def notices_of(person) -> list[Notice]:
    return list(notice_list_for_person(person_id=person.pk).order_by("pk"))


def texts_of(person, language: str) -> list[str]:
    """The person's notices, oldest first, as they read in the language."""
    with translation.override(language):
        return [notice_text(notice) for notice in notices_of(person)]
