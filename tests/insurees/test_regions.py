import pytest
from django.core.exceptions import ValidationError

from insurees.regions import (
    is_pooling_region_code,
    is_province_code,
    validate_policy_region_code,
    validate_pooling_region_code,
)
from insurees.selectors import province_code

# code, a pooling region?, a province?
TABLE = [
    ("210200", True, False),  # Dalian
    ("320100", True, False),  # Nanjing
    ("320500", True, False),  # Suzhou
    ("110000", True, True),  # Beijing: a municipality pools at its own level
    ("120000", True, True),  # Tianjin
    ("310000", True, True),  # Shanghai
    ("500000", True, True),  # Chongqing
    ("320000", False, True),  # Jiangsu: a province, not a pooling region
    ("210000", False, True),  # Liaoning
    ("210202", False, False),  # a district, not a city
    ("320101", False, False),
    ("990100", False, False),  # no province 99
    ("000000", False, False),
    ("21020", False, False),  # five digits
    ("2102000", False, False),  # seven digits
    ("21O200", False, False),  # a letter O
    ("２１０２００", False, False),  # full-width digits
    ("210200\n", False, False),
    ("", False, False),
]


@pytest.mark.parametrize(("code", "pooling", "province"), TABLE)
def test_region_codes_are_classified_as_pooling_regions_and_provinces(code, pooling, province):
    assert is_pooling_region_code(code) is pooling
    assert is_province_code(code) is province


@pytest.mark.parametrize(("code", "pooling", "province"), TABLE)
def test_a_pooling_region_validates_for_insurees_and_either_kind_for_policies(code, pooling, province):
    if pooling:
        validate_pooling_region_code(code)
    else:
        with pytest.raises(ValidationError) as raised:
            validate_pooling_region_code(code)
        assert raised.value.code == "invalid_region_code"

    if pooling or province:
        validate_policy_region_code(code)
    else:
        with pytest.raises(ValidationError) as raised:
            validate_policy_region_code(code)
        assert raised.value.code == "invalid_region_code"


@pytest.mark.parametrize(
    ("code", "province"), [("210200", "210000"), ("320500", "320000"), ("110000", "110000")]
)
def test_a_regions_province_is_its_first_two_digits_and_four_zeros(code, province):
    assert province_code(code) == province
    assert is_province_code(province_code(code))
