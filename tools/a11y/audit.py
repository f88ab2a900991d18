"""The accessibility audit: every page, as each kind of user, in Chinese and English, in standard and
elderly mode, at phone and desktop width.

Each page must have no axe-core violation, a Lighthouse accessibility score of 100, no horizontal
overflow (the page no wider than the screen), and no aria-describedby, aria-labelledby or label[for]
naming an id that does not exist. Exits 1 and prints what failed otherwise.

    python tools/a11y/audit.py   # starts the portal: A11Y_DATABASE_URL, DATABASE_URL or the embedded database
    python tools/a11y/audit.py --base-url http://127.0.0.1:8000 --database-url postgres://…/its-database
    python tools/a11y/audit.py --only pay --lighthouse none --variants zh-elderly-phone

Either way the database gets seed_demo's data and tools/a11y/prepare.py's payments first (both can run
again). The pages are listed once, in PAGES: a new page is one line there (tests/test_a11y_audit.py
fails until it is). The tools come from npm (tools/a11y/package.json and its lock, installed into
tools/a11y/node_modules on first use); the browser is Debian's Chromium, driven by Playwright for axe
and by Puppeteer for Lighthouse (tools/a11y/lighthouse.mjs, through Chromium's debugging port).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
NODE_DIR = HERE / "node_modules"
AXE_JS = NODE_DIR / "axe-core" / "axe.min.js"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--no-first-run",
]
PASSWORD = "Gongji-2026"  # noqa: S105 - seed_demo's password for every demo login
PHONE = (375, 812)
DESKTOP = (1280, 900)

# Who signs in, with what (seed_demo's people; tools/a11y/prepare.py says who is paid and refunded).
USERS: dict[str, str | None] = {
    "anonymous": None,
    "authorizer": "210202197805120232",  # 张伟: employee with three bound relatives
    "relative": "210202195003080313",  # 张建国: resident, bound to two authorizers, his premium unpaid
    "counter": "counter",
    "supervisor": "supervisor",
    "auditor": "auditor",
    "cashier": "pharmacy",  # the demo pharmacy's terminal login
}
WALK_IN = "320205196001250402"  # 王芳: a resident with no binding
SUZHOU_AUTHORIZER = "320102198511200282"  # 陈静: her payment was refunded


@dataclass(frozen=True)
class Variant:
    language: str  # the django_language cookie
    elderly: bool
    width: int
    height: int

    @property
    def name(self) -> str:
        mode = "elderly" if self.elderly else "standard"
        size = "phone" if self.width < 600 else "desktop"
        return f"{'en' if self.language == 'en' else 'zh'}-{mode}-{size}"


VARIANTS = [
    Variant(language, elderly, *size)
    for size in (PHONE, DESKTOP)
    for language in ("zh-hans", "en")
    for elderly in (False, True)
]
# Lighthouse re-checks much of what axe does, at a few seconds a page: phone width, each language
# once and each mode once (`--lighthouse all` runs the four phone variants).
LIGHTHOUSE_VARIANTS = {
    "some": [Variant("zh-hans", False, *PHONE), Variant("en", True, *PHONE)],
    "all": [v for v in VARIANTS if v.width == PHONE[0]],
    "none": [],
}


@dataclass(frozen=True)
class Page:
    """One page as one user sees it: a path (formatted with the facts the setup found) or an action
    that leads there in the browser (a refused form). `status` is the answer the page must give."""

    name: str
    user: str
    path: str = ""
    action: Callable[[Any, dict[str, Any]], Any] | None = None
    status: int = 200


def _submit(page, selector: str = "main form.stack button[type=submit]") -> Any:
    with page.expect_navigation() as navigation:
        page.locator(selector).first.click()
    return navigation.value


def _login_refused(page, facts):
    page.goto("/login/")
    page.fill("#id_identifier", "110105194912310021")
    page.fill("#id_password", "wrong-password")
    return _submit(page)


def _register_refused(page, facts):
    page.goto("/register/")
    page.fill("#id_id_number", "110105 19491231 0021")
    return _submit(page)


def _bind_refused(page, facts):
    page.goto("/bindings/new/")
    page.fill("#id_beneficiary_id_number", "21020219780512023")
    return _submit(page)


def _pay_refused(page, facts):
    page.goto("/pay/")
    for box in page.locator("input[name=beneficiaries]:checked").all():
        box.uncheck()
    return _submit(page)


def _allowance_refused(page, facts):
    page.goto(f"/bindings/{facts['allowance_binding_id']}/allowance/")
    page.fill("#id_amount", "12.345")
    return _submit(page)


def _counter_allowance_refused(page, facts):
    page.goto(f"/staff/person/bindings/{facts['counter_allowance_binding_id']}/allowance/")
    page.fill("#id_amount", "999999.99")  # more than the applicant's available balance
    return _submit(page)


def _notify_refused(page, facts):
    page.goto(f"/bindings/{facts['allowance_binding_id']}/allowance/")
    page.fill("#id_notify_over", "-1")
    return _submit(page, "form[action$='/allowance/notify/'] button[type=submit]")


def _cashier_refused(page, facts):
    page.goto("/cashier/")
    page.fill("#id_amount", "12.345")
    page.fill("#id_voucher_code", "1234")
    return _submit(page)


def _lookup_refused(page, facts):
    page.goto("/staff/")
    page.fill("#id_id_number", "21020219780512023X")
    return _submit(page, "form:has(#id_id_number) button[type=submit]")


# Every page of the portal, once. Paths take the facts of prepare.py and of the setup below.
PAGES = [
    Page("login", "anonymous", "/login/"),
    Page("login-refused", "anonymous", action=_login_refused, status=400),
    Page("register", "anonymous", "/register/"),
    Page("register-refused", "anonymous", action=_register_refused, status=400),
    Page("verify", "anonymous", "/receipts/verify/"),
    Page("verify-valid", "anonymous", "/receipts/verify/?reference={paid_reference}&code={paid_code}"),
    Page(
        "verify-refunded",
        "anonymous",
        "/receipts/verify/?reference={refunded_reference}&code={refunded_code}",
    ),
    Page("404", "anonymous", "/no-such-page/", status=404),
    Page("home", "authorizer", "/"),
    Page("bind", "authorizer", "/bindings/new/"),
    Page("bind-refused", "authorizer", action=_bind_refused, status=400),
    Page("manage-binding", "authorizer", "{binding_path}"),
    Page("pay", "authorizer", "/pay/"),
    Page("pay-refused", "authorizer", action=_pay_refused, status=400),
    Page("pay-check", "authorizer", "{pay_check_path}"),
    Page("pay-done", "authorizer", "/pay/done/{paid_key}/"),
    Page("allowance", "authorizer", "/bindings/{allowance_binding_id}/allowance/"),
    Page("allowance-refused", "authorizer", action=_allowance_refused, status=400),
    Page("allowance-check", "authorizer", "{allowance_check_path}"),
    Page("allowance-done", "authorizer", "/bindings/{allowance_binding_id}/allowance/done/{allowance_key}/"),
    Page("allowance-release", "authorizer", "/bindings/{allowance_binding_id}/allowance/release/"),
    Page("records", "authorizer", "/records/"),
    Page("notices", "authorizer", "/notifications/"),
    Page("payment-detail", "authorizer", "/payments/{paid_id}/"),
    Page("allowance-notify-refused", "authorizer", action=_notify_refused, status=400),
    Page("allowance-spending", "authorizer", "/bindings/{spending_binding_id}/allowance/spending/"),
    Page("voucher-none", "authorizer", "/voucher/"),  # no allowance of his own: why there is no code
    Page("403-staff-page", "authorizer", "/staff/review/", status=403),
    Page("403-cashier", "authorizer", "/cashier/", status=403),
    Page("relative-home", "relative", "/"),
    Page("pay-self", "relative", "/pay/mine/"),
    Page("pay-self-check", "relative", "{pay_self_check_path}"),
    Page("relative-records", "relative", "/records/"),
    Page("relative-notices", "relative", "/notifications/"),
    Page("relative-bind", "relative", "/bindings/new/"),
    Page("voucher", "relative", "/voucher/"),
    Page("my-allowances", "relative", "/allowances/"),
    Page("counter-home", "counter", "/staff/"),
    Page("counter-lookup-refused", "counter", action=_lookup_refused, status=400),
    Page("counter-person", "counter", "/staff/person/"),
    Page("counter-pay-check", "counter", "{counter_pay_check_path}"),
    Page("counter-pay-done", "counter", "/staff/person/pay/done/{counter_key}/"),
    Page("403-review", "counter", "/staff/review/", status=403),
    Page("supervisor-person", "supervisor", "/staff/person/"),
    Page("refund", "supervisor", "/staff/payments/{paid_id}/refund/"),
    Page(
        "counter-allowance", "supervisor", "/staff/person/bindings/{counter_allowance_binding_id}/allowance/"
    ),
    Page("counter-allowance-refused", "supervisor", action=_counter_allowance_refused, status=400),
    Page("counter-allowance-check", "supervisor", "{counter_allowance_check_path}"),
    Page(
        "counter-allowance-done",
        "supervisor",
        "/staff/person/bindings/{counter_allowance_binding_id}/allowance/done/{counter_allowance_key}/",
    ),
    Page(
        "counter-allowance-release",
        "supervisor",
        "/staff/person/bindings/{counter_allowance_binding_id}/allowance/release/",
    ),
    Page("review", "auditor", "/staff/review/"),
    Page("review-refused", "auditor", "/staff/review/?date_from=2026-13-01", status=400),
    Page("reconciliation", "auditor", "/staff/reconciliation/"),
    Page("cashier", "cashier", "/cashier/"),
    Page("cashier-refused", "cashier", action=_cashier_refused, status=400),
    Page("cashier-slip", "cashier", "/cashier/settlements/{settlement_id}/"),
    Page("cashier-reverse", "cashier", "/cashier/settlements/{settlement_id}/reverse/"),
    Page("403-staff-for-cashier", "cashier", "/staff/", status=403),
]


# What the browser does once per user before the pages are visited (the counter keeps its number
# and the applicant in the session; a pay draft gets its check page's address).
def _check_page(page) -> str:
    if "/check/" not in page.url:
        raise RuntimeError(f"the choice was refused, no check page ({_path(page.url)})")
    return _path(page.url)


def _setup_authorizer(page, facts):
    page.goto("/")
    facts["binding_path"] = page.locator(
        "a[href^='/bindings/'][href$='/']:not([href*='/allowance/'])"
    ).first.get_attribute("href")
    page.goto(f"/bindings/{facts['allowance_binding_id']}/allowance/")
    page.fill("#id_amount", "600.00")
    _submit(page)
    facts["allowance_check_path"] = _check_page(page)
    page.goto("/pay/")
    for name in ("张小宝", "张建国"):  # two of his relatives seed_demo leaves unpaid, in the open year
        page.locator("label.check", has_text=name).locator("input").check()
    _submit(page)
    facts["pay_check_path"] = _check_page(page)


def _setup_relative(page, facts):
    page.goto("/pay/mine/")
    _submit(page)
    facts["pay_self_check_path"] = _check_page(page)


def _counter_serves(page, id_number: str) -> None:
    page.goto("/staff/")
    page.fill("#id_counter_id", "A11Y-01")
    _submit(page, "form:has(#id_counter_id) button[type=submit]")
    page.fill("#id_id_number", id_number)
    _submit(page, "form:has(#id_id_number) button[type=submit]")


def _setup_counter(page, facts):
    _counter_serves(page, USERS["authorizer"] or "")
    page.locator("label.check", has_text="张小宝").locator("input[name=payee]").check()  # unpaid
    _submit(page, "form[action$='/person/pay/'] button[type=submit]")
    facts["counter_pay_check_path"] = _check_page(page)
    _counter_serves(page, WALK_IN)  # the person page then shows a walk-in resident


def _setup_supervisor(page, facts):
    # 陈静 on screen: her person page lists her allowance for her father; the counter's allowance
    # pages are hers (a supervisor may do what counter staff do).
    _counter_serves(page, SUZHOU_AUTHORIZER)
    page.goto(f"/staff/person/bindings/{facts['counter_allowance_binding_id']}/allowance/")
    page.fill("#id_amount", "300.00")
    _submit(page)
    facts["counter_allowance_check_path"] = _check_page(page)
    page.goto("/staff/person/")


SETUP: dict[str, Callable[[Any, dict[str, Any]], None]] = {
    "authorizer": _setup_authorizer,
    "relative": _setup_relative,
    "counter": _setup_counter,
    "supervisor": _setup_supervisor,
}

# Evaluated in each page: axe-core's violations, then the audit's own checks (overflow, ids).
AXE_RUN_JS = (HERE / "axe_run.js").read_text()
PAGE_CHECKS_JS = (HERE / "page_checks.js").read_text()


@dataclass
class Report:
    failures: list[str] = field(default_factory=list)
    axe_runs: int = 0
    lighthouse_scores: list[tuple[str, float | None]] = field(default_factory=list)

    def fail(self, where: str, what: str) -> None:
        self.failures.append(f"{where}: {what}")
        print(f"  FAIL {where}: {what}", flush=True)


def _path(url: str) -> str:
    return "/" + url.split("/", 3)[3] if url.count("/") >= 3 else "/"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5):  # noqa: S310 - our own server on loopback
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"nothing answered at {url} within {seconds:.0f} s")


def install_tools() -> None:
    """npm ci into tools/a11y/node_modules, the versions package-lock.json pins; once."""
    if AXE_JS.exists() and (NODE_DIR / "lighthouse").exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is needed (apt-get install npm) to install axe-core and Lighthouse")
    print("== installing axe-core and Lighthouse (npm ci)", flush=True)
    subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--prefix", str(HERE)], check=True)  # noqa: S603


def portal_env(database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CELERY_BROKER_URL")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.local", DEBUG="False", PYTHONUNBUFFERED="1")
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def _quietly(command: list[str], env: dict[str, str]) -> str:
    """Runs a step of the portal's; its output is shown only if it fails. Returns its stdout."""
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        print(done.stdout[-5000:], done.stderr[-5000:], sep="\n")
        raise SystemExit(f"{' '.join(command[1:3])} failed with exit code {done.returncode}")
    return done.stdout


def prepare_data(env: dict[str, str]) -> dict[str, Any]:
    manage = [sys.executable, str(ROOT / "manage.py")]
    _quietly([*manage, "migrate", "--noinput"], env)
    _quietly([*manage, "seed_demo"], env)
    out = _quietly([sys.executable, str(HERE / "prepare.py")], env)
    made = json.loads(out)
    return {
        "paid_id": made["paid"]["id"],
        "paid_reference": made["paid"]["reference"],
        "paid_code": made["paid"]["code"],
        "refunded_reference": made["refunded"]["reference"],
        "refunded_code": made["refunded"]["code"],
        "paid_key": made["paid_key"],
        "counter_key": made["counter_key"],
        "allowance_binding_id": made["allowance_binding_id"],
        "allowance_key": made["allowance_key"],
        "counter_allowance_binding_id": made["counter_allowance_binding_id"],
        "counter_allowance_key": made["counter_allowance_key"],
        "settlement_id": made["settlement_id"],
        "spending_binding_id": made["spending_binding_id"],
    }


def start_portal(env: dict[str, str], port: int) -> subprocess.Popen:
    # runserver --insecure serves the static files with DEBUG off, so the error pages are the real ones.
    log = open(tempfile.gettempdir() + f"/gongji-a11y-portal-{port}.log", "w")  # noqa: SIM115
    return subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            str(ROOT / "manage.py"),
            "runserver",
            "--insecure",
            "--noreload",
            f"127.0.0.1:{port}",
        ],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def sign_in(browser, base_url: str, user: str) -> list[dict[str, Any]]:
    """The session cookie of a user, signed in through the login page."""
    identifier = USERS[user]
    context = browser.new_context(base_url=base_url)
    try:
        if identifier is None:
            return []
        page = context.new_page()
        page.goto("/login/")
        page.fill("#id_identifier", identifier)
        page.fill("#id_password", PASSWORD)
        _submit(page)
        cookies = [c for c in context.cookies() if c["name"] == "sessionid"]
        if not cookies:
            raise RuntimeError(f"{user} ({identifier}) could not sign in")
        return cookies
    finally:
        context.close()


def variant_cookies(base_url: str, session: list[dict[str, Any]], variant: Variant) -> list[Any]:
    cookies = [{"name": c["name"], "value": c["value"], "url": base_url} for c in session]
    cookies.append({"name": "django_language", "value": variant.language, "url": base_url})
    if variant.elderly:
        cookies.append({"name": "gongji_elderly", "value": "1", "url": base_url})
    return cookies


def run_axe(browser, base_url: str, sessions, pages: list[Page], facts, variants, report: Report) -> None:
    axe_source = AXE_JS.read_text()
    for user in USERS:
        user_pages = [p for p in pages if p.user == user]
        if not user_pages:
            continue
        for variant in variants:
            context = browser.new_context(
                base_url=base_url, viewport={"width": variant.width, "height": variant.height}
            )
            context.add_cookies(variant_cookies(base_url, sessions[user], variant))
            context.add_init_script(axe_source)  # in every page this context opens, before its scripts
            page = context.new_page()
            for entry in user_pages:
                where = f"{entry.name} [{variant.name}]"
                try:
                    response = (
                        entry.action(page, facts) if entry.action else page.goto(entry.path.format(**facts))
                    )
                except Exception as error:  # a page that cannot be reached is a failure, not a crash
                    report.fail(where, f"could not be reached: {str(error).splitlines()[0]}")
                    continue
                if response is None or response.status != entry.status:
                    got = response.status if response is not None else "nothing"
                    report.fail(where, f"answered {got}, expected {entry.status} ({_path(page.url)})")
                try:
                    violations, problems = page.evaluate(AXE_RUN_JS), page.evaluate(PAGE_CHECKS_JS)
                except Exception as error:
                    report.fail(where, f"could not be checked: {str(error).splitlines()[0]}")
                    continue
                report.axe_runs += 1
                for problem in problems:
                    report.fail(where, problem)
                for violation in violations:
                    nodes = "; ".join(violation["nodes"])
                    report.fail(
                        where, f"axe {violation['id']} ({violation['impact']}): {violation['help']} — {nodes}"
                    )
            context.close()
        print(f"  axe: {user} done ({report.axe_runs} runs so far)", flush=True)


def start_lighthouse(base_url: str, sessions, pages: list[Page], facts, variants, port: int, profile: str):
    runs = []
    for entry in pages:
        if entry.action is not None:
            continue  # a refused form is a POST's answer: axe checks it, Lighthouse loads addresses only
        for variant in variants:
            runs.append(
                {
                    "name": f"{entry.name} [{variant.name}]",
                    "url": base_url + entry.path.format(**facts),
                    "cookies": variant_cookies(base_url, sessions[entry.user], variant),
                    "width": variant.width,
                    "height": variant.height,
                }
            )
    # Beside Chromium's profile, which the audit removes at the end.
    spec = Path(profile) / "lighthouse-runs.json"
    spec.write_text(json.dumps({"browserURL": f"http://127.0.0.1:{port}", "runs": runs}))
    process = subprocess.Popen(  # noqa: S603
        [shutil.which("node") or "/usr/bin/node", str(HERE / "lighthouse.mjs"), str(spec)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=HERE,
    )
    return process, len(runs)


def collect_lighthouse(process, report: Report) -> None:
    for line in process.stdout or ():
        result = json.loads(line)
        report.lighthouse_scores.append((result["name"], result["score"]))
        if result["runtimeError"]:
            report.fail(result["name"], f"Lighthouse could not run: {result['runtimeError']}")
        elif result["score"] != 1:
            report.fail(result["name"], f"Lighthouse accessibility {round(result['score'] * 100)}")
        for audit in result["failing"]:
            report.fail(
                result["name"], f"Lighthouse {audit['id']}: {audit['title']} — {'; '.join(audit['nodes'])}"
            )
    if process.wait() != 0:
        report.fail("lighthouse", f"the Lighthouse runner exited with {process.returncode}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base-url", help="audit a running portal with seed_demo's and prepare.py's data")
    parser.add_argument(
        "--database-url", default=os.environ.get("A11Y_DATABASE_URL") or os.environ.get("DATABASE_URL")
    )
    parser.add_argument("--only", nargs="*", default=[], help="page names (or their beginnings) to audit")
    parser.add_argument("--lighthouse", choices=sorted(LIGHTHOUSE_VARIANTS), default="some")
    parser.add_argument("--variants", nargs="*", default=[], help="variant names, e.g. zh-elderly-phone")
    args = parser.parse_args(argv)
    started = time.monotonic()
    install_tools()

    pages = [p for p in PAGES if not args.only or any(p.name.startswith(o) for o in args.only)]
    variants = [v for v in VARIANTS if not args.variants or v.name in args.variants]
    lighthouse_variants = [
        v for v in LIGHTHOUSE_VARIANTS[args.lighthouse] if v in variants or not args.variants
    ]

    portal = chromium = None
    profile = tempfile.mkdtemp(prefix="gongji-a11y-chromium-")
    env = portal_env(args.database_url)
    try:
        print("== demo data (migrate, seed_demo, tools/a11y/prepare.py)", flush=True)
        facts = prepare_data(env)
        if args.base_url:
            base_url = args.base_url.rstrip("/")
        else:
            port = _free_port()
            portal = start_portal(env, port)
            base_url = f"http://127.0.0.1:{port}"
        _wait_for(base_url + "/login/")

        from playwright.sync_api import sync_playwright

        report = Report()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            sessions = {user: sign_in(browser, base_url, user) for user in USERS}
            for user, setup in SETUP.items():
                if any(p.user == user for p in pages):
                    context = browser.new_context(base_url=base_url)
                    context.add_cookies(variant_cookies(base_url, sessions[user], VARIANTS[0]))
                    try:
                        setup(context.new_page(), facts)
                    except Exception as error:
                        report.fail(f"setup of {user}", str(error).splitlines()[0])
                    context.close()
            missing = {p.name for p in pages if p.path and _missing_fact(p.path, facts)}
            for name in sorted(missing):
                report.fail(name, "not audited: the setup did not reach it")
            pages = [p for p in pages if p.name not in missing]

            lighthouse = None
            if lighthouse_variants:
                debug_port = _free_port()
                chromium = subprocess.Popen(  # noqa: S603
                    [
                        CHROMIUM,
                        "--headless=new",
                        *CHROMIUM_ARGS,
                        f"--remote-debugging-port={debug_port}",
                        f"--user-data-dir={profile}",
                        "about:blank",
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                _wait_for(f"http://127.0.0.1:{debug_port}/json/version", 30)
                lighthouse, count = start_lighthouse(
                    base_url, sessions, pages, facts, lighthouse_variants, debug_port, profile
                )
                print(f"== Lighthouse: {count} runs, beside axe", flush=True)
            print(f"== axe: {len(pages)} pages x {len(variants)} variants", flush=True)
            run_axe(browser, base_url, sessions, pages, facts, variants, report)
            browser.close()
            print(f"  axe finished at {time.monotonic() - started:.0f} s", flush=True)
            if lighthouse is not None:
                collect_lighthouse(lighthouse, report)
                print(f"  Lighthouse finished at {time.monotonic() - started:.0f} s", flush=True)
    finally:
        for process in (chromium, portal):
            if process is not None:
                process.terminate()
                process.wait(timeout=20)
        shutil.rmtree(profile, ignore_errors=True)

    scores = [s for _n, s in report.lighthouse_scores if s is not None]
    elapsed = time.monotonic() - started
    print(
        f"== {len(pages)} pages, {len(variants)} variants: {report.axe_runs} axe runs, "
        f"{len(report.lighthouse_scores)} Lighthouse runs (lowest score "
        f"{round(min(scores) * 100) if scores else '-'}), {len(report.failures)} failures, {elapsed:.0f} s"
    )
    if report.failures:
        print("== what failed:")
        for failure in report.failures:
            print(f"  {failure}")
        return 1
    return 0


def _missing_fact(path: str, facts: dict[str, Any]) -> bool:
    try:
        path.format(**facts)
    except KeyError:
        return True
    return False


if __name__ == "__main__":
    sys.exit(main())
