"""Amounts as people and clients write them (medical.amounts): what is read as how many fen, and what is
no amount at all. A comma that could be a decimal comma is refused, never read as a thousands one: "3,00"
taken for 300 yuan would pay a hundred times the bill."""

import pytest

from common.errors import ApplicationError
from medical.amounts import amount_fen_from, settlement_amount_fen_from, statement_amount_fen_from


@pytest.mark.parametrize(
    ("written", "fen"),
    [
        ("300", 30_000),
        ("300.5", 30_050),
        ("300.05", 30_005),
        (" 300.00 ", 30_000),
        ("¥300.00", 30_000),
        ("1,000.50", 100_050),
        ("1,234,567", 123_456_700),
        ("３００．００", 30_000),  # a Chinese keyboard's full-width digits
        ("１，０００", 100_000),
        ("￥５０．５", 5_050),
        (300, 30_000),
    ],
)
def test_what_is_read_as_an_amount(written, fen):
    assert amount_fen_from(written) == fen


@pytest.mark.parametrize(
    "written",
    [
        "3,00",
        "1,50",
        "1,0,0",
        "10,00.00",
        ",100",
        "100,",
        "1_00",
        "٣٠٠",  # Arabic-Indic digits: digits to Decimal, to no one here
        "5²",  # NFKC would read 52
        "①②",
        "1⁰⁰",
        "𝟓𝟎.00",
        "+300",
        "300.",
        ".5",
        "300.001",
        "3e2",
        "NaN",
        "Infinity",
        "",
        " ",
        "¥",
        "三百",
        True,
        300.0,
        None,
        ["300"],
    ],
)
def test_what_is_no_amount(written):
    with pytest.raises(ApplicationError) as error:
        amount_fen_from(written)
    assert error.value.code == "invalid_input"


def test_a_bill_is_above_zero_and_a_statements_net_may_be_below():
    with pytest.raises(ApplicationError):
        settlement_amount_fen_from("-1.00")
    assert statement_amount_fen_from("-1,200.50") == -120_050
    assert statement_amount_fen_from("0") == 0
