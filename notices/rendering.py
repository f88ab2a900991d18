"""A notice's words, rendered when it is read, in the reader's language, from the facts it keeps.

The app that sends a kind of notice owns its words (payments.notifications, mutual_aid.notices) and
registers them as Django starts (its AppConfig.ready): notices knows the kinds, not the other rooms.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from notices.models import Notice, NoticeKind, NoticeLink

logger = logging.getLogger(__name__)

Renderer = Callable[[Mapping[str, Any]], str]

_renderers: dict[str, Renderer] = {}

# The page each kind of link opens, and the keyword of the id in its address.
_LINK_PAGES: dict[str, tuple[str, str | None]] = {
    NoticeLink.PAYMENT: ("payment-detail", "payment_id"),
    NoticeLink.BINDING: ("binding-manage", "binding_id"),
    NoticeLink.PAY: ("pay", None),
}


def notice_renderers_register(renderers: Mapping[NoticeKind, Renderer]) -> None:
    """Each kind's text from its facts, in the active language."""
    for kind, render in renderers.items():
        _renderers[kind] = render


def notice_text(notice: Notice) -> str:
    render = _renderers.get(notice.kind)
    if render is None:
        logger.error("notice %s: no text for kind %r", notice.pk, notice.kind)
    else:
        try:
            return render(notice.facts)
        except (KeyError, TypeError, ValueError):
            # A page of notices must still open: the reader sees that there is one, the log why.
            logger.exception("notice %s: its facts do not render", notice.pk)
    return _("You have a notice from the mutual-aid service.")


def notice_subject(notice: Notice) -> str:
    """A line naming the kind, e.g. an email's subject."""
    return str(NoticeKind(notice.kind).label)


def notice_link(notice: Notice) -> str | None:
    """The address of the page the notice is about, if there is one."""
    page = _LINK_PAGES.get(notice.link_kind)
    if page is None:
        return None
    name, keyword = page
    try:
        if keyword is None:
            return reverse(name)
        if notice.link_id is None:
            return None
        return reverse(name, kwargs={keyword: notice.link_id})
    except NoReverseMatch:
        return None


def notice_link_label(notice: Notice) -> str:
    labels: dict[str, str] = {
        NoticeLink.PAYMENT: _("See the payment"),
        NoticeLink.BINDING: _("See the binding"),
        NoticeLink.PAY: _("Pay now"),
    }
    return labels.get(notice.link_kind, "")
