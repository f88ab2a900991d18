"""The accessibility audit (tools/a11y/audit.py) visits every page a person can open: a new page's
address must be added to its list, or to the exceptions below with the reason."""

import importlib.util
import sys
from pathlib import Path

from django.urls import URLPattern, URLResolver, get_resolver, resolve

AUDIT = Path(__file__).resolve().parent.parent / "tools" / "a11y" / "audit.py"
# Not pages: form targets that answer with a redirect, downloads, and the language switch.
NOT_PAGES = {
    "logout",
    "elderly-mode",
    "binding-end",
    "binding-pause",
    "allowance-notify",  # the notice threshold's form: back to the allowance page
    "voucher-refresh",  # the refresh button's target: the payment code's page again (audited as voucher)
    "notifications-read",
    "receipt",
    "staff:bind",
    "staff:pay",
    "staff:receipt",
    "staff:no-role",  # a staff account without a role: the demo data has none
    "set_language",
    "healthz",  # JSON for the load balancer (common/health.py)
    "readyz",
}
# What the audit's setup finds on the way (ids, keys, the check pages' addresses), made up.
FACTS = {
    "paid_id": 1,
    "paid_reference": "GJ1",
    "paid_code": "C",
    "refunded_reference": "GJ2",
    "refunded_code": "D",
    "paid_key": "k",
    "counter_key": "k",
    "binding_path": "/bindings/1/",
    "pay_check_path": "/pay/check/k/",
    "pay_self_check_path": "/pay/mine/check/k/",
    "counter_pay_check_path": "/staff/person/pay/check/k/",
    "allowance_binding_id": 1,
    "allowance_key": "k",
    "allowance_check_path": "/bindings/1/allowance/check/k/",
    "counter_allowance_binding_id": 1,
    "counter_allowance_key": "k",
    "counter_allowance_check_path": "/staff/person/bindings/1/allowance/check/k/",
    "settlement_id": "A11Y-1",
    "spending_binding_id": 1,
}


def _audit():
    spec = importlib.util.spec_from_file_location("a11y_audit", AUDIT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("a11y_audit", module)  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _page_names(patterns, namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace in ("admin",) or str(pattern.pattern).startswith("api/"):
                continue
            yield from _page_names(pattern.url_patterns, pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name


def test_every_page_of_the_portal_is_in_the_audit():
    audit = _audit()
    paths = [
        page.path.format(**FACTS).split("?")[0] for page in audit.PAGES if page.path and page.status != 404
    ]
    audited = {resolve(path).view_name for path in paths}

    missing = set(_page_names(get_resolver().url_patterns)) - audited - NOT_PAGES

    assert missing == set(), f"add these pages to PAGES in {AUDIT}"


def test_every_variant_is_audited_and_lighthouse_covers_both_languages_and_modes():
    audit = _audit()

    assert len(audit.VARIANTS) == 8
    some = audit.LIGHTHOUSE_VARIANTS["some"]
    assert {v.language for v in some} == {"zh-hans", "en"}
    assert {v.elderly for v in some} == {False, True}
    assert {page.user for page in audit.PAGES} == set(audit.USERS)
