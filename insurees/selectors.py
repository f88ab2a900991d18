from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from common.errors import ApplicationError
from insurees.id_numbers import normalize_id_number
from insurees.models import Insuree, Person, PremiumRate, RegionPolicy, RegionScope, Scheme


def province_code(region_code: str) -> str:
    return f"{region_code[:2]}0000"


def region_policy_for(*, region_code: str) -> RegionPolicy:
    """The region's own policy, else its province's, else the default: same city, not exclusive."""
    policies = {
        policy.region_code: policy
        for policy in RegionPolicy.objects.filter(region_code__in=[region_code, province_code(region_code)])
    }
    return (
        policies.get(region_code)
        or policies.get(province_code(region_code))
        or RegionPolicy(region_code=region_code, scope=RegionScope.CITY, exclusive_family=False)
    )


def regions_within_scope(*, policy: RegionPolicy, first: str, second: str) -> bool:
    if policy.scope == RegionScope.PROVINCE:
        return first[:2] == second[:2]
    return first == second


def person_get_by_id_number(*, id_number: str) -> Person | None:
    return Person.objects.filter(id_number=normalize_id_number(id_number)).first()


def insuree_get(*, person: Person, scheme: Scheme) -> Insuree | None:
    return Insuree.objects.filter(person=person, scheme=scheme).select_related("person").first()


def insuree_get_by_id_number(*, id_number: str, scheme: Scheme) -> Insuree:
    """The person's registration in a scheme, or not_insured."""
    insuree = (
        Insuree.objects.filter(person__id_number=normalize_id_number(id_number), scheme=scheme)
        .select_related("person")
        .first()
    )
    if insuree is None:
        raise ApplicationError(
            "not_insured",
            _("No %(scheme)s registration was found for this ID number.") % {"scheme": Scheme(scheme).label},
            field="id_number",
        )
    return insuree


def premium_rate_get(*, region_code: str, year: int) -> PremiumRate:
    rate = PremiumRate.objects.filter(region_code=region_code, year=year).first()
    if rate is None:
        raise no_premium_rate()
    return rate


def no_premium_rate() -> ApplicationError:
    return ApplicationError(
        "no_premium_rate", _("No premium has been set for this region and year yet."), field="year"
    )


def insurances_of(*, person: Person) -> list[Insuree]:
    return list(Insuree.objects.filter(person=person).select_related("account").order_by("scheme"))
