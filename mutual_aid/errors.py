"""The refusals of binding, each with its code from API.md and a message a person understands."""

from django.utils.translation import gettext_lazy as _

from common.errors import ApplicationError


def pledge_required() -> ApplicationError:
    return ApplicationError(
        "pledge_required",
        _("Please read the current personal pledge and confirm that you accept it."),
        field="pledge_accepted",
    )


def name_mismatch() -> ApplicationError:
    return ApplicationError(
        "name_mismatch",
        _("The name does not match the name registered for this ID number."),
        field="beneficiary_name",
    )


def self_binding() -> ApplicationError:
    return ApplicationError("self_binding", _("You cannot bind yourself."), field="beneficiary_id_number")


def relation_not_allowed() -> ApplicationError:
    return ApplicationError(
        "relation_not_allowed",
        _(
            "Only near relatives can be bound: spouse, parents, children, siblings, grandparents "
            "and grandchildren."
        ),
        field="relation",
    )


def region_mismatch() -> ApplicationError:
    return ApplicationError(
        "region_mismatch",
        _("Your relative is insured in a pooling region that your personal account cannot pay for."),
        field="beneficiary_id_number",
    )


def already_bound() -> ApplicationError:
    return ApplicationError(
        "already_bound", _("This relative is already bound to you."), field="beneficiary_id_number"
    )


def family_exclusive() -> ApplicationError:
    return ApplicationError(
        "family_exclusive",
        _(
            "In this region a person can join only one family. Your relative is already bound to "
            "another account; that binding must end first."
        ),
        field="beneficiary_id_number",
    )


def binding_not_found() -> ApplicationError:
    return ApplicationError("binding_not_found", _("No such binding was found."))


def authorizer_not_employee() -> ApplicationError:
    return ApplicationError(
        "wrong_scheme",
        _("Only members of the employee medical insurance can use their personal account for relatives."),
    )


def authorizer_not_insured() -> ApplicationError:
    return ApplicationError(
        "not_insured",
        _("You have no employee medical insurance registration, so there is no personal account."),
    )


def authorizer_not_active() -> ApplicationError:
    return ApplicationError(
        "not_active", _("Your employee medical insurance is not active, so its personal account cannot pay.")
    )


def beneficiary_not_resident() -> ApplicationError:
    return ApplicationError(
        "wrong_scheme",
        _("Your relative is not insured in the urban and rural resident medical insurance."),
        field="beneficiary_id_number",
    )


def beneficiary_not_insured() -> ApplicationError:
    return ApplicationError(
        "not_insured",
        _("No resident medical insurance registration was found for this ID number."),
        field="beneficiary_id_number",
    )


def beneficiary_not_active() -> ApplicationError:
    return ApplicationError(
        "not_active",
        _("Your relative's resident medical insurance is not active."),
        field="beneficiary_id_number",
    )


def pledge_text_required(*, field: str) -> ApplicationError:
    return ApplicationError(
        "invalid_input", _("A pledge is published with both its Chinese and its English text."), field=field
    )
