"""The register of designated institutions (import_institutions) and their terminal logins."""

from __future__ import annotations

import re
from typing import TextIO

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.authentication import tokens_forget
from accounts.services import terminal_user_create
from insurees.regions import validate_pooling_region_code
from insurees.roster import BadRow, ImportReport, csv_records
from ledger.models import AccountKind
from ledger.services import account_create
from medical.models import Institution, InstitutionKind, InstitutionStatus, InstitutionTerminal

INSTITUTION_COLUMNS = ("code", "name", "kind", "region_code", "status")
CODE = re.compile(r"[A-Za-z0-9]{1,32}")


def institutions_file_import(*, file: TextIO) -> ImportReport:
    """Upserts institutions by code from a CSV of INSTITUTION_COLUMNS; bad rows are reported by line,
    good ones imported. A new institution gets its payable account."""
    report = ImportReport()
    parsed: dict[str, tuple[int, dict[str, str]]] = {}
    for record in csv_records(file=file, columns=INSTITUTION_COLUMNS):
        report.rows += 1
        reason = record.error or _institution_row_problem(record.values)
        if not reason and record.values["code"] in parsed:
            reason = _("the same code as line %(line)d") % {"line": parsed[record.values["code"]][0]}
        if reason:
            report.bad.append(BadRow(record.line, reason))
            continue
        parsed[record.values["code"]] = (record.line, record.values)

    existing = {institution.code: institution for institution in Institution.objects.filter(code__in=parsed)}
    changed: list[int] = []
    with transaction.atomic():
        for code, (_line, values) in parsed.items():
            fields = {name: values[name] for name in ("name", "kind", "region_code", "status")}
            institution = existing.get(code)
            if institution is None:
                account = account_create(
                    code=f"payable:institution:{code}", kind=AccountKind.PAYABLE, name=code
                )
                Institution.objects.create(code=code, account=account, **fields)
                report.created += 1
            elif any(getattr(institution, name) != value for name, value in fields.items()):
                for name, value in fields.items():
                    setattr(institution, name, value)
                institution.save(update_fields=[*fields, "updated_at"])
                changed.append(institution.pk)
                report.updated += 1
            else:
                report.unchanged += 1
        # Its terminals' sign-in cache holds the institution as it was.
        if changed:
            tokens_forget(
                user_ids=InstitutionTerminal.objects.filter(institution__in=changed).values_list(
                    "user_id", flat=True
                )
            )
    return report


def _institution_row_problem(values: dict[str, str]) -> str:
    if not CODE.fullmatch(values["code"]):
        return _("code: 1 to 32 letters or digits")
    if not values["name"] or len(values["name"]) > 128:
        return _("name: 1 to 128 characters")
    if values["kind"] not in InstitutionKind.values:
        return _("kind: %(value)r is not one of %(choices)s") % {
            "value": values["kind"],
            "choices": ", ".join(InstitutionKind.values),
        }
    if values["status"] not in InstitutionStatus.values:
        return _("status: %(value)r is not one of %(choices)s") % {
            "value": values["status"],
            "choices": ", ".join(InstitutionStatus.values),
        }
    try:
        validate_pooling_region_code(values["region_code"])
    except Exception as error:  # noqa: BLE001 - a ValidationError, its messages are the reason
        return f"region_code: {' '.join(getattr(error, 'messages', [str(error)]))}"
    return ""


@transaction.atomic
def institution_terminal_create(
    *, institution_code: str, username: str, password: str
) -> InstitutionTerminal:
    """A terminal login of the institution (group `institution`); an existing terminal of the same
    institution gets the new password, one of another institution is refused."""
    institution = Institution.objects.filter(code=institution_code).first()
    if institution is None:
        raise ValueError(f"no institution with code {institution_code!r}")
    user = terminal_user_create(username=username, password=password)
    terminal, _created = InstitutionTerminal.objects.get_or_create(
        user=user, defaults={"institution": institution}
    )
    if terminal.institution_id != institution.pk:
        raise ValueError(f"{username!r} is a terminal of another institution")
    tokens_forget(user_ids=[user.pk])  # a sign-in cached meanwhile as no terminal's
    return terminal
