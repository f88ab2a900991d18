"""Premium rates and region policies from their files."""

from __future__ import annotations

import re
from typing import TextIO

from django.db import transaction
from django.utils.translation import gettext as _

from common.errors import ApplicationError
from insurees.models import PremiumKind, PremiumRate, RegionPolicy, RegionScope
from insurees.regions import validate_policy_region_code, validate_pooling_region_code
from insurees.roster.reading import (
    MAX_PREMIUM_FEN,
    PREMIUM_KINDS,
    PREMIUM_RATE_COLUMNS,
    REGION_POLICY_COLUMNS,
    SCOPES,
    _boolean,
    _choice,
    _date,
    _validated,
    amount_fen_from_yuan,
    csv_records,
)
from insurees.roster.report import ImportReport, RowError
from insurees.services import (
    premium_rate_set,
    region_policy_set,
)


def premium_rates_file_import(*, file: TextIO) -> ImportReport:
    """Upserts by (region, year, kind); the optional `kind` column, missing or empty, means the
    resident medical premium."""
    report = ImportReport()
    parsed: dict[tuple[str, int, str], tuple[int, dict]] = {}
    for csv_record in csv_records(file=file, columns=PREMIUM_RATE_COLUMNS):
        line, record = csv_record.line, csv_record.values
        report.rows += 1
        try:
            if csv_record.error:
                raise RowError(csv_record.error)
            region_code = _validated(validate_pooling_region_code, record["region_code"], "region_code")
            if not re.fullmatch(r"20[0-9]{2}", record["year"]):
                raise RowError(_("year: %(value)r is not a year") % {"value": record["year"]})
            year = int(record["year"])
            kind = _choice(record.get("kind") or PremiumKind.RESIDENT_MEDICAL, PREMIUM_KINDS, "kind")
            try:
                amount_fen = amount_fen_from_yuan(record["amount"])
            except RowError as error:
                raise RowError(f"amount: {error}") from None
            if amount_fen == 0:
                raise RowError(_("amount: a premium is more than zero"))
            if amount_fen > MAX_PREMIUM_FEN:
                raise RowError(_("amount: the amount is implausibly large"))
            start = _date(record["collection_start"], "collection_start")
            end = _date(record["collection_end"], "collection_end")
            if end < start:
                raise RowError(_("collection_end: the collection period ends before it starts"))
            if (region_code, year, kind) in parsed:
                raise RowError(
                    _("the same region, year and kind as line %(line)d")
                    % {"line": parsed[region_code, year, kind][0]}
                )
        except RowError as error:
            report.refuse(line, str(error))
            continue
        parsed[region_code, year, kind] = (
            line,
            {"amount_fen": amount_fen, "collection_start": start, "collection_end": end},
        )

    existing = {
        (rate.region_code, rate.year, rate.kind): rate
        for rate in PremiumRate.objects.filter(region_code__in={region for region, _year, _kind in parsed})
    }
    with transaction.atomic():
        for (region_code, year, kind), (line, values) in parsed.items():
            rate = existing.get((region_code, year, kind))
            if rate and all(getattr(rate, key) == value for key, value in values.items()):
                report.unchanged += 1
                continue
            try:
                premium_rate_set(region_code=region_code, year=year, kind=PremiumKind(kind), **values)
            except ApplicationError as error:
                report.refuse(line, str(error.message))
                continue
            if rate:
                report.updated += 1
            else:
                report.created += 1
    return report


def region_policies_file_import(*, file: TextIO) -> ImportReport:
    report = ImportReport()
    parsed: dict[str, tuple[int, str, bool]] = {}
    for csv_record in csv_records(file=file, columns=REGION_POLICY_COLUMNS):
        line, record = csv_record.line, csv_record.values
        report.rows += 1
        try:
            if csv_record.error:
                raise RowError(csv_record.error)
            region_code = _validated(validate_policy_region_code, record["region_code"], "region_code")
            scope = _choice(record["scope"], SCOPES, "scope")
            exclusive = _boolean(record["exclusive_family"], "exclusive_family")
            if region_code in parsed:
                raise RowError(_("the same region as line %(line)d") % {"line": parsed[region_code][0]})
        except RowError as error:
            report.refuse(line, str(error))
            continue
        parsed[region_code] = (line, scope, exclusive)

    existing = {policy.region_code: policy for policy in RegionPolicy.objects.filter(region_code__in=parsed)}
    with transaction.atomic():
        for region_code, (_line, scope, exclusive) in parsed.items():
            policy = existing.get(region_code)
            if policy and (policy.scope, policy.exclusive_family) == (scope, exclusive):
                report.unchanged += 1
                continue
            region_policy_set(region_code=region_code, scope=RegionScope(scope), exclusive_family=exclusive)
            if policy:
                report.updated += 1
            else:
                report.created += 1
    return report
