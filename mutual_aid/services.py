"""Binding (共济关系): create, end, pause self-payment, and end all when an insuree's situation changes;
publishing the pledge a binding is signed with."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from insurees.models import Insuree, InsureeStatus, Person, Scheme
from insurees.selectors import region_policy_for, regions_within_scope
from insurees.services import insurees_lock
from mutual_aid import errors
from mutual_aid.models import Binding, BindingStatus, Channel, EndReason, Pledge, Relation
from mutual_aid.pledges import pledge_sha256
from notices.models import NoticeKind, NoticeLink
from notices.services import NoticeDraft, notices_send


def _check_sides(*, authorizer: Insuree, beneficiary: Insuree) -> None:
    if authorizer.scheme != Scheme.EMPLOYEE:
        raise errors.authorizer_not_employee()
    if authorizer.status != InsureeStatus.ACTIVE:
        raise errors.authorizer_not_active()
    if beneficiary.scheme != Scheme.RESIDENT:
        raise errors.beneficiary_not_resident()
    if beneficiary.status != InsureeStatus.ACTIVE:
        raise errors.beneficiary_not_active()


@transaction.atomic
def binding_create(
    *,
    authorizer: Insuree,
    beneficiary: Insuree,
    relation: str,
    pledge: Pledge,
    channel: Channel,
    signer: Person,
    operator: User | None = None,
    counter_id: str = "",
    paper_pledge_ref: str = "",
) -> Binding:
    if authorizer.person_id == beneficiary.person_id:
        raise errors.self_binding()
    if relation not in Relation.values:
        raise errors.relation_not_allowed()

    # Lock both registrations, then judge them as they are now, not as the caller last read them.
    locked = insurees_lock(insuree_ids=[authorizer.pk, beneficiary.pk])
    authorizer, beneficiary = locked[authorizer.pk], locked[beneficiary.pk]
    _check_sides(authorizer=authorizer, beneficiary=beneficiary)

    policy = region_policy_for(region_code=authorizer.region_code)
    if not regions_within_scope(policy=policy, first=authorizer.region_code, second=beneficiary.region_code):
        raise errors.region_mismatch()

    active = list(Binding.objects.filter(beneficiary=beneficiary, status=BindingStatus.ACTIVE))
    if any(binding.authorizer_id == authorizer.pk for binding in active):
        raise errors.already_bound()
    beneficiary_policy = region_policy_for(region_code=beneficiary.region_code)
    if active and (policy.exclusive_family or beneficiary_policy.exclusive_family):
        raise errors.family_exclusive()

    try:
        with transaction.atomic():
            binding = Binding.objects.create(
                authorizer=authorizer,
                beneficiary=beneficiary,
                relation=relation,
                pledge=pledge,
                pledge_version=pledge.version,
                pledge_sha256=pledge.sha256,
                signed_at=timezone.now(),
                signer=signer,
                channel=channel,
                operator=operator,
                counter_id=counter_id,
                paper_pledge_ref=paper_pledge_ref,
            )
    except IntegrityError:
        # The partial unique index caught a twin request that committed first.
        raise errors.already_bound() from None
    notices_send(drafts=_binding_notices(binding, NoticeKind.BINDING_CREATED, channel=channel))
    return binding


@transaction.atomic
def binding_end(*, binding: Binding, ended_by: Person) -> Binding:
    """Either side may end its binding; the row stays, with when and why it ended."""
    binding = (
        Binding.objects.select_for_update(of=("self",))
        .select_related("authorizer__person", "beneficiary__person")
        .get(pk=binding.pk)
    )
    if binding.status != BindingStatus.ACTIVE:
        raise errors.binding_not_found()
    if ended_by.pk == binding.authorizer.person_id:
        reason = EndReason.AUTHORIZER_UNBOUND
    elif ended_by.pk == binding.beneficiary.person_id:
        reason = EndReason.BENEFICIARY_UNBOUND
    else:
        raise errors.binding_not_found()
    binding.status, binding.ended_at, binding.end_reason = BindingStatus.ENDED, timezone.now(), reason
    binding.save(update_fields=["status", "ended_at", "end_reason"])
    notices_send(drafts=_binding_notices(binding, NoticeKind.BINDING_ENDED, reason=reason))
    return binding


@transaction.atomic
def binding_set_self_pay_paused(*, binding: Binding, paused: bool, by: Person) -> Binding:
    """Only the authorizer decides whether his relative may self-pay from his account."""
    binding = Binding.objects.select_for_update().select_related("authorizer").get(pk=binding.pk)
    if binding.status != BindingStatus.ACTIVE or binding.authorizer.person_id != by.pk:
        raise errors.binding_not_found()
    binding.self_pay_paused = paused
    binding.save(update_fields=["self_pay_paused"])
    return binding


@transaction.atomic(savepoint=False)
def binding_end_all_for_insuree(*, insuree: Insuree, reason: EndReason) -> int:
    """Ends at once every active binding the insuree is on (insurance ended or moved away), and tells
    both sides of each: one statement locks them, one ends them, one writes every notice."""
    side = "authorizer" if insuree.scheme == Scheme.EMPLOYEE else "beneficiary"
    # The lock the update takes anyway (a payment's foreign key to the binding does not conflict).
    ending = list(
        Binding.objects.select_for_update(no_key=True, of=("self",))
        .filter(**{side: insuree}, status=BindingStatus.ACTIVE)
        .select_related("authorizer__person", "beneficiary__person")
        .order_by("pk")
    )
    if not ending:
        return 0
    Binding.objects.filter(pk__in=[binding.pk for binding in ending]).update(
        status=BindingStatus.ENDED, ended_at=timezone.now(), end_reason=reason
    )
    notices_send(
        drafts=[
            draft
            for binding in ending
            for draft in _binding_notices(binding, NoticeKind.BINDING_ENDED, reason=reason)
        ]
    )
    return len(ending)


def bindings_lock_active_of_insurees(*, insuree_ids: list[int]) -> None:
    """Locks every active binding these insurees are on, in primary-key order. A caller that ends
    several insurees' bindings one statement after another (the roster's changes) takes them all
    first: an ending binding's allowance release locks its authorizer's accounts, so ending them one by
    one could hold one authorizer's accounts while waiting for another binding of his that an
    allowance change holds while it waits for those accounts."""
    list(
        Binding.objects.select_for_update(no_key=True, of=("self",))
        .filter(
            Q(authorizer_id__in=insuree_ids) | Q(beneficiary_id__in=insuree_ids), status=BindingStatus.ACTIVE
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _binding_notices(binding: Binding, kind: NoticeKind, **facts: Any) -> list[NoticeDraft]:
    """The notice to each side of a binding. Each names the other side in full, as the reader's own
    relative, and keeps the stored relation with the reader's side: it reads "your child" to the
    authorizer of his child, "your parent" to the child."""
    authorizer, beneficiary = binding.authorizer.person, binding.beneficiary.person
    shared = {"binding_id": binding.pk, "relation": binding.relation, **facts}
    return [
        NoticeDraft(
            person_id=reader.pk,
            kind=kind,
            facts={**shared, "reader_is_authorizer": reader is authorizer, "relative_name": other.name},
            link_kind=NoticeLink.BINDING,
            link_id=binding.pk,
        )
        for reader, other in ((authorizer, beneficiary), (beneficiary, authorizer))
    ]


@transaction.atomic
def pledge_publish(*, text_zh: str, text_en: str) -> Pledge:
    """Publishes a pledge text as the next version, the one every new binding signs from now on;
    bindings signed before keep theirs. The text already in force publishes nothing: it is returned."""
    text_zh, text_en = text_zh.strip(), text_en.strip()
    if not text_zh:
        raise errors.pledge_text_required(field="text_zh")
    if not text_en:
        raise errors.pledge_text_required(field="text_en")
    # Publishers queue here, so two never take the same version. Reads go on; a binding being signed
    # meanwhile waits the moment this takes.
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {Pledge._meta.db_table} IN EXCLUSIVE MODE")
    current = Pledge.objects.order_by("-version").first()
    if current is not None and (current.text_zh, current.text_en) == (text_zh, text_en):
        return current
    return Pledge.objects.create(
        version=current.version + 1 if current else 1,
        text_zh=text_zh,
        text_en=text_en,
        sha256=pledge_sha256(text_zh),
    )
