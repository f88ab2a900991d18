from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from common.money import fen_to_chinese_capitals, fen_to_yuan, format_yuan, yuan_to_fen


@pytest.mark.parametrize(
    ("fen", "capitals"),
    [
        (0, "人民币零元整"),
        (1, "人民币壹分"),
        (10, "人民币壹角整"),
        (40_000, "人民币肆佰元整"),
        (42_050, "人民币肆佰贰拾元伍角整"),
        (100_100, "人民币壹仟零壹元整"),
        (1_005, "人民币壹拾元零伍分"),
        (100_000_000, "人民币壹佰万元整"),
        (1_000_100, "人民币壹万零壹元整"),
        (10_100_000, "人民币壹拾万壹仟元整"),
        (12_345_678_901, "人民币壹亿贰仟叁佰肆拾伍万陆仟柒佰捌拾玖元零壹分"),
    ],
)
def test_amounts_in_chinese_capitals(fen, capitals):
    assert fen_to_chinese_capitals(fen) == capitals


@given(st.integers(min_value=0, max_value=10**15))
def test_fen_and_yuan_round_trip_exactly(fen):
    assert yuan_to_fen(fen_to_yuan(fen)) == fen


@pytest.mark.parametrize("bad", ["1.234", "abc", "NaN", "Infinity", ""])
def test_yuan_with_fractions_of_a_fen_or_not_numbers_are_refused(bad):
    with pytest.raises(ValueError, match="amount|decimals"):
        yuan_to_fen(bad)


def test_format_yuan_has_two_places_and_thousands():
    assert format_yuan(860_000) == "8,600.00"
    assert fen_to_yuan(5) == Decimal("0.05")
