"""What a check page shows and its "Confirm and pay" confirms: the choice (the journey's draft) with each
premium's amount and, for a payment by the self-payment rule, the account that pays. The payment is
made only at those (the services' expected_* arguments, checked by pay.sql under its locks); when it
finds something else it moves nothing, and the check page is shown again saying what changed."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from common.errors import ApplicationError
from common.masking import mask_id_number
from mutual_aid.models import Binding
from mutual_aid.relations import relation_seen_by
from mutual_aid.selectors import binding_list_for_person
from payments import errors
from payments.forms import ConfirmForm
from payments.selectors import RelativesPaymentPreview, SelfPaymentPreview

PAYMENT_CHANGED = "payment_changed"

Preview = RelativesPaymentPreview | SelfPaymentPreview


@dataclass(frozen=True)
class Confirmation:
    """What the payer confirmed: each premium's amount in the choice's order, and the insuree whose
    account pays where the self-payment rule picks it (None where the payer is the one who chose)."""

    amounts_fen: list[int]
    payer_id: int | None = None

    @property
    def total_fen(self) -> int:
        return sum(self.amounts_fen)


def confirmation_of(preview: Preview) -> Confirmation:
    """What this check page shows."""
    if isinstance(preview, SelfPaymentPreview):
        return Confirmation(amounts_fen=[preview.line.amount_fen], payer_id=preview.payer.pk)
    return Confirmation(amounts_fen=[line.amount_fen for line in preview.lines])


def confirmation_value(draft: dict[str, Any], preview: Preview) -> str:
    """The value the check page's button sends back: the choice and what the page shows it would pay."""
    shown = confirmation_of(preview)
    return json.dumps(
        {"choice": draft, "amounts_fen": shown.amounts_fen, "payer_id": shown.payer_id},
        sort_keys=True,
        separators=(",", ":"),
    )


def confirmation_read(draft: dict[str, Any], value: str) -> Confirmation | None:
    """What a confirmation confirmed, if it is of the choice this draft holds now; None for another
    choice (changed in another tab since) or anything that is not a check page's confirmation."""
    try:
        sent = json.loads(value)
    except ValueError:
        return None
    if not isinstance(sent, dict) or sent.get("choice") != draft:
        return None
    amounts, payer_id = sent.get("amounts_fen"), sent.get("payer_id")
    if not isinstance(amounts, list) or not amounts or not all(_is_int(a, _INTEGER_MAX) for a in amounts):
        return None
    if payer_id is not None and not _is_int(payer_id, _BIGINT_MAX):
        return None
    return Confirmation(amounts_fen=amounts, payer_id=payer_id)


def changes_described(
    *, confirmed: Confirmation, preview: Preview | None, reader, refusal: ApplicationError
) -> list[str]:
    """What differs between what the payer confirmed and what the check page now shows, in words; the
    payment's own refusal where the page cannot be shown or shows the same again (it changed back)."""
    if preview is None:
        return [str(refusal.message)]
    now = confirmation_of(preview)
    described = []
    if now.amounts_fen != confirmed.amounts_fen:
        described.append(str(errors.amount_changed(confirmed.total_fen, now.total_fen).message))
    if isinstance(preview, SelfPaymentPreview) and confirmed.payer_id not in (None, now.payer_id):
        shown = _payer_named(preview, confirmed.payer_id, reader)
        now_named = _payer_label(preview.line.binding, reader)
        described.append(str(errors.payer_changed(shown, now_named).message))
    return described or [str(refusal.message)]


def _payer_named(preview: SelfPaymentPreview, payer_id: int | None, reader) -> str | None:
    """The account the page showed before, named as the page names it, if he is still bound."""
    binding = (
        binding_list_for_person(person=preview.beneficiary.person)
        .filter(beneficiary=preview.beneficiary, authorizer_id=payer_id)
        .first()
    )
    return None if binding is None else _payer_label(binding, reader)


def _payer_label(binding: Binding, reader) -> str:
    relation = relation_seen_by(
        relation=binding.relation, reader_is_authorizer=binding.authorizer.person_id == reader.pk
    ).label
    person = binding.authorizer.person
    return _("%(name)s (%(relation)s) %(id_number)s") % {
        "name": person.name,
        "relation": relation,
        "id_number": mask_id_number(person.id_number),
    }


# What payments_pay takes (integer[] amounts, a bigint payer): anything past them, from a tampered page,
# is no confirmation rather than an error from PostgreSQL.
_INTEGER_MAX = 2**31 - 1
_BIGINT_MAX = 2**63 - 1


def _is_int(value: object, maximum: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= maximum


def confirmation_posted(request, draft: dict[str, Any]) -> Confirmation | None:
    """What the check page's button confirmed, if it is of the choice this draft holds now; else None,
    with a word for the check page, which is shown again."""
    form = ConfirmForm(request.POST)
    confirmed = confirmation_read(draft, form.cleaned_data["choice"]) if form.is_valid() else None
    if confirmed is None:
        messages.warning(request, _("The choice has changed since this page was shown; check it again."))
    return confirmed


def confirmation_shown_again(
    request,
    *,
    to: str,
    key: str,
    confirmed: Confirmation,
    refusal: ApplicationError,
    preview: Callable[[], Preview],
    reader,
) -> HttpResponse:
    """After a payment_changed refusal (nothing moved): the check page again, with what changed since
    the payer saw it; it shows what would be paid now, or the refusal that now stops the choice."""
    try:
        now: Preview | None = preview()
    except ApplicationError:
        now = None
    for message in changes_described(confirmed=confirmed, preview=now, reader=reader, refusal=refusal):
        messages.warning(request, message)
    return redirect(to, key=key)
