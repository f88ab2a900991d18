"""Region names from the shipped GB/T 2260 data: both languages, the fallback, the filter on a page."""

import csv

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation
from factory import Factory

from common.id_numbers import PROVINCE_CODES
from insurees.regions import (
    REGIONS_CSV,
    is_pooling_region_code,
    is_province_code,
    region_name,
    region_names,
)
from tests import factories
from tests.factories import BindingFactory, EmployeeFactory, PledgeFactory, PremiumRateFactory, user_for

KNOWN = [
    ("110000", "北京市", "Beijing"),
    ("210000", "辽宁省", "Liaoning"),
    ("210200", "大连市", "Dalian"),
    ("320000", "江苏省", "Jiangsu"),
    ("320100", "南京市", "Nanjing"),
    ("320500", "苏州市", "Suzhou"),
    ("500000", "重庆市", "Chongqing"),
    ("430100", "长沙市", "Changsha"),
    ("350200", "厦门市", "Xiamen"),
    ("610100", "西安市", "Xi'an"),
    ("610000", "陕西省", "Shaanxi"),
    ("140000", "山西省", "Shanxi"),
    ("211300", "朝阳市", "Chaoyang"),
    ("152200", "兴安盟", "Xing'an League"),
    ("652900", "阿克苏地区", "Akesu Prefecture"),
    ("222400", "延边朝鲜族自治州", "Yanbian Korean Autonomous Prefecture"),
    ("810000", "香港特别行政区", "Hong Kong"),
]


@pytest.mark.parametrize(("code", "zh", "en"), KNOWN)
def test_a_known_code_is_named_in_either_language(code, zh, en):
    assert region_name(code, language="zh-hans") == zh
    assert region_name(code, language="en") == en


def test_the_name_follows_the_active_language():
    with translation.override("zh-hans"):
        assert region_name("210200") == "大连市"
    with translation.override("en"):
        assert region_name("210200") == "Dalian"


@pytest.mark.parametrize("code", ["210202", "990100", "000000", "", "２１０２００", "21020"])
def test_a_code_without_a_name_falls_back_to_the_code(code):
    assert region_name(code, language="zh-hans") == code
    assert region_name(code, language="en") == code


def test_every_pooling_region_of_the_test_factories_has_a_name():
    declared = {
        factory._meta.declarations.get("region_code")
        for factory in vars(factories).values()
        if isinstance(factory, type) and issubclass(factory, Factory)
    }
    constants = {value for value in vars(factories).values() if isinstance(value, str)}
    codes = {
        c
        for c in declared | constants
        if isinstance(c, str) and (is_pooling_region_code(c) or is_province_code(c))
    }

    assert {"210200", "320100", "320500", "320000"} <= codes
    assert {c: region_name(c, language="en") for c in codes if region_name(c, language="en") == c} == {}


def test_the_data_is_every_province_and_only_province_or_city_level_codes():
    with REGIONS_CSV.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    codes = [row["code"] for row in rows]

    assert len(codes) == len(set(codes)) > 340
    assert {int(code[:2]) for code in codes if is_province_code(code)} == PROVINCE_CODES
    assert [
        c for c in codes if not (is_pooling_region_code(c) or is_province_code(c) or c.endswith("9000"))
    ] == []
    assert all(row["name_zh"] and row["name_en"].replace("ü", "u").isascii() for row in rows)
    # Pinyin of the name less its 市, never "Dalianshi" (黄石 is Huangshi by its own syllable).
    suffixed = [
        r for r in rows if r["name_en"].lower().endswith(("shi", " city")) and r["name_zh"] != "黄石市"
    ]
    assert suffixed == []


def test_the_data_is_read_once_per_process():
    assert region_names() is region_names()


def test_the_filter_renders_the_name_in_the_active_language():
    template = Template("{% load regions %}{{ code|region_name }}")

    with translation.override("zh-hans"):
        assert template.render(Context({"code": "210200"})) == "大连市"
    with translation.override("en"):
        assert template.render(Context({"code": "210200"})) == "Dalian"
        assert template.render(Context({"code": "210299"})) == "210299"


def test_the_home_page_names_the_pooling_region(client, db):
    PledgeFactory()
    binding = BindingFactory(authorizer=EmployeeFactory())
    client.force_login(user_for(binding.authorizer.person))

    chinese = client.get(reverse("home")).content.decode()
    english = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "大连市" in chinese
    assert "Dalian" in english
    assert ">210200<" not in chinese


def test_the_premium_api_names_the_region_in_the_request_language(db, api_client):
    from django.utils import timezone

    year = timezone.localdate().year + 1
    PremiumRateFactory(year=year)
    binding = BindingFactory(authorizer=EmployeeFactory(), pledge=PledgeFactory())
    api_client.force_authenticate(user_for(binding.beneficiary.person))

    chinese = api_client.get(f"/api/v1/premiums/{year}/").json()
    english = api_client.get(f"/api/v1/premiums/{year}/", HTTP_ACCEPT_LANGUAGE="en").json()

    assert (chinese["region_code"], chinese["region_name"]) == ("210200", "大连市")
    assert english["region_name"] == "Dalian"
