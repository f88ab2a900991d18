from __future__ import annotations

from django.db.models import Q, QuerySet

from common.names import same_name
from insurees.models import Insuree, InsureeStatus, Person, Scheme
from insurees.selectors import insurances_by_id_number, insurances_of_person
from mutual_aid import errors
from mutual_aid.models import Binding, BindingStatus, Pledge


def pledge_current() -> Pledge | None:
    return Pledge.objects.order_by("-version").first()


def pledge_check(*, version: int | None, accepted: bool) -> Pledge:
    """The pledge being signed must be accepted explicitly and be the one in force."""
    current = pledge_current()
    if not accepted or current is None or version != current.version:
        raise errors.pledge_required()
    return current


def authorizer_for(*, person: Person) -> Insuree:
    """The person's employee registration: the one that owns a personal account."""
    insurances = {insuree.scheme: insuree for insuree in insurances_of_person(person=person)}
    employee = insurances.get(Scheme.EMPLOYEE)
    if employee is None:
        raise errors.authorizer_not_employee() if insurances else errors.authorizer_not_insured()
    if employee.status != InsureeStatus.ACTIVE:
        raise errors.authorizer_not_active()
    return employee


def beneficiary_for(*, id_number: str, name: str | None = None) -> Insuree:
    """The resident registration behind an ID number; the name, when given, must match the roster."""
    insurances = {insuree.scheme: insuree for insuree in insurances_by_id_number(id_number=id_number)}
    if not insurances:
        raise errors.beneficiary_not_insured()
    any_insuree = next(iter(insurances.values()))
    if name is not None and not same_name(any_insuree.person.name, name):
        raise errors.name_mismatch()
    insuree = insurances.get(Scheme.RESIDENT)
    if insuree is None:
        raise errors.beneficiary_not_resident()
    return insuree


def binding_list_for_person(*, person: Person) -> QuerySet[Binding]:
    """Every binding the person is on, as authorizer or as beneficiary, newest first."""
    return (
        Binding.objects.filter(Q(authorizer__person=person) | Q(beneficiary__person=person))
        .select_related("authorizer__person", "beneficiary__person")
        .order_by("-created_at", "-pk")
    )


def binding_get_for_person(*, person: Person, binding_id: int) -> Binding:
    """A binding the person is on; anyone else's answers binding_not_found, as if it did not exist."""
    binding = binding_list_for_person(person=person).filter(pk=binding_id).first()
    if binding is None:
        raise errors.binding_not_found()
    return binding


def binding_get(*, binding_id: int) -> Binding:
    """Any binding by its id, with both sides, for staff acting at a counter; binding_not_found if none."""
    binding = (
        Binding.objects.select_related("authorizer__person", "beneficiary__person")
        .filter(pk=binding_id)
        .first()
    )
    if binding is None:
        raise errors.binding_not_found()
    return binding


def binding_active_between(*, authorizer: Insuree, beneficiary: Insuree) -> Binding | None:
    return Binding.objects.filter(
        authorizer=authorizer, beneficiary=beneficiary, status=BindingStatus.ACTIVE
    ).first()


def binding_active_exists_for_beneficiary(*, person: Person) -> bool:
    """Whether some account can pay this person's own premium now: an active binding to him."""
    return Binding.objects.filter(beneficiary__person=person, status=BindingStatus.ACTIVE).exists()


def binding_list_active_for_beneficiary_regions(
    *, region_codes: list[str], authorizer_id_from: int | None = None, authorizer_id_to: int | None = None
) -> QuerySet[Binding]:
    """The active bindings whose relative is insured in these regions; with bounds, only those of the
    authorizers whose ids are in [from, to) (a batch of a province-wide pass)."""
    bindings = Binding.objects.filter(status=BindingStatus.ACTIVE, beneficiary__region_code__in=region_codes)
    if authorizer_id_from is not None:
        bindings = bindings.filter(authorizer_id__gte=authorizer_id_from)
    if authorizer_id_to is not None:
        bindings = bindings.filter(authorizer_id__lt=authorizer_id_to)
    return bindings
