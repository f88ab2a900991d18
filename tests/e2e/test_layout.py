"""The layout on a phone and in elderly mode, measured in Chromium: the header leaves the screen to
the page and shows every navigation item, every tap target is as large as the mode promises (links
standing on their own line included), controls take the page's font, and no page is wider than the
screen from 320 to 414 px, the 22-digit payment reference included."""

import pytest

from insurees.models import Enrollment
from payments.services import Actor, payments_create_for_relatives
from tests.e2e.conftest import screenshot, sign_in
from tests.e2e.test_staff_flows import staff
from tests.factories import BindingFactory, EmployeeFactory, PledgeFactory, PremiumRateFactory, user_for
from tests.pages.cashiers import allowance

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ELDERLY_TARGET, STANDARD_TARGET = 56, 44
# At most this share of a 375 x 812 screen for the header, in every language and mode: the
# navigation wraps rather than hide items, so English in large type takes three rows.
HEADER_SHARE = 0.30


@pytest.fixture
def family():
    """An authorizer with three bound relatives, one of them paid for (a receipt to show)."""
    from django.utils import timezone

    year = timezone.localdate().year + 1
    PledgeFactory()
    PremiumRateFactory(year=year)
    authorizer = EmployeeFactory(balance_fen=500_000)
    bindings = [BindingFactory(authorizer=authorizer) for _ in range(3)]
    user = user_for(authorizer.person)
    [payment] = payments_create_for_relatives(
        authorizer=authorizer.person,
        relative_id_numbers=[bindings[0].beneficiary.person.id_number],
        year=year,
        actor=Actor(user=user, idempotency_key="layout-test"),
    )
    user_for(bindings[1].beneficiary.person)
    return {"authorizer": authorizer, "bindings": bindings, "payment": payment}


def open_as(new_page, live_server, who, *, width=375, language="zh-hans", elderly=False):
    page = new_page(width=width, height=812)
    page.context.add_cookies(open_as_cookies(live_server, language, elderly))
    if who is not None:
        sign_in(page, who.id_number)
    return page


def open_as_cookies(live_server, language: str, elderly: bool) -> list[dict]:
    cookies = [{"name": "django_language", "value": language, "url": live_server.url}]
    if elderly:
        cookies.append({"name": "gongji_elderly", "value": "1", "url": live_server.url})
    return cookies


def overflow(page) -> int:
    """How many pixels the page is wider than the window (0: none)."""
    return page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")


def small_targets(page, minimum: int, *, every_link: bool = False) -> list[str]:
    """Tap targets smaller than `minimum` px: buttons, links styled as buttons, navigation links,
    links standing on their own line (alone in their paragraph, list item or cell), selects and text
    inputs, and checkboxes and radios with their labels (the label is the target). With `every_link`
    (elderly mode promises it), every link of the page's content and footer too."""
    return page.evaluate(
        """([minimum, everyLink]) => {
          const targets = [...document.querySelectorAll(
            'button, a.btn, nav.main a, select, label.check, textarea,'
            + ' input:not([type=hidden]):not([type=checkbox]):not([type=radio])')];
          for (const link of document.querySelectorAll('main a, footer a')) {
            const parent = link.parentElement;
            const alone = parent.textContent.trim() === link.textContent.trim();
            if ((everyLink || alone) && !targets.includes(link)) targets.push(link);
          }
          const small = [];
          for (const element of targets) {
            const box = element.getBoundingClientRect();
            if (box.width === 0 && box.height === 0) continue;  // not shown
            if (box.height + 0.5 < minimum || box.width + 0.5 < minimum) {
              small.push(`${element.tagName.toLowerCase()} "${element.textContent.trim().slice(0, 30)}"`
                + ` ${Math.round(box.width)}x${Math.round(box.height)}`);
            }
          }
          for (const input of document.querySelectorAll('input[type=checkbox], input[type=radio]')) {
            if (!input.closest('label')) small.push(`${input.id}: a checkbox outside its label`);
          }
          return small;
        }""",
        [minimum, every_link],
    )


def nav_items_outside(page, width: int) -> list[str]:
    """Navigation items not wholly inside 0..width, and the navigation's own sideways overflow."""
    return page.evaluate(
        """(width) => {
          const nav = document.querySelector('nav.main');
          if (nav === null) return [];  // signed out: no navigation
          const outside = [...nav.querySelectorAll('a, button')].filter(item => {
            const box = item.getBoundingClientRect();
            return box.left < 0 || box.right > width + 0.5;
          }).map(item => item.textContent.trim());
          if (nav.scrollWidth > nav.clientWidth) outside.push(`nav ${nav.scrollWidth} > ${nav.clientWidth}`);
          return outside;
        }""",
        width,
    )


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("elderly", [False, True], ids=["standard", "elderly"])
def test_the_header_takes_little_of_a_phone_screen(new_page, live_server, family, language, elderly):
    page = open_as(new_page, live_server, family["authorizer"].person, language=language, elderly=elderly)
    page.goto("/")

    header = page.locator("header.top").bounding_box()
    nav_links = page.locator("nav.main a").count()

    assert header is not None
    assert header["height"] / 812 <= HEADER_SHARE, f"{header['height']:.0f} px of 812"
    assert nav_links >= 4  # the navigation is there, not cut away
    assert overflow(page) == 0
    screenshot(page, f"header-{language}-{'elderly' if elderly else 'standard'}")


@pytest.mark.parametrize(
    ("elderly", "minimum"), [(False, STANDARD_TARGET), (True, ELDERLY_TARGET)], ids=["standard", "elderly"]
)
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_tap_targets_are_as_large_as_the_mode_promises(
    new_page, live_server, family, elderly, minimum, language
):
    page = open_as(new_page, live_server, family["authorizer"].person, language=language, elderly=elderly)

    for path in ("/", "/bindings/new/", "/pay/", f"/bindings/{family['bindings'][0].pk}/", "/records/"):
        page.goto(path)
        assert small_targets(page, minimum) == [], path


def test_controls_take_the_page_font(new_page, live_server, family):
    page = open_as(new_page, live_server, family["authorizer"].person, elderly=True)
    page.goto("/bindings/new/")

    fonts = page.evaluate(
        """() => {
          const page = getComputedStyle(document.querySelector('main'));
          return [...document.querySelectorAll('main button, main input[type=text], main select')].map(e => {
            const style = getComputedStyle(e);
            return [e.tagName, style.fontFamily === page.fontFamily, style.fontSize === page.fontSize];
          });
        }"""
    )

    assert fonts, "the bind form has controls"
    assert all(family_same and size_same for _tag, family_same, size_same in fonts), fonts


@pytest.mark.parametrize("width", [320, 375, 414])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_no_page_is_wider_than_a_phone_in_elderly_mode(new_page, live_server, family, width, language):
    authorizer, payment = family["authorizer"], family["payment"]
    page = open_as(new_page, live_server, authorizer.person, width=width, language=language, elderly=True)
    pages = [
        "/",
        "/bindings/new/",
        f"/bindings/{family['bindings'][0].pk}/",
        "/pay/",
        "/records/",
        "/notifications/",
        f"/payments/{payment.pk}/",
        "/pay/done/layout-test/",
        f"/receipts/verify/?reference={payment.reference}&code={payment.verification_code}",
        "/no-such-page/",
    ]

    for path in pages:
        page.goto(path)
        assert overflow(page) == 0, path

    page.goto(f"/payments/{payment.pk}/")
    reference = page.get_by_text(payment.reference).first.bounding_box()
    assert reference is not None
    assert reference["x"] + reference["width"] <= width
    screenshot(page, f"payment-detail-elderly-{language}-{width}")


@pytest.mark.parametrize("width", [320, 414])
def test_the_signed_out_pages_fit_a_phone_in_elderly_english(new_page, live_server, width):
    page = open_as(new_page, live_server, None, width=width, language="en", elderly=True)

    for path in ("/login/", "/register/", "/receipts/verify/", "/no-such-page/"):
        page.goto(path)
        assert overflow(page) == 0, path
        assert small_targets(page, ELDERLY_TARGET) == [], path


def test_the_relatives_pages_fit_a_phone_in_elderly_mode(new_page, live_server, family):
    relative = family["bindings"][1].beneficiary.person
    page = open_as(new_page, live_server, relative, width=320, language="en", elderly=True)

    for path in ("/", "/pay/mine/", "/records/", "/notifications/"):
        page.goto(path)
        assert overflow(page) == 0, path
        assert small_targets(page, ELDERLY_TARGET) == [], path


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("who", ["authorizer", "relative"])
def test_every_navigation_item_is_on_a_phone_screen_in_elderly_mode(
    new_page, live_server, family, language, who
):
    person = family["authorizer"].person if who == "authorizer" else family["bindings"][1].beneficiary.person
    page = open_as(new_page, live_server, person, width=375, language=language, elderly=True)
    page.goto("/")

    items = page.locator("nav.main a").count()
    header = page.locator("header.top").bounding_box()

    assert items >= (5 if who == "authorizer" else 4)  # Notices included
    assert nav_items_outside(page, 375) == []
    assert header is not None
    assert header["height"] / 812 <= HEADER_SHARE
    heights = page.eval_on_selector_all("nav.main a, nav.main button", "els => els.map(e => e.offsetHeight)")
    assert min(heights) >= ELDERLY_TARGET
    screenshot(page, f"nav-{who}-{language}-elderly")


@pytest.fixture
def staff_world(family):
    """A counter supervisor with the authorizer on screen, and an auditor with a mismatch to read."""
    from django.utils import timezone

    Enrollment.objects.filter(payment_id=family["payment"].pk).update(paid=False, payment_id=None)
    staff("supervisor", "counter_supervisor")
    staff("auditor", "auditor")
    return {**family, "today": timezone.localdate().isoformat()}


def serve(page, person) -> None:
    page.goto("/staff/")
    page.fill("#id_counter_id", "A03")
    page.click("main form:has(#id_counter_id) button[type=submit]")
    page.fill("#id_id_number", person.id_number)
    page.click("main form:has(#id_id_number) button[type=submit]")
    page.wait_for_url("**/staff/person/")


@pytest.mark.parametrize(
    ("elderly", "minimum"), [(False, STANDARD_TARGET), (True, ELDERLY_TARGET)], ids=["standard", "elderly"]
)
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_standalone_links_are_tap_targets_on_every_kind_of_page(
    new_page, live_server, staff_world, elderly, minimum, language
):
    def check(page, paths):
        for path in paths:
            if path is not None:
                page.goto(path)
            assert small_targets(page, minimum, every_link=elderly) == [], path or page.url
            assert nav_items_outside(page, 375) == [], path or page.url

    relative = staff_world["bindings"][1].beneficiary.person
    payment = staff_world["payment"]
    signed_out = open_as(new_page, live_server, None, language=language, elderly=elderly)
    check(signed_out, ["/login/", "/register/"])
    as_relative = open_as(new_page, live_server, relative, language=language, elderly=elderly)
    check(as_relative, ["/", "/pay/mine/", "/records/", "/notifications/"])
    as_authorizer = open_as(
        new_page, live_server, staff_world["authorizer"].person, language=language, elderly=elderly
    )
    check(as_authorizer, ["/notifications/"])

    counter = new_page(width=375, height=812)
    counter.context.add_cookies(open_as_cookies(live_server, language, elderly))
    sign_in(counter, "supervisor")
    check(counter, ["/staff/"])
    serve(counter, staff_world["authorizer"].person)
    check(counter, [None, f"/staff/payments/{payment.pk}/refund/"])

    auditor = new_page(width=375, height=812)
    auditor.context.add_cookies(open_as_cookies(live_server, language, elderly))
    sign_in(auditor, "auditor")
    check(auditor, ["/staff/review/", f"/staff/reconciliation/?date={staff_world['today']}"])


def broken_words(page) -> list[str]:
    """The words of the page's table cells broken over two lines ("李秀/英", "202/7", "Regi/on",
    "01:56/:50"): a run of letters, digits or Chinese between spaces whose text sits on two lines."""
    return page.evaluate(
        """() => {
          const broken = [];
          for (const cell of document.querySelectorAll('main th, main td')) {
            const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
            for (let text = walker.nextNode(); text; text = walker.nextNode()) {
              for (const word of text.data.matchAll(/\\S+/g)) {
                const range = document.createRange();
                range.setStart(text, word.index);
                range.setEnd(text, word.index + word[0].length);
                const lines = new Set([...range.getClientRects()].filter(box => box.width > 0)
                  .map(box => Math.round(box.top)));
                if (lines.size > 1) broken.push(word[0]);
              }
            }
          }
          return broken;
        }"""
    )


@pytest.mark.parametrize("width", [390, 800, 1280])
@pytest.mark.parametrize("elderly", [False, True], ids=["standard", "elderly"])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_tables_break_lines_between_words_only(new_page, live_server, staff_world, language, elderly, width):
    """A name, a year, a time, a header's word and the 22-character payment reference stay whole on a
    desktop, a tablet and a phone, in both modes: a table too wide for its card is stacked, as on a
    phone, rather than break them (or scroll sideways)."""
    person = staff_world["authorizer"].person
    authorizer = open_as(new_page, live_server, person, width=width, language=language, elderly=elderly)
    for path in ("/", "/records/", f"/payments/{staff_world['payment'].pk}/"):
        authorizer.goto(path)
        assert broken_words(authorizer) == [], path
        assert overflow(authorizer) == 0, path
    auditor = new_page(width=width, height=900)
    auditor.context.add_cookies(open_as_cookies(live_server, language, elderly))
    sign_in(auditor, "auditor")
    auditor.goto("/staff/review/")
    assert broken_words(auditor) == []
    assert overflow(auditor) == 0
    assert auditor.evaluate(
        "[...document.querySelectorAll('.table-wrap')].every(wrap => wrap.scrollWidth <= wrap.clientWidth)"
    )
    screenshot(auditor, f"review-table-{language}-{'elderly' if elderly else 'standard'}-{width}")


@pytest.mark.parametrize(("language", "name"), [("zh-hans", "大连市"), ("en", "Dalian")])
@pytest.mark.parametrize("elderly", [False, True], ids=["standard", "elderly"])
def test_the_chart_per_region_names_its_regions_in_the_pages_type(
    new_page, live_server, staff_world, language, name, elderly
):
    page = new_page(width=1280, height=900)
    page.context.add_cookies(open_as_cookies(live_server, language, elderly))
    sign_in(page, "auditor")
    page.goto("/staff/review/")

    chart = page.evaluate(
        """() => { const chart = Chart.getChart('chart-region');
          return {labels: chart.data.labels, size: chart.options.font.size,
                  page: parseFloat(getComputedStyle(document.documentElement).fontSize)}; }"""
    )

    assert chart["labels"] == [name]  # not the code, 210200
    assert chart["size"] == chart["page"] == (22 if elderly else 16)  # large type reaches the chart


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_payment_code_and_its_digits_are_on_a_phones_first_screen_in_large_type(
    new_page, live_server, language
):
    """At the till, an elderly person shows the code without scrolling: the QR code and its digits
    within a 390 x 844 screen, the digits no smaller than the page's large type; what the page
    explains comes after them."""
    binding = BindingFactory()
    allowance(binding, 30_000)
    relative = binding.beneficiary.person
    user_for(relative)
    page = new_page(width=390, height=844)
    page.context.add_cookies(open_as_cookies(live_server, language, True))
    sign_in(page, relative.id_number)
    page.goto("/voucher/")

    boxes = page.evaluate(
        """() => Object.fromEntries(['#voucher-qr', '#voucher-digits', '.voucher-help'].map(selector => {
          const element = document.querySelector(selector);
          const box = element.getBoundingClientRect();
          return [selector, {top: box.top, bottom: box.bottom,
                             size: parseFloat(getComputedStyle(element).fontSize)}];
        }))"""
    )
    root = font_size_of_page(page)

    assert root == 22  # large type
    assert boxes["#voucher-qr"]["bottom"] <= 844
    assert boxes["#voucher-digits"]["bottom"] <= 844, boxes
    assert boxes["#voucher-digits"]["size"] >= 1.5 * root
    assert boxes[".voucher-help"]["size"] >= root
    assert boxes[".voucher-help"]["top"] > boxes["#voucher-digits"]["bottom"]
    assert overflow(page) == 0
    screenshot(page, f"voucher-first-screen-elderly-{language}")


def font_size_of_page(page) -> float:
    return page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
