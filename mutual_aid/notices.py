"""The words of the notices about bindings, and the relation as their reader reads it.

A notice keeps the relation as stored on the binding (the beneficiary's to the authorizer) and which
side reads it; the words come at reading time, in the reader's language (notices.rendering).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from mutual_aid.models import Channel, EndReason
from mutual_aid.relations import relation_seen_by
from notices.models import NoticeKind


def relation_words(*, relation: str, reader_is_authorizer: bool) -> str:
    """What the other side is to the reader, to follow "your" ("your child"; 您的子女)."""
    return str(relation_seen_by(relation=relation, reader_is_authorizer=reader_is_authorizer).label).lower()


def _words(facts: Mapping[str, Any]) -> dict[str, str]:
    return {
        "relation": relation_words(
            relation=facts["relation"], reader_is_authorizer=facts["reader_is_authorizer"]
        ),
        "name": facts["relative_name"],
    }


def binding_created_text(facts: Mapping[str, Any]) -> str:
    words = _words(facts)
    counter = facts.get("channel") == Channel.COUNTER
    if facts["reader_is_authorizer"]:
        if counter:
            return (
                _(
                    "At the service counter, you bound your %(relation)s %(name)s for family mutual aid: "
                    "your personal account can now pay their resident premium."
                )
                % words
            )
        return (
            _(
                "You bound your %(relation)s %(name)s for family mutual aid: your personal account can now "
                "pay their resident premium."
            )
            % words
        )
    if counter:
        return (
            _(
                "At the service counter, your %(relation)s %(name)s bound you for family mutual aid: their "
                "personal account can now pay your resident premium. If you did not know of this, you "
                "can end the binding."
            )
            % words
        )
    return (
        _(
            "Your %(relation)s %(name)s bound you for family mutual aid: their personal account can now pay "
            "your resident premium. If you did not know of this, you can end the binding."
        )
        % words
    )


def _ended_for_authorizer() -> dict[str, str]:
    return {
        EndReason.AUTHORIZER_UNBOUND: _(
            "You ended the mutual-aid binding with your %(relation)s %(name)s. Your personal account no "
            "longer pays their premium."
        ),
        EndReason.BENEFICIARY_UNBOUND: _(
            "Your %(relation)s %(name)s ended the mutual-aid binding with you. Your personal account no "
            "longer pays their premium."
        ),
        EndReason.AUTHORIZER_NOT_ACTIVE: _(
            "Your employee insurance is no longer active, so your mutual-aid binding with your "
            "%(relation)s %(name)s has ended."
        ),
        EndReason.AUTHORIZER_MOVED: _(
            "Your employee insurance moved to another pooling region, so your mutual-aid binding with "
            "your %(relation)s %(name)s has ended. You can bind again."
        ),
        EndReason.BENEFICIARY_NOT_ACTIVE: _(
            "The resident insurance of your %(relation)s %(name)s is no longer active, so your "
            "mutual-aid binding with them has ended."
        ),
        EndReason.BENEFICIARY_MOVED: _(
            "The resident insurance of your %(relation)s %(name)s moved to another pooling region, so "
            "your mutual-aid binding with them has ended."
        ),
    }


def _ended_for_beneficiary() -> dict[str, str]:
    return {
        EndReason.AUTHORIZER_UNBOUND: _(
            "Your %(relation)s %(name)s ended the mutual-aid binding with you. Their personal account no "
            "longer pays your premium."
        ),
        EndReason.BENEFICIARY_UNBOUND: _(
            "You ended the mutual-aid binding with your %(relation)s %(name)s. Their personal account no "
            "longer pays your premium."
        ),
        EndReason.AUTHORIZER_NOT_ACTIVE: _(
            "The employee insurance of your %(relation)s %(name)s is no longer active, so the mutual-aid "
            "binding has ended: their personal account no longer pays your premium."
        ),
        EndReason.AUTHORIZER_MOVED: _(
            "The employee insurance of your %(relation)s %(name)s moved to another pooling region, so "
            "the mutual-aid binding has ended: their personal account no longer pays your premium."
        ),
        EndReason.BENEFICIARY_NOT_ACTIVE: _(
            "Your resident insurance is no longer active, so the mutual-aid binding with your "
            "%(relation)s %(name)s has ended."
        ),
        EndReason.BENEFICIARY_MOVED: _(
            "Your resident insurance moved to another pooling region, so the mutual-aid binding with "
            "your %(relation)s %(name)s has ended."
        ),
    }


def binding_ended_text(facts: Mapping[str, Any]) -> str:
    texts = _ended_for_authorizer() if facts["reader_is_authorizer"] else _ended_for_beneficiary()
    return texts[EndReason(facts["reason"])] % _words(facts)


RENDERERS = {
    NoticeKind.BINDING_CREATED: binding_created_text,
    NoticeKind.BINDING_ENDED: binding_ended_text,
}
