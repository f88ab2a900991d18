"""What counter staff and auditors read: Chinese punctuation where the page is Chinese (and English
punctuation in English), a question asked once, a help text tied to its field, no raw codes, a region
filter by name, and the admin's model names in Chinese."""

import re

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from insurees.models import Enrollment
from payments.services import Actor
from tests.factories import BindingFactory, EmployeeFactory, PremiumRateFactory, ResidentFactory, UserFactory
from tests.payments.paying import payment_create_for_relative
from tests.staff.test_counter_pages import at_counter


@pytest.fixture
def paid(world, year):
    return payment_create_for_relative(
        authorizer=world.authorizer,
        beneficiary=world.beneficiary,
        year=year,
        actor=Actor(user=UserFactory(), idempotency_key="wording"),
    )


def visible_text(body: str) -> str:
    """The page as read: tags and comments gone, whitespace folded."""
    body = re.sub(r"<(script|style)\b.*?</\1>", "", body, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def region_options(body: str) -> dict[str, str]:
    select = re.search(r'<select name="region"[^>]*>(.*?)</select>', body, re.S)
    assert select, "the region filter is a select"
    return dict(re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select.group(1)))


def test_the_person_page_uses_chinese_colons_and_english_ones_in_english(client, clerk, world):
    person = world.authorizer.person
    at_counter(client, clerk, counter="A03", person=person)

    chinese = visible_text(client.get(reverse("staff:person")).content.decode())
    client.cookies["django_language"] = "en"
    english = visible_text(client.get(reverse("staff:person")).content.decode())

    assert "经办窗口：A03" in chinese
    assert f"电话：{person.phone or '—'}" in chinese
    assert "经办窗口:" not in chinese
    assert "电话:" not in chinese
    assert "大连市（210200）" in chinese
    assert "Counter: A03" in english
    assert "Dalian (210200)" in english


def test_the_refund_page_asks_why_once_and_names_the_account_without_spaces(client, supervisor, paid):
    at_counter(client, supervisor, counter="A03")

    body = client.get(reverse("staff:refund", args=[paid.pk])).content.decode()
    text = visible_text(body)

    assert text.count("为什么退费？") == 1
    assert re.search(r"<legend>\s*<h2 id=\"reason-title\">为什么退费？</h2>\s*</legend>", body)
    assert "经办窗口：A03" in text
    assert f"{paid.authorizer.person.name}的个人账户（原扣款账户）" in text


def test_the_lookup_help_text_describes_the_id_number_field(client, clerk):
    at_counter(client, clerk, counter="A03")

    body = client.get(reverse("staff:home")).content.decode()

    field = re.search(r'<input[^>]*id="id_id_number"[^>]*>', body)
    assert field
    described = re.search(r'aria-describedby="([^"]+)"', field.group(0))
    assert described, "the ID number field is described by its help text"
    [help_id] = described.group(1).split()
    assert re.search(rf'id="{help_id}">完整身份证号仅在经办窗口显示', body)


def test_the_reconciliation_shows_the_description_without_the_raw_code(client, auditor, paid):
    Enrollment.objects.filter(payment_id=paid.pk).update(paid=False, payment_id=None)
    client.force_login(auditor)

    body = client.get(reverse("staff:reconciliation"), {"date": timezone.localdate().isoformat()}).content
    text = visible_text(body.decode())

    assert "缴费已成功，但参保登记未标记为已缴费。" in text
    assert "enrollment_not_synced" not in text


@pytest.fixture
def two_regions(world, year):
    """Payments in Dalian (210200) and Suzhou (320500); Nanjing (320100) has a rate but no payment."""
    PremiumRateFactory(year=year, region_code="320500")
    PremiumRateFactory(year=year, region_code="320100")
    binding = BindingFactory(
        authorizer=EmployeeFactory(region_code="320500"), beneficiary=ResidentFactory(region_code="320500")
    )
    return [
        payment_create_for_relative(
            authorizer=b.authorizer,
            beneficiary=b.beneficiary,
            year=year,
            actor=Actor(user=UserFactory(), idempotency_key=f"region-{b.pk}"),
        )
        for b in (world, binding)
    ]


def test_the_region_filter_lists_the_deployments_regions_by_name(client, auditor, two_regions):
    client.force_login(auditor)

    body = client.get(reverse("staff:review")).content.decode()

    assert '<select name="region"' in body
    assert region_options(body) == {
        "": "全部地区",
        "210000": "辽宁省（全省）",
        "210200": "大连市",
        "320000": "江苏省（全省）",
        "320100": "南京市",
        "320500": "苏州市",
    }


@pytest.mark.parametrize(("region", "shown"), [("320500", 1), ("320000", 1), ("210200", 1), ("", 2)])
def test_a_region_chosen_filters_the_figures_and_keeps_its_code_in_the_csv_link(
    client, auditor, two_regions, region, shown
):
    client.force_login(auditor)

    body = client.get(reverse("staff:review"), {"region": region}).content.decode()

    assert re.search(rf'id="total-payments">{shown}<', body)
    if region:
        assert re.search(rf'<option value="{region}" selected>', body)
        assert f"region={region}&amp;format=csv" in body


def test_a_valid_region_without_a_rate_still_works_from_an_old_link(client, auditor, two_regions):
    client.force_login(auditor)

    body = client.get(reverse("staff:review"), {"region": "110000"}).content.decode()

    assert re.search(r'id="total-payments">0<', body)
    assert region_options(body)["110000"] == "北京市"


def test_an_invalid_region_code_shows_the_error_and_no_data(client, auditor, two_regions):
    client.force_login(auditor)

    response = client.get(reverse("staff:review"), {"region": "999999"})
    body = response.content.decode()

    assert response.status_code == 400
    assert "请从列表中选择地区。" in body
    assert 'id="total-payments"' not in body
    assert two_regions[0].reference not in body


@pytest.mark.django_db
def test_the_admin_names_every_payments_model_in_chinese(client):
    client.force_login(User.objects.create_superuser("root", "root@example.com", "x"))

    body = client.get(reverse("admin:index")).content.decode()
    [section] = re.findall(r"<caption>\s*<a[^>]*>个账缴费</a>\s*</caption>(.*?)</table>", body, re.S)
    rows = re.findall(r'<th scope="row"[^>]*>(.*?)</th>', section, re.S)
    names = [re.sub(r"<[^>]+>", "", row).strip() for row in rows]

    assert names == ["幂等键", "待发消息", "缴费记录"]
    assert not re.search(r"[A-Za-z]{3,}", " ".join(names))
