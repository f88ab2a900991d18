"""The 医保码 page: a fresh one-time code as a QR code and as digits, the allowances it draws on, its
expiry; the refresh the page's script asks for (a new code, the old one dead); never cached; nothing
for someone without an allowance."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
import zxingcpp
from django.urls import reverse
from django.utils import timezone

from common.errors import ApplicationError
from medical.models import Voucher
from medical.services import Terminal, settlement_create
from medical.services.vouchers import voucher_code_sha256
from tests.factories import BindingFactory, EmployeeFactory, PersonFactory, ResidentFactory, user_for
from tests.pages.cashiers import allowance, institution, settle, signed_in, terminal_user

DIGITS = re.compile(r'id="voucher-digits">([0-9 ]+)<')
QR = re.compile(r'id="voucher-qr" src="(data:image/svg\+xml[^"]+)"')
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def family(db):
    """张伟 (employee, 1,000 yuan) and his father 张德明 (resident), who has 300 yuan of allowance."""
    binding = BindingFactory(
        authorizer=EmployeeFactory(balance_fen=100_000, person=PersonFactory(name="张伟")),
        beneficiary=ResidentFactory(person=PersonFactory(name="张德明")),
    )
    allowance(binding, 30_000)
    return binding


@pytest.fixture
def cashier(db):
    return terminal_user(institution(), "pharmacy-till")


def code_on(page) -> str:
    found = DIGITS.search(page.content.decode())
    assert found, "no code on the page"
    return found.group(1).replace(" ", "")


def pays(cashier, code: str, settlement_id: str):
    return settlement_create(
        terminal=Terminal(user=cashier, institution=cashier.terminal.institution),
        voucher_code=code,
        settlement_id=settlement_id,
        amount_fen=1_000,
        category="drugs",
    )


def test_the_relative_sees_a_fresh_code_as_a_qr_code_and_digits_with_what_it_draws_on(family, cashier):
    client = signed_in(user_for(family.beneficiary.person), "en")

    page = client.get(reverse("voucher"))

    assert page.status_code == 200
    html = page.content.decode()
    shown = DIGITS.search(html).group(1)
    assert re.fullmatch(r"\d{4}( \d{4}){4}", shown)  # 20 digits in groups of four, to read out
    code = shown.replace(" ", "")
    assert Voucher.objects.get().code_sha256 == voucher_code_sha256(code)  # only its hash is kept
    svg = unquote(QR.search(html).group(1).split(",", 1)[1])
    assert "<svg" in svg
    assert 'id="voucher-expires">' in html
    allowances = html[html.index('id="voucher-allowances"') :]
    assert "张伟" in allowances
    assert "¥300.00" in allowances
    # What the cashier scans is what the page says: the QR code holds the same digits, and they pay.
    assert pays(cashier, code, "QR-1").paid_fen == 1_000


def test_a_code_is_never_cached(family):
    client = signed_in(user_for(family.beneficiary.person))

    for response in (
        client.get(reverse("voucher")),
        client.post(reverse("voucher-refresh"), **JSON),
        client.post(reverse("voucher-refresh")),
    ):
        assert "no-store" in response["Cache-Control"]
        assert "private" in response["Cache-Control"]


def test_the_refresh_gives_a_new_code_and_the_old_one_stops_working(family, cashier):
    client = signed_in(user_for(family.beneficiary.person))
    old = code_on(client.get(reverse("voucher")))

    refreshed = client.post(reverse("voucher-refresh"), **JSON)

    assert refreshed.status_code == 200
    assert refreshed["Content-Type"] == "application/json"
    body = refreshed.json()
    new = body["code"]
    assert new != old
    assert re.fullmatch(r"\d{20}", new)
    assert body["code_grouped"].replace(" ", "") == new
    assert body["qr"].startswith("data:image/svg+xml")
    assert body["expires_at"]
    assert body["expires_time"]
    assert (body["refresh_after"], body["valid_seconds"]) == (55, 60)
    with pytest.raises(ApplicationError) as refused:
        pays(cashier, old, "OLD-1")
    assert refused.value.code == "voucher_invalid"
    assert pays(cashier, new, "NEW-1").paid_fen == 1_000


def test_without_a_script_the_refresh_button_shows_the_page_with_a_new_code(family):
    client = signed_in(user_for(family.beneficiary.person))
    old = code_on(client.get(reverse("voucher")))

    page = client.post(reverse("voucher-refresh"))

    assert page.status_code == 200
    new = code_on(page)
    assert new != old
    live = Voucher.objects.filter(expires_at__gt=timezone.now())
    assert list(live.values_list("code_sha256", flat=True)) == [voucher_code_sha256(new)]


def test_the_refresh_takes_post_only(family):
    client = signed_in(user_for(family.beneficiary.person))

    assert client.get(reverse("voucher-refresh")).status_code == 405
    assert not Voucher.objects.exists()


def test_a_person_without_an_allowance_is_told_why_and_gets_no_code(db):
    resident = ResidentFactory()
    BindingFactory(beneficiary=resident)  # bound, but no allowance set
    client = signed_in(user_for(resident.person), "en")

    page = client.get(reverse("voucher"))
    refreshed = client.post(reverse("voucher-refresh"), **JSON)

    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="no-allowance"' in html
    assert "voucher-qr" not in html
    assert "voucher-refresh" not in html
    assert refreshed.status_code == 422
    assert refreshed.json()["error"]["code"] == "no_allowance"
    assert not Voucher.objects.exists()


def test_an_allowance_spent_to_the_end_gives_no_code(family, cashier):
    settle(cashier, family.beneficiary, 30_000)
    client = signed_in(user_for(family.beneficiary.person))

    page = client.get(reverse("voucher"))

    assert 'id="no-allowance"' in page.content.decode()
    assert Voucher.objects.count() == 1  # the one the settlement used


def test_the_authorizer_has_no_code_of_his_own(family):
    client = signed_in(user_for(family.authorizer.person))

    assert 'id="no-allowance"' in client.get(reverse("voucher")).content.decode()
    assert not Voucher.objects.exists()


def test_staff_and_cashiers_find_no_such_page(family, cashier):
    from tests.staff.conftest import staff_user

    for user in (cashier, staff_user("counter_staff", "voucher-clerk")):
        client = signed_in(user)
        assert client.get(reverse("voucher")).status_code == 404
        assert client.post(reverse("voucher-refresh"), **JSON).status_code == 404
    assert not Voucher.objects.exists()


def test_signed_out_the_page_asks_to_sign_in(family):
    from django.test import Client

    response = Client().get(reverse("voucher"))

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_home_page_leads_a_relative_with_an_allowance_to_his_code(family):
    relative = signed_in(user_for(family.beneficiary.person))
    stranger = ResidentFactory()
    BindingFactory(beneficiary=stranger)

    home = relative.get(reverse("home")).content.decode()
    other = signed_in(user_for(stranger.person)).get(reverse("home")).content.decode()

    assert f'href="{reverse("voucher")}"' in home
    assert f'href="{reverse("my-allowances")}"' in home
    assert f'href="{reverse("voucher")}"' not in other
    assert not Voucher.objects.exists()  # the home page issues nothing


def test_the_qr_code_holds_the_digits(family):
    """Decoded as a cashier's scanner reads it (the SVG drawn at its own size, module by module)."""
    client = signed_in(user_for(family.beneficiary.person))
    page = client.get(reverse("voucher"))
    code = code_on(page)
    svg = unquote(QR.search(page.content.decode()).group(1).split(",", 1)[1])

    image = rasterised(svg)

    assert [result.text for result in zxingcpp.read_barcodes(image)] == [code]


def rasterised(svg: str):
    """segno's SVG (one path of horizontal runs, `M x y hN m...`) drawn into a bitmap, 4 px a module."""
    from PIL import Image, ImageDraw

    size = int(re.search(r"width='(\d+)'", svg).group(1)) // 8
    path = re.search(r" d='([^']+)'", svg).group(1)
    image = Image.new("L", (size * 4, size * 4), 255)
    draw = ImageDraw.Draw(image)
    x = y = 0.0
    for command, value in re.findall(r"([Mmh])([-0-9. ]+)", path):
        numbers = [float(n) for n in value.split()]
        if command == "M":
            x, y = numbers
        elif command == "m":
            x, y = x + numbers[0], y + numbers[1]
        else:
            draw.rectangle([x * 4, (y - 0.5) * 4, (x + numbers[0]) * 4 - 1, (y + 0.5) * 4 - 1], fill=0)
            x += numbers[0]
    return image
