"""Object-level access, table-driven (issue 7): every URL that takes an id refuses another user's id.

The table below is the one place that covers all id-taking URLs, API and pages alike. For each entry,
the object belongs to family A; it is requested by

- ordinary insurees of another family (an employee and a resident): refused with 403/404, and for an
  owner-scoped URL answered exactly as a nonexistent id is (no existence oracle);
- where a role is needed (counter staff, supervisor, auditor): the owner himself, other insurees and
  staff of the wrong role, all refused with 403;
- an anonymous visitor: 401 (API) or sent to sign in (pages);

and every refusal leaves every row of every table as it was. A control request by the owner (or the
right role) then succeeds, so each refusal is proven to concern a real, reachable object.

`test_every_id_taking_url_is_in_the_table` walks the URL resolver: a new URL with a path converter or a
regex group that has no entry here fails the suite. The Django admin's id-taking URLs are generated
from the admin registry, so every registered model's change/delete/history pages are tried as well.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.apps import apps
from django.contrib.admin.utils import quote
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient

from medical.services import Actor as AllowanceActor
from medical.services import allowance_set
from medical.services.institutions import institution_terminal_create, institutions_file_import
from medical.services.settlements import Terminal, settlement_create
from medical.services.vouchers import voucher_issue
from payments.models import Payment, PaymentStatus
from payments.services import Actor
from staff.services import (
    counter_allowance_set,
    counter_payment_create,
    counter_person_lookup,
    reconciliation_run,
)
from staff.views.access import SESSION_COUNTER, SESSION_PERSON
from tests.api.conftest import client_for
from tests.factories import (
    BindingFactory,
    EmployeeFactory,
    PledgeFactory,
    PremiumRateFactory,
    RegionPolicyFactory,
    ResidentFactory,
    user_for,
)
from tests.payments.paying import payment_create_for_relative
from tests.staff.conftest import api_as, staff_user

MISSING_ID = 987_654_321
# The idempotency keys that name the pay pages' check and confirmation: family A's own payment, the
# counter's, and one nobody used.
OWNER_KEY, COUNTER_KEY, MISSING_KEY = "object-access-1", "object-access-counter", "no-such-key"
ALLOWANCE_KEY = "object-access-allowance"  # family A's allowance, set in the world
COUNTER_ALLOWANCE_KEY = "object-access-counter-allowance"  # the clerk's, for family A's mother
STRANGERS = ("other_employee", "other_resident")
INSUREES = ("owner", *STRANGERS)
STAFF = ("clerk", "supervisor", "auditor")
SETTLEMENT_ID = "OA-1"  # family A's father's settlement at institution A
ADMIN_PARAMS = {"object_id", "id", "content_type_id", "app_label", "url"}


# --- the URL resolver ----------------------------------------------------------------------------------


def walk(resolver=None, prefix="", namespace=""):
    """(route, namespace, pattern) for every endpoint, route being the concatenated pattern text."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from walk(entry, route, entry.namespace or namespace)
        elif isinstance(entry, URLPattern):
            yield route, namespace, entry


def id_taking_routes() -> dict[str, tuple[str, URLPattern]]:
    return {
        route: (namespace, pattern)
        for route, namespace, pattern in walk()
        if pattern.pattern.regex.groupindex
    }


def admin_routes() -> list[str]:
    return sorted(route for route, (namespace, _p) in id_taking_routes().items() if namespace == "admin")


# --- the world: family A owns everything, family B and staff are the callers ---------------------------


@dataclass
class World:
    year: int
    binding: object  # family A: authorizer -> father
    mother: object  # family A: authorizer -> mother, her allowance set at the counter
    payment: Payment
    beneficiary_id_number: str
    api: dict[str, APIClient] = field(default_factory=dict)
    web: dict[str, Client] = field(default_factory=dict)


@pytest.fixture
def world(db) -> World:
    year = timezone.localdate().year + 1
    PledgeFactory()
    PremiumRateFactory(year=year)
    RegionPolicyFactory()
    binding = BindingFactory(authorizer=EmployeeFactory(balance_fen=100_000), beneficiary=ResidentFactory())
    owner = binding.authorizer.person
    payment = payment_create_for_relative(
        authorizer=binding.authorizer,
        beneficiary=binding.beneficiary,
        year=year,
        actor=Actor(user=user_for(owner), idempotency_key=OWNER_KEY),
    )
    # Family B: an employee bound to his own mother; both are ordinary insurees with a login.
    other = BindingFactory(authorizer=EmployeeFactory(balance_fen=100_000), beneficiary=ResidentFactory())
    people = {
        "owner": owner,
        "other_employee": other.authorizer.person,
        "other_resident": other.beneficiary.person,
    }
    staff = {
        "clerk": staff_user("counter_staff", "oa-clerk"),
        "supervisor": staff_user("counter_supervisor", "oa-supervisor"),
        "auditor": staff_user("auditor", "oa-auditor"),
    }
    # Rows for the admin's audit and reconciliation pages to point at.
    counter_person_lookup(operator=staff["clerk"], counter_id="DL-01", id_number=owner.id_number)
    # Family A's mother, paid at the counter by the clerk: his key names the counter's confirmation.
    mother = BindingFactory(authorizer=binding.authorizer, beneficiary=ResidentFactory())
    counter_payment_create(
        operator=staff["clerk"],
        counter_id="DL-01",
        beneficiary_id_number=mother.beneficiary.person.id_number,
        year=year,
        idempotency_key=COUNTER_KEY,
        authorizer_id_number=owner.id_number,
    )
    reconciliation_run(date=timezone.localdate() - datetime.timedelta(days=400))
    # Family A's allowance for the father: what the allowance URLs' refusals guard.
    allowance_set(
        authorizer=owner,
        binding_id=binding.pk,
        amount_fen=10_000,
        actor=AllowanceActor(user=user_for(owner), idempotency_key=ALLOWANCE_KEY),
    )

    # Family A's allowance for the mother, set at the counter: its key names the counter's pages.
    counter_allowance_set(
        operator=staff["clerk"],
        counter_id="DL-01",
        binding=mother,
        amount_fen=5_000,
        idempotency_key=COUNTER_ALLOWANCE_KEY,
    )

    # Two pharmacies of family A's region, a terminal each; the father settled at the first.
    region = binding.beneficiary.region_code
    institutions_file_import(
        file=io.StringIO(
            f"code,name,kind,region_code,status\nOAA,甲药房,pharmacy,{region},active\n"
            f"OAB,乙药房,pharmacy,{region},active\n"
        )
    )
    terminals = {
        "terminal": institution_terminal_create(
            institution_code="OAA", username="oa-a", password="oa-a-long-pw"
        ),
        "other_terminal": institution_terminal_create(
            institution_code="OAB", username="oa-b", password="oa-b-long-pw"
        ),
    }
    settlement_create(
        terminal=Terminal(terminals["terminal"].user, terminals["terminal"].institution, "oa-settle"),
        voucher_code=voucher_issue(person=binding.beneficiary.person).code,
        settlement_id=SETTLEMENT_ID,
        amount_fen=1_000,
        category="drugs",
    )

    world = World(
        year=year,
        binding=binding,
        mother=mother,
        payment=payment,
        beneficiary_id_number=binding.beneficiary.person.id_number,
    )
    # Every sign-in happens here, before any snapshot (a login writes last_login and a session).
    for who, person in people.items():
        world.api[who] = client_for(person)
        world.web[who] = Client()
        world.web[who].force_login(user_for(person))
    for who, terminal in terminals.items():
        world.api[who] = APIClient()
        world.api[who].force_authenticate(terminal.user)
        world.web[who] = Client()
        world.web[who].force_login(terminal.user)
    for who, user in staff.items():
        world.api[who] = api_as(user)
        world.web[who] = Client()
        world.web[who].force_login(user)
        session = world.web[who].session
        session[SESSION_COUNTER] = "DL-01"  # the counter acts only with its number set
        session[SESSION_PERSON] = owner.pk  # family A's authorizer on screen: the allowance pages' applicant
        session.save()
    world.api["anonymous"] = APIClient()
    world.web["anonymous"] = Client()
    return world


# Every row of every table of the project's apps (and users, groups, tokens): what a refusal must keep.
SNAPSHOT_APPS = (
    "auth", "authtoken", "accounts", "ledger", "insurees", "mutual_aid", "payments", "medical", "staff",
)  # fmt: skip


def database_state() -> dict[str, list[dict]]:
    return {
        model._meta.label: list(model.objects.order_by("pk").values())
        for label in SNAPSHOT_APPS
        for model in apps.get_app_config(label).get_models()
    }


# --- the table -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One id-taking URL. `scope` is "owner" (only the object's people may use it, others get 404 as
    for a missing id), "role" (only the named roles; everyone else 403) or "institution" (only the
    object's institution: another institution's terminal gets 404 as for a missing id, anyone else
    403)."""

    name: str
    kwargs: Callable[[World, bool], dict]  # (world, missing) -> URL kwargs
    methods: tuple[str, ...]
    scope: str
    api: bool
    data: Callable[[World, bool], dict] = lambda w, missing: {}
    allowed: tuple[str, ...] = ("owner",)  # who passes the control request
    refused: tuple[str, ...] = STRANGERS
    ok: int = 200  # the control's status
    query: Callable[[World, bool], dict] = lambda w, missing: {}


def binding_id(w, missing):
    return {"binding_id": MISSING_ID if missing else w.binding.pk}


def payment_id(w, missing):
    return {"payment_id": MISSING_ID if missing else w.payment.pk}


def allowance_key(w, missing):
    return {
        "binding_id": MISSING_ID if missing else w.binding.pk,
        "key": MISSING_KEY if missing else ALLOWANCE_KEY,
    }


def counter_allowance_key(w, missing):
    return {
        "binding_id": MISSING_ID if missing else w.mother.pk,
        "key": MISSING_KEY if missing else COUNTER_ALLOWANCE_KEY,
    }


def settlement_id(w, missing):
    return {"settlement_id": "OA-MISSING" if missing else SETTLEMENT_ID}


def today(w, missing):
    return {"date": timezone.localdate().isoformat()}


TERMINAL_REFUSED = (*INSUREES, *STAFF)


def owner_key(w, missing):
    return {"key": MISSING_KEY if missing else OWNER_KEY}


def counter_key(w, missing):
    return {"key": MISSING_KEY if missing else COUNTER_KEY}


REFUND = {"reason": "paid_twice", "note": "object-access test"}

TABLE: dict[str, Entry] = {
    # --- REST API, the insuree's own objects ---
    "api/v1/bindings/<int:binding_id>/": Entry(
        "api-binding",
        binding_id,
        ("get", "patch", "delete"),
        "owner",
        api=True,
        data=lambda w, m: {"self_pay_paused": True},
    ),
    "api/v1/bindings/<int:binding_id>/allowance/": Entry(
        "api-binding-allowance",
        binding_id,
        ("put", "delete"),
        "owner",
        api=True,
        data=lambda w, m: {"amount": "50.00"},
    ),
    "api/v1/payments/<int:payment_id>/": Entry("api-payment", payment_id, ("get",), "owner", api=True),
    "api/v1/payments/<int:payment_id>/receipt.pdf": Entry(
        "api-payment-receipt", payment_id, ("get",), "owner", api=True
    ),
    # The year is no object; the object is the beneficiary named by ID number in the body.
    "api/v1/premiums/<int:year>/": Entry(
        "api-premium",
        lambda w, m: {"year": w.year},
        ("post",),
        "owner",
        api=True,
        data=lambda w, m: {"beneficiary_id_number": "11010519491231002X" if m else w.beneficiary_id_number},
    ),
    # --- REST API, staff ---
    "api/v1/staff/payments/<int:payment_id>/refund/": Entry(
        "api-staff-refund",
        payment_id,
        ("post",),
        "role",
        api=True,
        data=lambda w, m: REFUND,
        allowed=("supervisor",),
        refused=(*INSUREES, "clerk", "auditor"),
    ),
    "api/v1/staff/bindings/<int:binding_id>/allowance/": Entry(
        "api-staff-allowance",
        binding_id,
        ("put", "delete"),
        "role",
        api=True,
        data=lambda w, m: {"amount": "50.00"},
        allowed=("clerk",),
        refused=(*INSUREES, "auditor"),
    ),
    # --- REST API, an institution's own settlements and statements ---
    "api/v1/institution/settlements/<str:settlement_id>/reverse/": Entry(
        "api-institution-settlement-reverse",
        settlement_id,
        ("post",),
        "institution",
        api=True,
        allowed=("terminal",),
        refused=(*TERMINAL_REFUSED, "other_terminal"),
    ),
    "api/v1/institution/settlements/<str:settlement_id>/refunds/": Entry(
        "api-institution-settlement-refunds",
        settlement_id,
        ("post",),
        "institution",
        api=True,
        data=lambda w, m: {"refund_id": "OA-R1", "amount": "1.00"},
        allowed=("terminal",),
        refused=(*TERMINAL_REFUSED, "other_terminal"),
        ok=201,
    ),
    # A date names no other institution's object: a terminal reads and confirms only its own day.
    "api/v1/institution/statements/<str:date>/": Entry(
        "api-institution-statement",
        today,
        ("get",),
        "role",
        api=True,
        allowed=("terminal", "other_terminal"),
        refused=TERMINAL_REFUSED,
    ),
    "api/v1/institution/statements/<str:date>/confirm/": Entry(
        "api-institution-statement-confirm",
        today,
        ("post",),
        "role",
        api=True,
        data=lambda w, m: {"count": 1, "amount": "10.00"},
        allowed=("terminal",),
        refused=TERMINAL_REFUSED,
    ),
    # --- pages, the insuree's own objects ---
    "bindings/<int:binding_id>/": Entry("binding-manage", binding_id, ("get",), "owner", api=False),
    "bindings/<int:binding_id>/end/": Entry("binding-end", binding_id, ("post",), "owner", api=False, ok=302),
    "bindings/<int:binding_id>/self-pay/": Entry(
        "binding-pause", binding_id, ("post",), "owner", api=False, data=lambda w, m: {"paused": "1"}, ok=302
    ),
    "bindings/<int:binding_id>/allowance/": Entry(
        "allowance", binding_id, ("post",), "owner", api=False, data=lambda w, m: {"amount": "50.00"}, ok=302
    ),
    # The owner's key confirmed already: its check page sends him on to the confirmation.
    "bindings/<int:binding_id>/allowance/check/<slug:key>/": Entry(
        "allowance-check", allowance_key, ("get", "post"), "owner", api=False, ok=302
    ),
    "bindings/<int:binding_id>/allowance/done/<slug:key>/": Entry(
        "allowance-done", allowance_key, ("get",), "owner", api=False
    ),
    "bindings/<int:binding_id>/allowance/release/": Entry(
        "allowance-release", binding_id, ("post",), "owner", api=False, ok=302
    ),
    "bindings/<int:binding_id>/allowance/notify/": Entry(
        "allowance-notify",
        binding_id,
        ("post",),
        "owner",
        api=False,
        data=lambda w, m: {"notify_over": "1.00"},
        ok=302,
    ),
    "bindings/<int:binding_id>/allowance/spending/": Entry(
        "allowance-spending", binding_id, ("get",), "owner", api=False
    ),
    "payments/<int:payment_id>/": Entry("payment-detail", payment_id, ("get",), "owner", api=False),
    "payments/<int:payment_id>/receipt.pdf": Entry("receipt", payment_id, ("get",), "owner", api=False),
    # A paying request's key is scoped to its user: another's key is answered as one never used.
    "pay/check/<slug:key>/": Entry("pay-check", owner_key, ("get", "post"), "owner", api=False, ok=302),
    "pay/mine/check/<slug:key>/": Entry(
        "pay-self-check", owner_key, ("get", "post"), "owner", api=False, ok=302
    ),
    "pay/done/<slug:key>/": Entry("pay-done", owner_key, ("get",), "owner", api=False),
    # --- pages, staff ---
    "staff/payments/<int:payment_id>/refund/": Entry(
        "staff:refund",
        payment_id,
        ("post",),
        "role",
        api=False,
        data=lambda w, m: {**REFUND, "confirmed": "1"},  # the confirmation step, which refunds
        allowed=("supervisor",),
        refused=(*INSUREES, "clerk", "auditor"),
        ok=302,
    ),
    "staff/person/pay/check/<slug:key>/": Entry(
        "staff:pay-check",
        counter_key,
        ("get", "post"),
        "role",
        api=False,
        allowed=("clerk",),
        refused=(*INSUREES, "auditor"),
        ok=302,
    ),
    "staff/person/pay/done/<slug:key>/": Entry(
        "staff:pay-done",
        counter_key,
        ("get",),
        "role",
        api=False,
        allowed=("clerk",),
        refused=(*INSUREES, "auditor"),
    ),
    # The applicant on screen is family A's authorizer (the world's sessions).
    "staff/person/bindings/<int:binding_id>/allowance/": Entry(
        "staff:allowance",
        binding_id,
        ("post",),
        "role",
        api=False,
        data=lambda w, m: {"amount": "50.00"},
        allowed=("clerk",),
        refused=(*INSUREES, "auditor"),
        ok=302,
    ),
    # The clerk's key confirmed already: its check page sends him on to the confirmation.
    "staff/person/bindings/<int:binding_id>/allowance/check/<slug:key>/": Entry(
        "staff:allowance-check",
        counter_allowance_key,
        ("get", "post"),
        "role",
        api=False,
        allowed=("clerk",),
        refused=(*INSUREES, "auditor"),
        ok=302,
    ),
    "staff/person/bindings/<int:binding_id>/allowance/done/<slug:key>/": Entry(
        "staff:allowance-done",
        counter_allowance_key,
        ("get",),
        "role",
        api=False,
        allowed=("clerk",),
        refused=(*INSUREES, "auditor"),
    ),
    "staff/person/bindings/<int:binding_id>/allowance/release/": Entry(
        "staff:allowance-release",
        binding_id,
        ("post",),
        "role",
        api=False,
        data=lambda w, m: {"idempotency_key": "object-access-release"},
        allowed=("clerk",),
        refused=(*INSUREES, "auditor"),
        ok=302,
    ),
    # --- pages, an institution's cashier (its terminal login) ---
    "cashier/settlements/<slug:settlement_id>/": Entry(
        "cashier-slip",
        settlement_id,
        ("get",),
        "institution",
        api=False,
        allowed=("terminal",),
        refused=(*TERMINAL_REFUSED, "other_terminal"),
    ),
    "cashier/settlements/<slug:settlement_id>/reverse/": Entry(
        "cashier-reverse",
        settlement_id,
        ("post",),
        "institution",
        api=False,
        data=lambda w, m: {"idempotency_key": "object-access-reverse"},
        allowed=("terminal",),
        refused=(*TERMINAL_REFUSED, "other_terminal"),
        ok=302,
    ),
    "staff/payments/<int:payment_id>/receipt.pdf": Entry(
        "staff:receipt",
        payment_id,
        ("get",),
        "role",
        api=False,
        allowed=("clerk",),
        refused=(*INSUREES, "auditor"),
    ),
}


def call(world: World, entry: Entry, who: str, method: str, *, missing: bool = False):
    from django.urls import reverse

    url = reverse(entry.name, kwargs=entry.kwargs(world, missing))
    query = entry.query(world, missing)
    data = entry.data(world, missing)
    if entry.api:
        client = world.api[who]
        if method == "get":
            return client.get(url, query)
        # A changing request carries its Idempotency-Key, so that only access decides its answer.
        return getattr(client, method)(url, data, format="json", HTTP_IDEMPOTENCY_KEY=f"oa-{who}-{method}")
    client = world.web[who]
    if method == "get":
        return client.get(url, query)
    return client.post(url, data)


def error_code(response) -> str | None:
    if response.get("Content-Type", "").startswith("application/json"):
        body = response.json()
        return body.get("error", {}).get("code") if isinstance(body, dict) else None
    return None


# --- the tests -----------------------------------------------------------------------------------------


def test_every_id_taking_url_is_in_the_table():
    found = {route for route, (namespace, _p) in id_taking_routes().items() if namespace != "admin"}

    assert found - TABLE.keys() == set(), "id-taking URL(s) without an entry in TABLE"
    assert TABLE.keys() - found == set(), "TABLE entries for URL(s) that no longer exist"


def test_the_admin_takes_only_the_ids_this_test_knows():
    """Admin URLs are tried by `test_the_admin_refuses_ordinary_users`, built from these parameters."""
    for route in admin_routes():
        _namespace, pattern = id_taking_routes()[route]
        assert set(pattern.pattern.regex.groupindex) <= ADMIN_PARAMS, route


CASES = [(route, method) for route, entry in TABLE.items() for method in entry.methods]


@pytest.mark.parametrize(("route", "method"), CASES, ids=[f"{m.upper()} {r}" for r, m in CASES])
def test_another_users_id_is_refused_and_changes_nothing(world, route, method):
    entry = TABLE[route]
    before = database_state()

    for who in entry.refused:
        response = call(world, entry, who, method)
        like_missing = entry.scope == "owner" or (entry.scope == "institution" and who.endswith("terminal"))
        expected = {404} if like_missing else {403}
        assert response.status_code in expected, (who, response.status_code, response.content[:300])
        assert database_state() == before, f"{who}'s refused {method.upper()} changed the database"
        if like_missing:
            # Someone else's id and an id that does not exist are indistinguishable.
            missing = call(world, entry, who, method, missing=True)
            assert (missing.status_code, error_code(missing)) == (response.status_code, error_code(response))
        if entry.api:
            assert error_code(response) in {
                "not_found", "binding_not_found", "permission_denied", "settlement_not_found",
            }  # fmt: skip

    anonymous = call(world, entry, "anonymous", method)
    if entry.api:
        assert anonymous.status_code in {401, 403}
    else:
        assert anonymous.status_code == 302
        assert anonymous["Location"].startswith("/login/")
    assert database_state() == before

    # The control: the same request by the owner or the right role reaches the object.
    for who in entry.allowed:
        response = call(world, entry, who, method)
        expected_ok = 204 if method == "delete" else entry.ok
        assert response.status_code == expected_ok, (who, response.status_code, response.content[:300])


def test_the_refund_control_really_refunds(world):
    """The allowed supervisor's refund (above) is a real one, so the refusals guarded something."""
    entry = TABLE["api/v1/staff/payments/<int:payment_id>/refund/"]

    call(world, entry, "supervisor", "post")

    world.payment.refresh_from_db()
    assert world.payment.status == PaymentStatus.REFUNDED


def admin_url(route: str, world: World) -> str:
    """The route with real ids: the first object of the route's model, or family A's payment."""
    parts = route.removeprefix("admin/").split("/")
    url = route
    if "<path:content_type_id>" in route:
        content_type = ContentType.objects.get_for_model(Payment)
        url = f"admin/r/{content_type.pk}/{world.payment.pk}/"
    elif route.startswith("admin/^(?P<app_label>"):
        url = "admin/payments/"
    elif route == "admin/(?P<url>.*)$":
        url = f"admin/payments/payment/{world.payment.pk}/anything/"
    else:
        model = apps.get_model(parts[0], parts[1])
        obj = model.objects.order_by("pk").first()
        object_id = quote(str(obj.pk)) if obj is not None else "1"
        url = route.replace("<path:object_id>", object_id).replace("<id>", object_id)
    return "/" + url


@pytest.mark.parametrize("route", admin_routes())
def test_the_admin_refuses_ordinary_users(world, route):
    url = admin_url(route, world)
    before = database_state()

    for who in (*INSUREES, *STAFF, "terminal"):
        for method in ("get", "post"):
            response = getattr(world.web[who], method)(url)
            assert response.status_code == 302, (who, method, url, response.status_code)
            assert response["Location"].startswith("/admin/login/"), (who, method, url)
    assert database_state() == before
