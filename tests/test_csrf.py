"""CSRF on every form, table-driven: every page that accepts POST refuses a POST without a valid token.

For each entry of TABLE, a user allowed to use the page (an ordinary insuree, counter staff, a
supervisor, or an anonymous visitor for signing in and registering) POSTs a request that would really
change something, with `Client(enforce_csrf_checks=True)`:

- without the CSRF cookie and without a token (a forged cross-site form from a first visit),
- with the cookie but no token (a forged form once the victim has visited the site),
- with the cookie and a wrong token;

each is answered 403 and leaves every row of every table as it was. The controls: the page that
shows the form, fetched with GET, renders that form with a `csrfmiddlewaretoken` input, and the same
POST carrying that token passes the check (and, for the forms that write, changes the database), so
the refusals concern a real, working form and data that would have acted.

`test_every_page_url_that_accepts_post_is_in_the_table` walks the URL resolver (as
tests/test_object_access.py does): every page URL outside `admin/` and `api/` must be in TABLE or in
GET_ONLY, so a new page that takes POST fails the suite until it has an entry here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone

from medical.services import Actor as AllowanceActor
from medical.services import allowance_set, voucher_issue
from medical.views import SESSION_DRAFTS as ALLOWANCE_DRAFTS
from payments.confirmation import confirmation_value
from payments.drafts import SESSION_DRAFTS
from payments.selectors import payment_preview_for_relatives, payment_preview_for_self
from payments.services import Actor
from staff.views.access import SESSION_COUNTER, SESSION_PERSON
from staff.views.allowances import SESSION_DRAFTS as COUNTER_ALLOWANCE_DRAFTS
from tests.factories import (
    BindingFactory,
    EmployeeFactory,
    PledgeFactory,
    PremiumRateFactory,
    ResidentFactory,
    user_for,
)
from tests.pages.cashiers import institution, settle, terminal_user
from tests.payments.paying import payment_create_for_relative
from tests.staff.conftest import staff_user

PASSWORD = "Gongji-test-2026"  # tests.factories.UserFactory's

# --- the URL resolver ----------------------------------------------------------------------------------


def walk(resolver=None, prefix=""):
    """(route, pattern) for every endpoint, route being the concatenated pattern text."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from walk(entry, route)
        elif isinstance(entry, URLPattern):
            yield route, entry


def page_routes() -> dict[str, URLPattern]:
    return {route: pattern for route, pattern in walk() if not route.startswith(("admin/", "api/"))}


# --- the world -----------------------------------------------------------------------------------------


@dataclass
class World:
    year: int
    paid: object  # binding: employee -> father, paid for `year`
    unpaid: object  # binding: employee -> mother, not paid yet
    payment: object
    stranger: object  # a resident with no login and no binding: registers, or gets bound
    settlement: object  # the father's, at the pharmacy whose terminal is "cashier": to reverse
    people: dict = field(default_factory=dict)  # who -> Person or User


@pytest.fixture
def world(db) -> World:
    year = timezone.localdate().year + 1
    PledgeFactory()
    PremiumRateFactory(year=year)
    employee = EmployeeFactory(balance_fen=300_000)
    paid = BindingFactory(authorizer=employee, beneficiary=ResidentFactory())
    unpaid = BindingFactory(authorizer=employee, beneficiary=ResidentFactory())
    owner = employee.person
    # A settled payment: something to refund, and unread notifications to mark as read.
    payment = payment_create_for_relative(
        authorizer=employee,
        beneficiary=paid.beneficiary,
        year=year,
        actor=Actor(user=user_for(owner), idempotency_key="csrf-world-1"),
    )
    # An allowance: something to release.
    allowance_set(
        authorizer=owner,
        binding_id=paid.pk,
        amount_fen=50_000,
        actor=AllowanceActor(user=user_for(owner), idempotency_key="csrf-allowance"),
    )
    stranger = ResidentFactory()
    # A pharmacy's terminal, and a settlement of the father's there.
    cashier = terminal_user(institution(), "csrf-cashier")
    settlement = settle(cashier, paid.beneficiary, 1_000)
    return World(
        year=year,
        paid=paid,
        unpaid=unpaid,
        payment=payment,
        stranger=stranger,
        settlement=settlement,
        people={
            "employee": user_for(owner),
            "resident": user_for(unpaid.beneficiary.person),
            "relative": user_for(paid.beneficiary.person),  # the father, with his allowance
            "clerk": staff_user("counter_staff", "csrf-clerk"),
            "supervisor": staff_user("counter_supervisor", "csrf-supervisor"),
            "cashier": cashier,
        },
    )


def client_as(world: World, who: str) -> Client:
    """A browser that enforces CSRF as a real one is checked: signed in, and for counter staff with
    the applicant (family A's employee) looked up at counter DL-07."""
    client = Client(enforce_csrf_checks=True)
    if who == "anonymous":
        return client
    client.force_login(world.people[who])
    session = client.session
    if who in ("clerk", "supervisor"):
        session[SESSION_PERSON] = world.paid.authorizer.person_id
        session[SESSION_COUNTER] = "DL-07"
    # A journey chosen on step 1, so that its check page shows the form that confirms it.
    session[SESSION_DRAFTS] = {key: draft for key, (owner, draft) in drafts(world).items() if owner == who}
    if who == "employee":  # an allowance chosen on its step 1
        session[ALLOWANCE_DRAFTS] = {"csrf-allowance-check": allowance_draft(world)}
    if who == "clerk":  # an allowance chosen at the counter for the applicant on screen
        session[COUNTER_ALLOWANCE_DRAFTS] = {
            "csrf-counter-allowance-check": {
                **allowance_draft(world),
                "person": world.paid.authorizer.person_id,
            }
        }
    session.save()
    return client


def drafts(w: World) -> dict[str, tuple[str, dict]]:
    """{idempotency key: (who, the choice kept between the pay pages' steps)}."""
    return {
        "csrf-check": (
            "employee",
            {"kind": "relatives", "year": w.year, "beneficiaries": [w.unpaid.beneficiary_id]},
        ),
        "csrf-self-check": ("resident", {"kind": "self", "year": w.year}),
        "csrf-counter-check": (
            "clerk",
            {
                "kind": "counter",
                "person": w.paid.authorizer.person_id,
                "payee": f"relative-{w.unpaid.beneficiary_id}",
                "year": w.year,
            },
        ),
    }


def confirmation(w: World, key: str) -> str:
    """What the journey's check page confirms: its choice, at what it shows would be paid."""
    draft = drafts(w)[key][1]
    if draft["kind"] == "self":
        preview = payment_preview_for_self(beneficiary=w.unpaid.beneficiary.person, year=w.year)
    else:
        preview = payment_preview_for_relatives(
            authorizer=w.unpaid.authorizer.person, beneficiaries=[w.unpaid.beneficiary], year=w.year
        )
    return confirmation_value(draft, preview)


def allowance_draft(w: World) -> dict:
    return {"binding_id": w.unpaid.pk, "amount_fen": 30_000}


def confirm_entry(name: str, who: str, key: str) -> Entry:
    """A check page's "Confirm and pay": its own page shows the form."""
    return Entry(
        name,
        who,
        lambda w: reverse(name, kwargs={"key": key}),
        lambda w: {"choice": confirmation(w, key)},
        kwargs=lambda w: {"key": key},
    )


def database_state() -> dict[str, list[dict]]:
    """Every row of every table (sessions included), not just the counts: an end or a pause is an
    UPDATE that no row count would notice."""
    return {model._meta.label: list(model.objects.order_by("pk").values()) for model in apps.get_models()}


# --- the table -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One page URL that accepts POST: who may use it, the page that shows its form, and a body that
    would act (so a refusal is a refusal of something real)."""

    name: str
    who: str
    form_page: Callable[[World], str]
    data: Callable[[World], dict]
    kwargs: Callable[[World], dict] = lambda w: {}
    writes: bool = True  # whether the accepted POST changes the database (language and type: cookies)


def home(w):
    return reverse("home")


def binding_kwargs(w):
    return {"binding_id": w.unpaid.pk}


TABLE: dict[str, Entry] = {
    "i18n/setlang/": Entry(
        "set_language",
        "anonymous",
        lambda w: reverse("login"),
        lambda w: {"language": "en", "next": "/"},
        writes=False,
    ),
    "login/": Entry(
        "login",
        "anonymous",
        lambda w: reverse("login"),
        lambda w: {"identifier": w.people["employee"].username, "password": PASSWORD},
    ),
    "logout/": Entry("logout", "employee", home, lambda w: {}),
    "register/": Entry(
        "register",
        "anonymous",
        lambda w: reverse("register"),
        lambda w: {
            "id_number": w.stranger.person.id_number,
            "name": w.stranger.person.name,
            "phone": "13900000001",
            "password": PASSWORD,
            "password_again": PASSWORD,
        },
    ),
    "preferences/large-type/": Entry(
        "elderly-mode", "employee", home, lambda w: {"on": "1", "next": "/"}, writes=False
    ),
    "bindings/new/": Entry(
        "binding-create",
        "employee",
        lambda w: reverse("binding-create"),
        lambda w: {
            "beneficiary_id_number": w.stranger.person.id_number,
            "beneficiary_name": w.stranger.person.name,
            "relation": "parent",
            "pledge_version": "1",
            "pledge_accepted": "on",
        },
    ),
    "bindings/<int:binding_id>/end/": Entry(
        "binding-end",
        "employee",
        lambda w: reverse("binding-manage", kwargs=binding_kwargs(w)),
        lambda w: {},
        kwargs=binding_kwargs,
    ),
    "bindings/<int:binding_id>/self-pay/": Entry(
        "binding-pause",
        "employee",
        lambda w: reverse("binding-manage", kwargs=binding_kwargs(w)),
        lambda w: {"paused": "1"},
        kwargs=binding_kwargs,
    ),
    "bindings/<int:binding_id>/allowance/": Entry(
        "allowance",
        "employee",
        lambda w: reverse("allowance", kwargs=binding_kwargs(w)),
        lambda w: {"amount": "300.00"},
        kwargs=binding_kwargs,
    ),
    "bindings/<int:binding_id>/allowance/check/<slug:key>/": Entry(
        "allowance-check",
        "employee",
        lambda w: reverse("allowance-check", kwargs={**binding_kwargs(w), "key": "csrf-allowance-check"}),
        lambda w: {"amount_fen": allowance_draft(w)["amount_fen"]},
        kwargs=lambda w: {**binding_kwargs(w), "key": "csrf-allowance-check"},
    ),
    "bindings/<int:binding_id>/allowance/release/": Entry(
        "allowance-release",
        "employee",
        lambda w: reverse("allowance-release", kwargs={"binding_id": w.paid.pk}),
        lambda w: {},
        kwargs=lambda w: {"binding_id": w.paid.pk},
    ),
    "bindings/<int:binding_id>/allowance/notify/": Entry(
        "allowance-notify",
        "employee",
        lambda w: reverse("allowance", kwargs={"binding_id": w.paid.pk}),
        lambda w: {"notify_over": "10.00"},
        kwargs=lambda w: {"binding_id": w.paid.pk},
    ),
    # The refresh button's form (the page's script sends the same POST and asks for JSON).
    "voucher/refresh/": Entry("voucher-refresh", "relative", lambda w: reverse("voucher"), lambda w: {}),
    # A code the father's phone shows, read when the request is made (before the snapshot).
    "cashier/": Entry(
        "cashier",
        "cashier",
        lambda w: reverse("cashier"),
        lambda w: {
            "amount": "12.00",
            "category": "drugs",
            "voucher_code": voucher_issue(person=w.paid.beneficiary.person).code,
            "settlement_id": "CSRF-1",
            "idempotency_key": "csrf-settle",
        },
    ),
    "cashier/settlements/<slug:settlement_id>/reverse/": Entry(
        "cashier-reverse",
        "cashier",
        lambda w: reverse("cashier-reverse", kwargs={"settlement_id": w.settlement.settlement_id}),
        lambda w: {"idempotency_key": "csrf-reverse"},
        kwargs=lambda w: {"settlement_id": w.settlement.settlement_id},
    ),
    "pay/": Entry(
        "pay",
        "employee",
        lambda w: reverse("pay"),
        lambda w: {"year": w.year, "beneficiaries": [w.unpaid.beneficiary_id], "idempotency_key": "csrf-pay"},
    ),
    "pay/check/<slug:key>/": confirm_entry("pay-check", "employee", "csrf-check"),
    "pay/mine/": Entry(
        "pay-self",
        "resident",
        lambda w: reverse("pay-self"),
        lambda w: {"year": w.year, "idempotency_key": "csrf-pay-self"},
    ),
    "pay/mine/check/<slug:key>/": confirm_entry("pay-self-check", "resident", "csrf-self-check"),
    "notifications/read/": Entry(
        "notifications-read", "employee", lambda w: reverse("notifications"), lambda w: {}
    ),
    "staff/": Entry(
        "staff:home",
        "clerk",
        lambda w: reverse("staff:home"),
        lambda w: {"id_number": w.unpaid.beneficiary.person.id_number},
    ),
    "staff/person/bind/": Entry(
        "staff:bind",
        "clerk",
        lambda w: reverse("staff:person"),
        lambda w: {
            "beneficiary_id_number": w.stranger.person.id_number,
            "beneficiary_name": w.stranger.person.name,
            "relation": "parent",
            "paper_pledge_ref": "P-2026-0001",
            "identity_confirmed": "on",
        },
    ),
    "staff/person/pay/": Entry(
        "staff:pay",
        "clerk",
        lambda w: reverse("staff:person"),
        lambda w: {
            "payee": f"relative-{w.unpaid.beneficiary_id}",
            "year": w.year,
            "idempotency_key": "csrf-counter-pay",
        },
    ),
    "staff/person/pay/check/<slug:key>/": confirm_entry("staff:pay-check", "clerk", "csrf-counter-check"),
    "staff/person/bindings/<int:binding_id>/allowance/": Entry(
        "staff:allowance",
        "clerk",
        lambda w: reverse("staff:allowance", kwargs=binding_kwargs(w)),
        lambda w: {"amount": "300.00"},
        kwargs=binding_kwargs,
    ),
    "staff/person/bindings/<int:binding_id>/allowance/check/<slug:key>/": Entry(
        "staff:allowance-check",
        "clerk",
        lambda w: reverse(
            "staff:allowance-check", kwargs={**binding_kwargs(w), "key": "csrf-counter-allowance-check"}
        ),
        lambda w: {"amount_fen": allowance_draft(w)["amount_fen"]},
        kwargs=lambda w: {**binding_kwargs(w), "key": "csrf-counter-allowance-check"},
    ),
    "staff/person/bindings/<int:binding_id>/allowance/release/": Entry(
        "staff:allowance-release",
        "clerk",
        lambda w: reverse("staff:allowance-release", kwargs={"binding_id": w.paid.pk}),
        lambda w: {"idempotency_key": "csrf-counter-release"},
        kwargs=lambda w: {"binding_id": w.paid.pk},
    ),
    "staff/payments/<int:payment_id>/refund/": Entry(
        "staff:refund",
        "supervisor",
        # The refund's own page shows the form; the body is its confirmation step's, which refunds.
        lambda w: reverse("staff:refund", kwargs={"payment_id": w.payment.pk}),
        lambda w: {"reason": "paid_twice", "note": "csrf test", "confirmed": "1"},
        kwargs=lambda w: {"payment_id": w.payment.pk},
    ),
}

# Page URLs that only read: their views answer GET and act on no POST (checked by reading the views:
# plain function views that build no form from request.POST, or bound to GET only).
GET_ONLY = {
    "",
    "bindings/<int:binding_id>/",
    "payments/<int:payment_id>/",
    "pay/done/<slug:key>/",
    "staff/person/pay/done/<slug:key>/",
    "payments/<int:payment_id>/receipt.pdf",
    "records/",
    "notifications/",
    "receipts/verify/",  # a GET form: the receipt check is a read
    "staff/person/",
    "staff/payments/<int:payment_id>/receipt.pdf",
    "staff/review/",  # a GET form: filters and the CSV export
    "staff/reconciliation/",  # a GET form: the day to reconcile
    "staff/no-role/",
    "bindings/<int:binding_id>/allowance/done/<slug:key>/",
    "staff/person/bindings/<int:binding_id>/allowance/done/<slug:key>/",
    "bindings/<int:binding_id>/allowance/spending/",
    "allowances/",
    "voucher/",  # GET only (require_safe): each visit issues a new code
    "cashier/settlements/<slug:settlement_id>/",  # the slip
    "healthz",  # JSON for the load balancer
    "readyz",
}


# --- reading the forms of a page -----------------------------------------------------------------------


class PostForms(HTMLParser):
    """The page's POST forms: (action, {input name: value})."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []
        self._inside = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "get").lower() == "post":
            self.forms.append((attrs.get("action") or "", {}))
            self._inside = True
        elif tag == "input" and self._inside and attrs.get("name"):
            self.forms[-1][1][attrs["name"]] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._inside = False


def post_forms(response, page_url: str) -> list[tuple[str, dict[str, str]]]:
    parser = PostForms()
    parser.feed(response.content.decode())
    return [(urlsplit(action).path or page_url, inputs) for action, inputs in parser.forms]


def url_of(world: World, entry: Entry) -> str:
    return reverse(entry.name, kwargs=entry.kwargs(world))


# --- the tests -----------------------------------------------------------------------------------------


def test_every_page_url_that_accepts_post_is_in_the_table():
    found = set(page_routes())

    assert found - TABLE.keys() - GET_ONLY == set(), "page URL(s) in neither TABLE nor GET_ONLY"
    assert (TABLE.keys() | GET_ONLY) - found == set(), "entries for URL(s) that no longer exist"
    assert TABLE.keys() & GET_ONLY == set()


def test_no_page_view_is_exempt_from_csrf():
    exempt = [
        route for route, pattern in page_routes().items() if getattr(pattern.callback, "csrf_exempt", False)
    ]

    assert exempt == []


def test_the_table_names_the_url_of_each_route(world):
    for route, entry in TABLE.items():
        assert resolve(url_of(world, entry)).route == route


@pytest.mark.parametrize("route", TABLE.keys())
def test_a_post_without_a_valid_csrf_token_is_refused_and_changes_nothing(world, route):
    entry = TABLE[route]
    url, data = url_of(world, entry), entry.data(world)
    without_cookie = client_as(world, entry.who)
    browser = client_as(world, entry.who)
    page = browser.get(entry.form_page(world))  # sets the CSRF cookie, as a visit before the attack would
    assert page.status_code == 200
    assert browser.cookies.get("csrftoken")
    before = database_state()

    refused = {
        "no cookie, no token": without_cookie.post(url, data),
        "cookie, no token": browser.post(url, data),
        "cookie, wrong token": browser.post(url, {**data, "csrfmiddlewaretoken": "x" * 64}),
        "token in a header of another value": browser.post(url, data, HTTP_X_CSRFTOKEN="y" * 32),
    }

    for how, response in refused.items():
        assert response.status_code == 403, (how, response.status_code)
    assert database_state() == before, "a refused POST changed the database"


@pytest.mark.parametrize("route", TABLE.keys())
def test_the_form_page_carries_a_csrf_token_that_lets_the_post_through(world, route):
    entry = TABLE[route]
    url, data = url_of(world, entry), entry.data(world)
    browser = client_as(world, entry.who)
    page_url = entry.form_page(world)

    page = browser.get(page_url)

    assert page.status_code == 200
    forms = [inputs for action, inputs in post_forms(page, page_url) if action == url]
    assert forms, f"no POST form for {url} on {page_url}"
    for inputs in forms:
        assert inputs.get("csrfmiddlewaretoken"), f"a form for {url} on {page_url} has no CSRF token"

    before = database_state()
    accepted = browser.post(url, {**data, "csrfmiddlewaretoken": forms[0]["csrfmiddlewaretoken"]})

    assert accepted.status_code in {200, 302}, (accepted.status_code, accepted.content[:500])
    if entry.writes:
        assert database_state() != before, "the control POST changed nothing: the refusal proves little"


def test_every_post_form_on_the_pages_targets_a_url_in_the_table(world):
    """The other way round: a form added to a page posts only to URLs whose CSRF is tested here."""
    pages = {(entry.who, entry.form_page(world)) for entry in TABLE.values()}
    pages |= {("employee", reverse("binding-manage", kwargs={"binding_id": world.paid.pk}))}
    pages |= {("employee", reverse("payment-detail", kwargs={"payment_id": world.payment.pk}))}
    pages |= {("employee", reverse("records")), ("resident", reverse("home"))}

    targets = set()
    for who, page_url in sorted(pages):
        page = client_as(world, who).get(page_url)
        assert page.status_code == 200, (who, page_url)
        for action, inputs in post_forms(page, page_url):
            assert inputs.get("csrfmiddlewaretoken"), (page_url, action)
            targets.add(resolve(action).route)

    assert targets - TABLE.keys() == set()
    assert targets == TABLE.keys(), "some URL of the table was not seen in any form"
