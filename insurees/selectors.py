from __future__ import annotations

import datetime
from collections.abc import Collection
from functools import cache
from typing import cast

from django.db import connection
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from common.errors import ApplicationError
from common.id_numbers import normalize_id_number
from common.rows import columns, instances
from insurees.models import (
    Enrollment,
    Insuree,
    Person,
    PremiumKind,
    PremiumRate,
    RegionPolicy,
    RegionScope,
    Scheme,
)


def province_code(region_code: str) -> str:
    return f"{region_code[:2]}0000"


def region_codes_configured() -> list[str]:
    """The regions the portal serves, e.g. for the review's filter: every region with a premium rate
    or a policy (a payment is priced by its region's rate, so every paid region is among them), and
    the province of each, which covers all its cities; sorted by code, so a province comes before its
    cities. Read from the two small configuration tables, never from the payments themselves."""
    codes = set(PremiumRate.objects.values_list("region_code", flat=True).distinct())
    codes |= set(RegionPolicy.objects.values_list("region_code", flat=True))
    codes |= {province_code(code) for code in codes}
    return sorted(codes)


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
    """The person's registration in a scheme, with the person, or not_insured. On every payment:
    one statement written once (common/rows.py)."""
    with connection.cursor() as cursor:
        cursor.execute(_insuree_by_id_number_sql(), [normalize_id_number(id_number), str(scheme)])
        row = cursor.fetchone()
    if row is None:
        raise not_insured(scheme)
    found = instances(row, [Insuree, Person])  # both keys are there: an inner join
    insuree, person = cast(Insuree, found[0]), cast(Person, found[1])
    insuree.person = person
    return insuree


def not_insured(scheme: Scheme) -> ApplicationError:
    return ApplicationError(
        "not_insured",
        _("No %(scheme)s registration was found for this ID number.") % {"scheme": Scheme(scheme).label},
        field="id_number",
    )


@cache
def _insuree_by_id_number_sql() -> str:
    return (
        f"SELECT {columns(Insuree, 'i')}, {columns(Person, 'p')} "  # noqa: S608 - names from the models
        f"FROM {Insuree._meta.db_table} i JOIN {Person._meta.db_table} p ON p.id = i.person_id "
        "WHERE p.id_number = %s AND i.scheme = %s"
    )


def premium_rate_get(
    *, region_code: str, year: int, kind: PremiumKind = PremiumKind.RESIDENT_MEDICAL
) -> PremiumRate:
    rate = PremiumRate.objects.filter(region_code=region_code, year=year, kind=kind).first()
    if rate is None:
        raise no_premium_rate(kind=kind)
    return rate


def no_premium_rate(*, kind: PremiumKind = PremiumKind.RESIDENT_MEDICAL) -> ApplicationError:
    if kind == PremiumKind.LONG_TERM_CARE:
        # Most regions set no long-term-care rate at all: the kind is what was asked for wrongly.
        return ApplicationError(
            "no_premium_rate",
            _("No long-term-care insurance premium has been set for this region and year."),
            field="kind",
        )
    return ApplicationError(
        "no_premium_rate", _("No premium has been set for this region and year yet."), field="year"
    )


def insurances_of_person(*, person: Person) -> list[Insuree]:
    """The person's registrations, each with the person. On every payment page: one statement
    written once (common/rows.py)."""
    with connection.cursor() as cursor:
        cursor.execute(_insurances_of_person_sql(), [person.pk])
        found = [cast(Insuree, instances(row, [Insuree])[0]) for row in cursor]
    for insuree in found:
        insuree.person = person
    return found


@cache
def _insurances_of_person_sql() -> str:
    table = Insuree._meta.db_table
    return f"SELECT {columns(Insuree, 'i')} FROM {table} i WHERE i.person_id = %s"  # noqa: S608 - names from the model


def insurances_by_id_number(*, id_number: str) -> list[Insuree]:
    """Every registration of the person with this ID number, each with the person."""
    return list(
        Insuree.objects.filter(person__id_number=normalize_id_number(id_number)).select_related("person")
    )


def premium_rates_for(
    *, region_codes: set[str], years: list[int], kind: PremiumKind = PremiumKind.RESIDENT_MEDICAL
) -> dict[tuple[str, int], PremiumRate]:
    """The rates of one kind of these regions and years, by (region, year)."""
    return {
        (rate.region_code, rate.year): rate
        for rate in PremiumRate.objects.filter(region_code__in=region_codes, year__in=years, kind=kind)
    }


def premium_rate_list(*, region_codes: Collection[str]) -> list[PremiumRate]:
    """Every rate of these regions, of every kind, the earliest collection period first: a region has
    one a year and kind."""
    return list(PremiumRate.objects.filter(region_code__in=region_codes).order_by("collection_start", "pk"))


def premium_rates_open(*, region_codes: Collection[str], today: datetime.date) -> list[PremiumRate]:
    """The rates of these regions whose collection period is open today (the only years payable)."""
    return [rate for rate in premium_rate_list(region_codes=region_codes) if collection_open(rate, today)]


def premium_rate_next_opening(*, rates: Collection[PremiumRate], today: datetime.date) -> PremiumRate | None:
    """Among these rates, the one whose collection period opens next after today, if one is known."""
    upcoming = [rate for rate in rates if rate.collection_start > today]
    return min(upcoming, key=lambda rate: (rate.collection_start, rate.pk), default=None)


def collection_open(rate: PremiumRate, today: datetime.date) -> bool:
    return rate.collection_start <= today <= rate.collection_end


def insurances_of(*, person: Person) -> list[Insuree]:
    return list(Insuree.objects.filter(person=person).select_related("account").order_by("scheme"))


def person_get(*, person_id: int) -> Person | None:
    return Person.objects.filter(pk=person_id).first()


def enrollment_list_for_person(*, person: Person) -> QuerySet[Enrollment]:
    """The person's enrollments in every scheme and of every premium kind, the latest year first."""
    return Enrollment.objects.filter(insuree__person=person).order_by("-year", "kind")


def enrollment_list_for_payments(*, payment_ids: Collection[int]) -> QuerySet[Enrollment]:
    """The enrollments the given payments have paid; a refund releases its payment's."""
    return Enrollment.objects.filter(payment_id__in=payment_ids)


def person_get_by_id_number_for_update(*, id_number: str) -> Person | None:
    """The person, locked until the caller's transaction ends: a twin registration waits, then finds
    the login the first one linked."""
    return Person.objects.select_for_update().filter(id_number=normalize_id_number(id_number)).first()


def premium_rate_list_closing(
    *, today: datetime.date, within_days: int, kind: PremiumKind = PremiumKind.RESIDENT_MEDICAL
) -> list[PremiumRate]:
    """The rates of one kind whose collection period is open today and ends within `within_days` days."""
    return list(
        PremiumRate.objects.filter(
            kind=kind,
            collection_start__lte=today,
            collection_end__gte=today,
            collection_end__lte=today + datetime.timedelta(days=within_days),
        ).order_by("year", "region_code")
    )
