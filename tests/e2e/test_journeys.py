"""The five journeys of issue 16, the two of allowances and the payment code's at a pharmacy, each in
Chromium twice: on a phone (375 x 812) with large type switched on through the page's own button, and on
a desktop (1280 x 900) in the standard view, in Chinese.

Each journey asserts what its person reads on the screen (amounts, names, relations from the reader's
side, notices, the void receipt), and that no page on its way is wider than the window."""

from __future__ import annotations

import datetime
import io
import re
from dataclasses import dataclass

import pytest
from django.urls import reverse
from django.utils import timezone

from common.masking import mask_id_number
from ledger.models import Account
from medical.models import Allowance, AllowanceStatus, Settlement, Voucher
from payments.models import Payment, PaymentChannel, PaymentStatus
from payments.services import Actor, payment_refund, payments_create_for_relatives
from staff.models import AuditAction, AuditRecord
from tests.e2e.conftest import screenshot, sign_in
from tests.e2e.test_layout import overflow
from tests.e2e.test_staff_flows import staff
from tests.factories import (
    BindingFactory,
    EmployeeFactory,
    PersonFactory,
    PledgeFactory,
    PremiumRateFactory,
    ResidentFactory,
    UserFactory,
    user_for,
)
from tests.pages.cashiers import allowance, institution, terminal_user
from tests.payments.test_receipts import poppler

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PREMIUM = "¥420.00"  # the factory's rate, as the pages write it


@dataclass(frozen=True)
class Screen:
    name: str
    width: int
    height: int
    elderly: bool


PHONE_ELDERLY = Screen("phone-elderly", 375, 812, elderly=True)
DESKTOP = Screen("desktop", 1280, 900, elderly=False)


@pytest.fixture(params=[PHONE_ELDERLY, DESKTOP], ids=lambda screen: screen.name)
def screen(request) -> Screen:
    return request.param


@pytest.fixture
def year() -> int:
    from django.utils import timezone

    return timezone.localdate().year + 1


@pytest.fixture(autouse=True)
def world(year):
    PledgeFactory()
    PremiumRateFactory(year=year)


def employee(name: str, sex: str, birth: datetime.date, balance_fen: int):
    return EmployeeFactory(balance_fen=balance_fen, person=PersonFactory(name=name, sex=sex, birth=birth))


def resident(name: str, sex: str, birth: datetime.date):
    return ResidentFactory(person=PersonFactory(name=name, sex=sex, birth=birth))


def balance_fen(insuree) -> int:
    return Account.objects.get(pk=insuree.account_id).balance_fen


def elderly_on(page) -> bool:
    return page.evaluate("document.documentElement.classList.contains('elderly')")


def font_size(page) -> float:
    return page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")


def opened(new_page, screen: Screen, identifier: str):
    """The person's own browser: on a phone he first taps 长辈模式 (large type) on the sign-in page,
    as the header offers it, then signs in."""
    page = new_page(width=screen.width, height=screen.height)
    page.goto("/login/")
    assert not elderly_on(page)
    if screen.elderly:
        standard = font_size(page)
        with page.expect_navigation():
            page.click("header.top button:has-text('长辈模式')")
        assert elderly_on(page)
        assert font_size(page) > standard
        assert page.inner_text("header.top button[aria-pressed=true]") == "标准模式"
    sign_in(page, identifier)
    return page


def broken_amounts(page) -> list[str]:
    """The amounts of money the page breaks over two lines ("¥840." then "00"), which a reader takes
    for two numbers or a wrong one."""
    return page.evaluate(
        """() => [...document.querySelectorAll('main .money')].filter(element => {
          const half = parseFloat(getComputedStyle(element).fontSize) / 2;
          const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
          const tops = [];
          for (let text = walker.nextNode(); text; text = walker.nextNode()) {
            const range = document.createRange();
            range.selectNodeContents(text);
            for (const box of range.getClientRects()) if (box.width > 0) tops.push(box.top);
          }
          return tops.length > 0 && Math.max(...tops) - Math.min(...tops) > half;
        }).map(element => element.textContent.trim())"""
    )


def seen(page, screen: Screen, shot: str | None = None) -> str:
    """The page's main text as its reader sees it, after checking that nothing is wider than the
    window, that no amount is broken over two lines, and that the mode he chose holds here too."""
    page.wait_for_load_state()
    if shot:
        screenshot(page, f"journey-{shot}-{screen.name}")
    assert overflow(page) <= 0, f"{page.url} is {overflow(page)} px wider than the window"
    assert broken_amounts(page) == [], page.url
    assert elderly_on(page) is screen.elderly, page.url
    return page.inner_text("main")


def row(page, text: str):
    """The one table row of the page's main part that mentions `text`."""
    rows = page.locator("main table tbody tr", has_text=text)
    assert rows.count() == 1, f"{rows.count()} rows mention {text}"
    return rows.first


def notices(page, screen: Screen, shot: str) -> str:
    """Opens 消息 from the navigation, as the reader would."""
    page.click("nav.main a[href='/notifications/']")
    page.wait_for_url("**/notifications/")
    return seen(page, screen, shot)


def download_text(page, link_selector: str) -> str:
    """The receipt PDF behind a download link, as pdftotext reads it."""
    with page.expect_download() as download:
        page.click(link_selector)
    return poppler("pdftotext", download.value.path(), "-")


# --- 1. an authorizer pays two relatives -------------------------------------------------------------


def test_an_authorizer_pays_two_relatives_through_the_confirmation_step(new_page, screen, year):
    son = employee("张建国", "M", datetime.date(1982, 6, 15), balance_fen=100_000)
    father = BindingFactory(authorizer=son, beneficiary=resident("张德明", "M", datetime.date(1954, 2, 3)))
    mother = BindingFactory(authorizer=son, beneficiary=resident("李秀英", "F", datetime.date(1957, 9, 21)))
    user_for(son.person)
    relatives = {"张德明": father.beneficiary, "李秀英": mother.beneficiary}
    page = opened(new_page, screen, son.person.id_number)

    home = seen(page, screen)
    assert "您好，张建国" in home
    assert "¥1,000.00" in home
    for name in relatives:
        assert "未缴费" in row(page, name).inner_text()

    page.click("nav.main a[href='/pay/']")
    page.wait_for_url("**/pay/")
    for name, relative in relatives.items():
        choice = page.locator("main label.check", has_text=name)
        assert choice.inner_text().strip() == f"{name}（父母）{mask_id_number(relative.person.id_number)}"
        choice.locator("input").check()
    page.select_option("#id_year", str(year))
    seen(page, screen, "authorizer-choose")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/pay/check/*/")

    check = seen(page, screen, "authorizer-check")
    assert page.inner_text("main h1") == "缴费前请核对"
    assert page.locator("main table tbody tr").count() == 2
    for name, relative in relatives.items():
        line = row(page, name).inner_text()
        assert "父母" in line  # his parents, read from his side
        assert "城乡居民基本医疗保险保费" in line
        assert str(year) in line
        assert PREMIUM in line
        assert relative.person.id_number not in line  # masked even for his own relatives
    assert page.inner_text("#total") == "¥840.00"
    assert page.inner_text("#balance-before") == "¥1,000.00"
    assert page.inner_text("#balance-after") == "¥160.00"
    assert "张建国（本人个人账户）" in check
    assert Payment.objects.count() == 0  # the check page moves nothing

    page.click("main button:has-text('确认并缴费')")
    page.wait_for_url("**/pay/done/*/")

    done = seen(page, screen, "authorizer-done")
    assert page.inner_text("main h1") == "2 笔保费已缴纳"
    assert page.inner_text("#total") == "¥840.00"
    assert page.inner_text("#balance-left") == "¥160.00"
    payments = {p.beneficiary.person.name: p for p in Payment.objects.select_related("beneficiary__person")}
    assert set(payments) == set(relatives)
    for name, payment in payments.items():
        line = row(page, name)
        assert f"{name}（父母）" in line.inner_text()
        assert PREMIUM in line.inner_text()
        assert payment.reference in line.inner_text()
        receipt = line.locator(f"a[href='{reverse('receipt', args=[payment.pk])}']")
        assert receipt.inner_text() == "下载缴费凭证（PDF）"
        pdf = download_text(page, f"main a[href='{reverse('receipt', args=[payment.pk])}']")
        assert payment.reference in pdf
        assert "肆佰贰拾元整" in pdf
        assert "作废" not in pdf
    assert "张建国" in done
    assert balance_fen(son) == 16_000

    page.click("main a:has-text('返回首页')")
    page.wait_for_url("**/")
    home = seen(page, screen)
    assert "¥160.00" in home
    assert "¥1,000.00" not in home
    for name in relatives:
        assert "已缴费" in row(page, name).inner_text()

    told = notices(page, screen, "authorizer-notices")
    for name in relatives:
        assert f"您的个人账户为您的父母{name}缴纳了{year}年度城乡居民医保个人缴费420.00元" in told


# --- 2. a relative pays his own premium ---------------------------------------------------------------


def test_a_relative_pays_his_own_premium_and_is_notified(new_page, screen, year):
    father = resident("王德福", "M", datetime.date(1953, 11, 2))
    son = employee("王建军", "M", datetime.date(1980, 4, 12), balance_fen=90_000)
    daughter = employee("王丽", "F", datetime.date(1984, 8, 30), balance_fen=60_000)
    for child in (son, daughter):
        BindingFactory(authorizer=child, beneficiary=father)
    user_for(father.person)
    page = opened(new_page, screen, father.person.id_number)

    home = seen(page, screen, "relative-home")
    assert "为我缴费的家庭账户" in home
    assert "王建军（子女）" in home  # his children, in full, read from his side
    assert "王丽（子女）" in home
    assert "父母" not in home
    assert "¥900.00" not in home  # another person's balance

    page.click("main a:has-text('用家庭共济账户缴纳我的保费')")
    page.wait_for_url("**/pay/mine/")
    page.select_option("#id_year", str(year))
    seen(page, screen)
    page.click("main form button[type=submit]")
    page.wait_for_url("**/pay/mine/check/*/")

    check = seen(page, screen, "relative-check")
    assert page.inner_text("#total") == PREMIUM
    assert "王德福" in check
    # The rule's pick, the higher balance, named as his child with the tail of the ID number.
    assert f"王建军（子女）{mask_id_number(son.person.id_number)}" in check
    assert "王丽" not in check
    assert "900.00" not in check
    assert "480.00" not in check
    assert "将不会扣款，本页会重新显示变化后的扣款账户和金额" in check

    page.click("main button:has-text('确认并缴费')")
    page.wait_for_url("**/pay/done/*/")

    seen(page, screen, "relative-done")
    assert page.inner_text("main h1") == "1 笔保费已缴纳"
    assert page.inner_text("#total") == PREMIUM
    assert page.locator("#balance-left").count() == 0  # his son's balance is not his to see
    payment = Payment.objects.get()
    line = row(page, payment.reference).inner_text()
    assert "王德福" in line
    assert "王建军（子女）" in line
    assert PREMIUM in line
    assert page.locator(f"main a[href='{reverse('receipt', args=[payment.pk])}']").count() == 1
    assert balance_fen(son) == 48_000
    assert balance_fen(daughter) == 60_000

    assert page.inner_text("nav.main a[href='/notifications/'] .badge") == "1"
    told = notices(page, screen, "relative-notices")
    assert f"您已使用您的子女王建军的个人账户缴纳本人{year}年度城乡居民医保个人缴费420.00元。" in told
    assert "新" in told

    son_page = opened(new_page, screen, user_for(son.person).username)
    told = notices(son_page, screen, "relative-payer-notices")
    assert f"您的父母王德福使用您的个人账户缴纳了本人{year}年度城乡居民医保个人缴费420.00元" in told
    assert "账户可用余额480.00元" in told


# --- 3. a supervisor refunds -------------------------------------------------------------------------


def test_a_supervisor_refunds_and_the_relative_is_told_and_the_receipt_is_void(new_page, screen, year):
    son = employee("刘志强", "M", datetime.date(1979, 1, 25), balance_fen=100_000)
    mother = resident("陈秀兰", "F", datetime.date(1952, 5, 17))
    BindingFactory(authorizer=son, beneficiary=mother)
    [payment] = payments_create_for_relatives(
        authorizer=son.person,
        relative_id_numbers=[mother.person.id_number],
        year=year,
        actor=Actor(user=user_for(son.person), idempotency_key="before-the-refund"),
    )
    user_for(mother.person)
    staff("supervisor", "counter_supervisor")
    page = opened(new_page, screen, "supervisor")
    assert page.url.endswith("/staff/")

    page.fill("#id_counter_id", "DL-05")
    page.click("main form:has(#id_counter_id) button[type=submit]")
    page.wait_for_load_state()
    assert "当前窗口：DL-05。" in seen(page, screen)
    page.fill("#id_id_number", son.person.id_number)
    page.click("main form:has(#id_id_number) button[type=submit]")
    page.wait_for_url("**/staff/person/")

    person = seen(page, screen, "supervisor-person")
    assert "¥580.00" in person
    paid = row(page, payment.reference).inner_text()
    assert "陈秀兰" in paid
    assert PREMIUM in paid
    assert "已缴费" in paid
    page.click(f"main a[href='{reverse('staff:refund', args=[payment.pk])}']")
    page.wait_for_url("**/refund/")

    seen(page, screen, "supervisor-refund-reason")
    assert page.inner_text("#refund-amount") == PREMIUM
    assert "刘志强" in page.inner_text("#refund-to")
    page.check("main label.check:has-text('已通过其他渠道重复缴费') input")
    page.click("main form button:has-text('继续')")
    page.wait_for_load_state()

    confirm = seen(page, screen, "supervisor-refund-confirm")
    assert page.inner_text("#refund-reason") == "已通过其他渠道重复缴费"
    assert payment.reference in confirm
    assert Payment.objects.get().status == PaymentStatus.SETTLED  # only the confirmation refunds
    page.click("main button:has-text('确认退费 ¥420.00')")
    page.wait_for_url("**/staff/person/")

    after = seen(page, screen, "supervisor-refunded")
    assert f"已退费{payment.reference}：¥420.00已退回刘志强的个人账户。" in after
    assert "¥1,000.00" in after
    assert "已退费" in row(page, payment.reference).inner_text()
    assert page.locator(f"main a[href='{reverse('staff:refund', args=[payment.pk])}']").count() == 0
    assert balance_fen(son) == 100_000

    relative = opened(new_page, screen, mother.person.id_number)
    assert relative.inner_text("nav.main a[href='/notifications/'] .badge") == "2"  # paid, then refunded
    told = notices(relative, screen, "refunded-relative-notices")
    refund_notice = (
        f"您{year}年度的城乡居民医保个人缴费420.00元（由您的子女刘志强的个人账户支付）已退回该账户。"
        "退费原因：已通过其他渠道重复缴费。"
    )
    assert refund_notice in told
    assert f"您{year}年度的城乡居民医保个人缴费420.00元已由您的子女刘志强的个人账户支付。" in told

    notice = relative.locator("main ul.notices > li", has_text="已退回该账户")
    notice.locator("a:has-text('查看缴费记录')").click()
    relative.wait_for_url(f"**{reverse('payment-detail', args=[payment.pk])}")
    detail = seen(relative, screen, "refunded-payment")
    assert "已退费" in detail
    assert "已通过其他渠道重复缴费" in detail

    pdf = download_text(relative, f"main a[href='{reverse('receipt', args=[payment.pk])}']")
    assert payment.reference in pdf
    assert "已退费" in pdf
    assert "作废" in pdf
    assert "已通过其他渠道重复缴费" in pdf

    relative.click("main a:has-text('查验此凭证')")
    relative.wait_for_url("**/receipts/verify/?*")
    verified = seen(relative, screen, "refunded-receipt-verified")
    assert relative.inner_text("#verify-result h2") == "已退费，此凭证已作废"
    assert "真实有效" not in verified
    assert PREMIUM in verified


# --- 4. an auditor reviews and reconciles ------------------------------------------------------------


def test_an_auditor_signs_in_to_the_review_and_reaches_the_reconciliation(new_page, screen, year):
    family = employee("赵海", "M", datetime.date(1985, 3, 9), balance_fen=100_000)
    parents = [
        BindingFactory(authorizer=family, beneficiary=resident("赵国庆", "M", datetime.date(1956, 10, 1))),
        BindingFactory(authorizer=family, beneficiary=resident("钱淑芬", "F", datetime.date(1958, 7, 7))),
    ]
    payments_create_for_relatives(
        authorizer=family.person,
        relative_id_numbers=[b.beneficiary.person.id_number for b in parents],
        year=year,
        actor=Actor(user=user_for(family.person), idempotency_key="two-parents"),
    )
    other = BindingFactory(
        authorizer=employee("孙浩", "M", datetime.date(1990, 12, 12), balance_fen=50_000),
        beneficiary=resident("孙玉珍", "F", datetime.date(1960, 2, 29)),
    )
    [refunded] = payments_create_for_relatives(
        authorizer=other.authorizer.person,
        relative_id_numbers=[other.beneficiary.person.id_number],
        year=year,
        actor=Actor(user=user_for(other.authorizer.person), idempotency_key="to-be-refunded"),
    )
    payment_refund(payment=refunded, reason="paid_twice", note="", operator=UserFactory())
    staff("auditor", "auditor")

    page = opened(new_page, screen, "auditor")

    assert page.url.endswith("/staff/review/")  # the auditor lands on his review
    review = seen(page, screen, "auditor-review")
    assert page.inner_text("main h1") == "支出审核"
    assert page.inner_text("#total-payments") == "2"  # settled only
    assert page.inner_text("#total-people") == "2"
    assert page.inner_text("#total-amount") == "¥840.00"
    assert page.inner_text("#total-refunded") == "1"
    assert page.inner_text("#total-refunded-amount") == PREMIUM
    assert page.locator("#review-table tbody tr").count() == 3
    assert "赵国庆" not in review  # names masked for the auditor
    assert "赵*" in row(page, "钱*").inner_text()  # the payer, masked too
    assert page.evaluate("typeof Chart") == "function"
    assert page.inner_text("#stats-summary").startswith("共有 2 名居民由亲属个人账户缴纳保费，合计 840.00 元")
    by_region = page.locator("section[aria-labelledby=stats-title] tbody tr", has_text="大连市（210200）")
    assert "¥840.00" in by_region.inner_text()

    page.click("main a:has-text('对账：逐日核对账本、缴费和参保登记')")
    page.wait_for_url("**/staff/reconciliation/")

    reconciliation = seen(page, screen, "auditor-reconciliation")
    assert page.inner_text("main h1") == "对账"
    assert page.inner_text("#reconciliation-ok") == "账目相符：已核对 3 笔缴费，没有差异。"
    assert "返回支出审核" in reconciliation


# --- 5. a walk-in resident at the counter ------------------------------------------------------------


def test_a_walk_in_resident_is_served_at_the_counter(new_page, screen, year):
    # She was bound online by her daughter; at the counter nothing is bound, only her premium paid.
    mother = resident("孙玉珍", "F", datetime.date(1958, 4, 3))
    daughter = employee("周丽", "F", datetime.date(1984, 12, 1), balance_fen=80_000)
    BindingFactory(authorizer=daughter, beneficiary=mother)
    staff("clerk", "counter_staff")
    page = opened(new_page, screen, "clerk")
    assert page.url.endswith("/staff/")

    page.fill("#id_counter_id", "DL-03")
    page.click("main form:has(#id_counter_id) button[type=submit]")
    page.wait_for_load_state()
    page.fill("#id_id_number", mother.person.id_number)
    page.click("main form:has(#id_id_number) button[type=submit]")
    page.wait_for_url("**/staff/person/")

    person = seen(page, screen, "counter-resident")
    assert page.inner_text("#applicant") == f"孙玉珍 {mother.person.id_number}"
    assert "城乡居民" in person
    binding = row(page, "周丽").inner_text()
    assert "子女" in binding  # her daughter, from her side
    assert page.locator("#id_relation").count() == 0  # a resident binds no one at the counter
    payee = page.locator("form[action$='/pay/'] label.check")
    assert payee.count() == 1
    assert payee.inner_text().strip() == "孙玉珍（申请人本人）：由余额最高的已绑定账户支付"
    assert payee.locator("input").is_checked()  # the only choice, chosen
    page.select_option("form[action$='/pay/'] #id_year", str(year))
    page.click("form[action$='/pay/'] button[type=submit]")
    page.wait_for_url("**/staff/person/pay/check/*/")

    check = seen(page, screen, "counter-check")
    line = row(page, "孙玉珍").inner_text()
    assert "申请人本人" in line
    assert PREMIUM in line
    assert mother.person.id_number not in line
    assert page.inner_text("#total") == PREMIUM
    assert f"周丽（子女）{mask_id_number(daughter.person.id_number)}" in check
    assert page.inner_text("#balance-before") == "¥800.00"  # staff may see the paying account
    assert page.inner_text("#balance-after") == "¥380.00"
    assert Payment.objects.count() == 0

    page.click("main button:has-text('确认并缴费')")
    page.wait_for_url("**/staff/person/pay/done/*/")

    seen(page, screen, "counter-done")
    payment = Payment.objects.get()
    assert payment.channel == PaymentChannel.COUNTER
    assert page.inner_text("main h1") == "1 笔保费已缴纳"
    assert page.inner_text("#total") == PREMIUM
    assert page.inner_text("#balance-left") == "¥380.00"
    paid = row(page, payment.reference).inner_text()
    assert "孙玉珍" in paid
    assert "周丽" in paid
    assert PREMIUM in paid
    receipt_link = page.locator("main a:has-text('打印凭证')")
    receipt = page.request.get(receipt_link.get_attribute("href"))
    assert receipt.headers["content-type"] == "application/pdf"
    assert balance_fen(daughter) == 38_000

    page.click("main a:has-text('返回 孙玉珍')")
    page.wait_for_url("**/staff/person/")
    seen(page, screen)
    assert "已缴费" in row(page, payment.reference).inner_text()

    resident_page = opened(new_page, screen, user_for(mother.person).username)
    told = notices(resident_page, screen, "counter-resident-notices")
    assert f"经办窗口已从您的子女周丽的个人账户缴纳您{year}年度城乡居民医保个人缴费420.00元。" in told


# --- 6. an authorizer sets, lowers and releases an allowance ----------------------------------------


def test_an_authorizer_sets_lowers_and_releases_an_allowance_and_the_relative_is_told(new_page, screen):
    son = employee("张建国", "M", datetime.date(1982, 6, 15), balance_fen=100_000)
    father = BindingFactory(authorizer=son, beneficiary=resident("张德明", "M", datetime.date(1954, 2, 3)))
    user_for(son.person)
    user_for(father.beneficiary.person)
    allowance_page = reverse("allowance", args=[father.pk])
    page = opened(new_page, screen, son.person.id_number)

    seen(page, screen)
    assert "—" in row(page, "张德明").inner_text()  # no allowance yet
    page.click(f"main a[href='{allowance_page}']")
    page.wait_for_url(f"**{allowance_page}")
    chosen = seen(page, screen, "allowance-choose")
    assert page.inner_text("main h2") == "给张德明（父母）"
    assert page.inner_text("#available") == "¥1,000.00"
    assert "无" in chosen
    page.fill("#id_amount", "300")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/allowance/check/*/")

    seen(page, screen, "allowance-check")
    assert page.inner_text("main h1") == "核对共济额度"
    assert page.inner_text("main h2") == "给张德明（父母）"
    assert page.inner_text("#allowance-before") == "¥0.00"
    assert page.inner_text("#allowance-after") == "¥300.00"
    assert page.inner_text("#available-before") == "¥1,000.00"
    assert page.inner_text("#available-after") == "¥700.00"
    assert page.inner_text("#held-after") == "¥300.00"
    assert not Allowance.objects.exists()  # the check page holds nothing
    assert balance_fen(son) == 100_000

    page.click("main button:has-text('确认共济额度')")
    page.wait_for_url("**/allowance/done/*/")
    done = seen(page, screen, "allowance-done")
    assert page.inner_text("main h1") == "共济额度已设置"
    assert page.inner_text("#allowance-amount") == "¥300.00"
    assert "张德明" in done
    assert balance_fen(son) == 70_000

    page.click("main a:has-text('返回首页')")
    page.wait_for_url("**/")
    home = seen(page, screen, "allowance-home")
    listed = row(page, "张德明").inner_text()
    assert "¥300.00" in listed
    assert "剩余¥300.00" in listed
    assert "¥1,000.00" in home  # his balance in all, of which
    assert "¥700.00" in home  # he can still spend this

    page.click(f"main a[href='{allowance_page}']")
    page.wait_for_url(f"**{allowance_page}")
    seen(page, screen)
    assert page.input_value("#id_amount") == "300.00"  # the amount now, to change
    page.fill("#id_amount", "120")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/allowance/check/*/")
    seen(page, screen, "allowance-lower-check")
    assert page.inner_text("#allowance-before") == "¥300.00"
    assert page.inner_text("#allowance-after") == "¥120.00"
    assert page.inner_text("#available-before") == "¥700.00"
    assert page.inner_text("#available-after") == "¥880.00"
    assert balance_fen(son) == 70_000
    page.click("main button:has-text('确认共济额度')")
    page.wait_for_url("**/allowance/done/*/")
    seen(page, screen)
    assert page.inner_text("#allowance-amount") == "¥120.00"
    assert balance_fen(son) == 88_000

    page.click("main a:has-text('返回首页')")
    page.wait_for_url("**/")
    assert "剩余¥120.00" in row(page, "张德明").inner_text()
    page.click(f"main a[href='{allowance_page}']")
    page.wait_for_url(f"**{allowance_page}")
    page.click("main a:has-text('解除共济额度')")
    page.wait_for_url("**/allowance/release/")
    seen(page, screen, "allowance-release")
    assert page.inner_text("#released") == "¥120.00"
    assert Allowance.objects.get().status == AllowanceStatus.ACTIVE  # only the button releases
    page.click("main button:has-text('确认解除')")
    page.wait_for_url("**/")

    home = seen(page, screen, "allowance-released")
    assert "张德明的共济额度已解除：120.00元已退回您的个人账户。" in home
    assert "¥120.00" not in row(page, "张德明").inner_text()
    assert Allowance.objects.get().status == AllowanceStatus.RELEASED
    assert balance_fen(son) == 100_000
    told = notices(page, screen, "allowance-authorizer-notices")
    assert "您为您的父母张德明设置了300.00元的共济额度" in told
    assert "您将您的父母张德明的共济额度从300.00元调整为120.00元。" in told
    assert "您解除了您的父母张德明的共济额度：120.00元已退回您的个人账户。" in told

    relative = opened(new_page, screen, father.beneficiary.person.id_number)
    assert relative.inner_text("nav.main a[href='/notifications/'] .badge") == "3"  # set, lowered, released
    assert "来自张建国的共济额度" not in seen(relative, screen)  # released: nothing left to use
    told = notices(relative, screen, "allowance-relative-notices")
    assert (
        "您的子女张建国从其个人账户为您设置了300.00元的共济额度：您可在定点医院和药店用于支付医疗费用。"
        in told
    )
    assert "您的子女张建国将您的共济额度从300.00元调整为120.00元。" in told
    assert "您的子女张建国解除了您的共济额度，该额度不能再使用。" in told
    assert "1,000.00" not in told  # his son's balance is not his to see


# --- 7. the counter sets and releases an allowance for a walk-in authorizer -------------------------


def allowance_row(page, name: str):
    """The row of the person page's allowances that names the relative."""
    rows = page.locator("#allowances tbody tr", has_text=name)
    assert rows.count() == 1, f"{rows.count()} allowance rows mention {name}"
    return rows.first


def test_the_counter_sets_and_releases_an_allowance_for_a_walk_in_authorizer(new_page, screen):
    daughter = employee("周丽", "F", datetime.date(1984, 12, 1), balance_fen=80_000)
    mother = BindingFactory(
        authorizer=daughter, beneficiary=resident("孙玉珍", "F", datetime.date(1958, 4, 3))
    )
    user_for(mother.beneficiary.person)
    clerk = staff("clerk", "counter_staff")
    page = opened(new_page, screen, "clerk")

    page.fill("#id_counter_id", "DL-03")
    page.click("main form:has(#id_counter_id) button[type=submit]")
    page.wait_for_load_state()
    page.fill("#id_id_number", daughter.person.id_number)
    page.click("main form:has(#id_id_number) button[type=submit]")
    page.wait_for_url("**/staff/person/")

    seen(page, screen, "counter-allowance-person")
    listed = allowance_row(page, "孙玉珍").inner_text()
    assert "父母" in listed  # her mother, from her side
    assert "无" in listed
    assert page.inner_text("#available-balance") == "¥800.00"
    allowance_row(page, "孙玉珍").locator("a:has-text('设置共济额度')").click()
    page.wait_for_url("**/allowance/")
    seen(page, screen, "counter-allowance-choose")
    assert page.inner_text("main h2") == "给孙玉珍（父母）"
    assert page.inner_text("#available") == "¥800.00"
    page.fill("#id_amount", "200")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/allowance/check/*/")

    check = seen(page, screen, "counter-allowance-check")
    assert page.inner_text("main h1") == "核对共济额度"
    assert "经办窗口：DL-03" in check
    assert "周丽（申请人本人的个人账户）" in check
    assert page.inner_text("#allowance-before") == "¥0.00"
    assert page.inner_text("#allowance-after") == "¥200.00"
    assert page.inner_text("#available-before") == "¥800.00"
    assert page.inner_text("#available-after") == "¥600.00"
    assert not Allowance.objects.exists()
    page.click("main button:has-text('确认共济额度')")
    page.wait_for_url("**/allowance/done/*/")

    seen(page, screen, "counter-allowance-done")
    assert page.inner_text("main h1") == "共济额度已设置"
    assert page.inner_text("#allowance-after") == "¥200.00"
    assert page.inner_text("#available-now") == "¥600.00"
    assert balance_fen(daughter) == 60_000
    record = AuditRecord.objects.get(action=AuditAction.ALLOWANCE_SET)
    assert (record.operator, record.counter_id, record.person) == (clerk, "DL-03", daughter.person)

    page.click("main a:has-text('返回 周丽')")
    page.wait_for_url("**/staff/person/")
    seen(page, screen)
    listed = allowance_row(page, "孙玉珍").inner_text()
    assert "¥200.00" in listed
    assert "¥0.00" in listed  # nothing spent yet
    assert page.inner_text("#available-balance") == "¥600.00"
    allowance_row(page, "孙玉珍").locator("a:has-text('解除…')").click()
    page.wait_for_url("**/allowance/release/")

    seen(page, screen, "counter-allowance-release")
    assert page.inner_text("#released") == "¥200.00"
    assert page.inner_text("#available-before") == "¥600.00"
    assert page.inner_text("#available-after") == "¥800.00"
    assert balance_fen(daughter) == 60_000
    page.click("main button:has-text('确认解除')")
    page.wait_for_url("**/allowance/done/*/")

    released = seen(page, screen, "counter-allowance-released")
    assert page.inner_text("main h1") == "共济额度已解除"
    assert "¥200.00已退回周丽的个人账户。" in released
    assert page.inner_text("#available-now") == "¥800.00"
    assert balance_fen(daughter) == 80_000
    assert AuditRecord.objects.get(action=AuditAction.ALLOWANCE_RELEASE).counter_id == "DL-03"
    page.click("main a:has-text('返回 周丽')")
    page.wait_for_url("**/staff/person/")
    seen(page, screen)
    assert "无" in allowance_row(page, "孙玉珍").inner_text()

    relative = opened(new_page, screen, mother.beneficiary.person.id_number)
    told = notices(relative, screen, "counter-allowance-relative-notices")
    assert "您的子女周丽从其个人账户为您设置了200.00元的共济额度" in told
    assert "您的子女周丽解除了您的共济额度，该额度不能再使用。" in told


# --- 8. a relative pays at a pharmacy with his payment code ----------------------------------------


def scanned(page) -> str:
    """What a cashier's scanner reads from the QR code on the relative's screen."""
    import zxingcpp
    from PIL import Image

    image = Image.open(io.BytesIO(page.locator("#voucher-qr").screenshot()))
    return " ".join(code.text for code in zxingcpp.read_barcodes(image))


def next_code(page, shown: str) -> str:
    """The code the page shows once it has replaced `shown`, without leaving the page (its QR code
    drawn too)."""
    page.wait_for_function(
        """old => document.getElementById('voucher-digits').textContent.trim() !== old
          && document.getElementById('voucher-qr').complete""",
        arg=shown,
    )
    return page.inner_text("#voucher-digits")


def test_a_relative_pays_at_a_pharmacy_with_his_code_and_both_sides_see_it(new_page, screen):
    son = employee("张建国", "M", datetime.date(1982, 6, 15), balance_fen=100_000)
    father = BindingFactory(authorizer=son, beneficiary=resident("张德明", "M", datetime.date(1954, 2, 3)))
    user_for(son.person)
    user_for(father.beneficiary.person)
    allowance(father, 30_000)
    terminal_user(institution("P21020200001", "康民大药房（中山店）"), "pharmacy")

    # The father opens his payment code from his home page (the page's clock is the test's to move).
    relative = opened(new_page, screen, father.beneficiary.person.id_number)
    seen(relative, screen)
    relative.clock.install()
    relative.click("main a:has-text('出示医保码')")
    relative.wait_for_url("**/voucher/")
    shown = seen(relative, screen, "voucher")
    assert relative.inner_text("main h1") == "医保码"
    draws = relative.inner_text("#voucher-allowances")
    assert "张建国" in draws
    assert "子女" in draws  # his son, read from his side
    assert "¥300.00" in draws
    assert "有效期至" in shown
    assert not relative.is_visible("#voucher-expired")  # fresh: no word of expiry yet
    first = relative.inner_text("#voucher-digits")
    assert re.fullmatch(r"\d{4}( \d{4}){4}", first)  # in groups of four, to read out
    assert scanned(relative) == first.replace(" ", "")

    # 55 s on, the page has fetched the next code by itself; the first one no longer works.
    relative.clock.run_for("00:56")
    second = next_code(relative, first)
    assert relative.url.endswith("/voucher/")
    assert Voucher.objects.filter(expires_at__gt=timezone.now()).count() == 1
    # Offline, the code runs out and the page says so; 刷新 brings a new one once back online.
    relative.route("**/voucher/refresh/", lambda route: route.abort())
    relative.clock.run_for("01:01")
    relative.wait_for_selector("#voucher-expired", state="visible")
    # The failed fetch is told when the browser gives it up, in its own (real) time.
    relative.wait_for_function(
        "() => document.getElementById('voucher-status').textContent.includes('未能获取新码')"
    )
    relative.unroute("**/voucher/refresh/")
    relative.click("#voucher-refresh button")
    code = next_code(relative, second)
    assert not relative.is_visible("#voucher-expired")
    assert scanned(relative) == code.replace(" ", "")
    assert "已显示新的医保码" in relative.inner_text("#voucher-status")

    # The pharmacy's cashier signs in, lands on the cashier page and types the code as read out.
    cashier = opened(new_page, screen, "pharmacy")
    assert cashier.url.endswith("/cashier/")
    seen(cashier, screen, "cashier")
    assert cashier.inner_text("#institution-name") == "康民大药房（中山店）"
    assert cashier.is_checked("#id_category_2")  # 药品, a pharmacy's usual
    assert cashier.locator("input[name=category][value=wellness]").count() == 0
    cashier.fill("#id_amount", "86.50")
    cashier.fill("#id_voucher_code", code)
    cashier.click("main form button:has-text('结算')")
    cashier.wait_for_url("**/cashier/settlements/*/")

    slip = seen(cashier, screen, "cashier-slip")
    settlement = Settlement.objects.get()
    for element, text in [
        ("#slip-title", "康民大药房（中山店）"),
        ("#slip-id", settlement.settlement_id),
        ("#slip-patient", "张**"),
        ("#slip-category", "药品"),
        ("#slip-amount", "¥86.50"),
        ("#slip-paid", "¥86.50"),
        ("#slip-cash", "¥0.00"),
    ]:
        assert cashier.inner_text(element) == text, element
    assert "张德明" not in slip
    assert cashier.is_visible("button:has-text('打印结算单')")
    cashier.emulate_media(media="print")
    assert not cashier.is_visible("header.top")  # printed, the slip is its figures
    assert not cashier.is_visible("button:has-text('打印结算单')")
    cashier.emulate_media(media="screen")
    cashier.click("main a:has-text('下一笔')")
    cashier.wait_for_url("**/cashier/")
    seen(cashier, screen)
    today = row(cashier, settlement.settlement_id).inner_text()
    assert "¥86.50" in today
    assert "已支付" in today

    # The father: his statement, and the notice.
    relative.goto("/")
    relative.click("main a:has-text('我的共济额度')")
    relative.wait_for_url("**/allowances/")
    seen(relative, screen, "my-allowances")
    mine = relative.locator("#my-allowances tbody tr", has_text="张建国").inner_text()
    assert "¥86.50" in mine  # spent
    assert "¥213.50" in mine  # remaining
    spent = relative.locator("#my-settlements tbody tr", has_text="康民大药房（中山店）").inner_text()
    assert "药品" in spent
    assert "¥86.50" in spent
    told = notices(relative, screen, "voucher-relative-notices")
    assert "康民大药房（中山店）" in told
    assert "86.50" in told

    # The son: where his allowance went (institution, category, amount), and his notice.
    authorizer = opened(new_page, screen, son.person.id_number)
    seen(authorizer, screen)
    spending_page = reverse("allowance-spending", args=[father.pk])
    authorizer.click(f"main a[href='{spending_page}']")
    authorizer.wait_for_url(f"**{spending_page}")
    seen(authorizer, screen, "allowance-spending")
    assert authorizer.inner_text("#spent") == "¥86.50"
    assert authorizer.inner_text("#remaining") == "¥213.50"
    listed = row(authorizer, "康民大药房（中山店）").inner_text()
    assert "药品" in listed
    assert "¥86.50" in listed
    told = notices(authorizer, screen, "voucher-authorizer-notices")
    assert "康民大药房（中山店）" in told
    assert "86.50" in told
