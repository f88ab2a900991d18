import datetime

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from common.id_numbers import (
    PROVINCE_CODES,
    check_character,
    make_id_number,
    normalize_id_number,
    parse_id_number,
)

valid_numbers = st.builds(
    make_id_number,
    region=st.builds(
        lambda province, rest: f"{province:02d}{rest:04d}",
        st.sampled_from(sorted(PROVINCE_CODES)),
        st.integers(1, 9999),
    ),
    birth_date=st.dates(datetime.date(1900, 1, 1), datetime.date(2024, 12, 31)),
    sequence=st.integers(0, 499),
    sex=st.sampled_from(["M", "F"]),
)


@given(valid_numbers)
def test_every_generated_valid_number_passes_and_tells_its_birth_date_and_sex(number):
    facts = parse_id_number(number)

    assert facts.birth_date.strftime("%Y%m%d") == number[6:14]
    assert facts.sex == ("M" if int(number[16]) % 2 else "F")


@given(valid_numbers, st.integers(0, 17), st.sampled_from("0123456789X"))
def test_every_single_character_change_fails(number, position, replacement):
    # MOD 11-2 weights are all non-zero and coprime with 11, so one changed character always
    # changes the checksum: no single substitution can produce another valid number.
    if number[position] == replacement:
        replacement = "1" if replacement != "1" else "2"
    changed = number[:position] + replacement + number[position + 1 :]

    with pytest.raises(ValidationError) as raised:
        parse_id_number(changed)
    assert raised.value.code == "invalid_id_number"


@pytest.mark.parametrize(
    "number",
    [
        "",
        "21020219780512023",  # 17 characters
        "2102021978051202321",  # 19 characters
        "21020219780512023A",  # a letter other than X
        "99020219780512023X",  # no such province
        "210202197802300232",  # 30 February
        "210202189901010232",  # born before 1900
        "210202299901010232",  # born in the future
    ],
)
def test_malformed_numbers_are_refused(number):
    with pytest.raises(ValidationError):
        parse_id_number(number)


def test_lowercase_x_is_accepted_as_the_check_character():
    first_17 = "11010519491231002"
    assert check_character(first_17) == "X"

    assert parse_id_number(first_17 + "x").sex == "F"


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_the_check_character_is_iso_7064_mod_11_2(first_17):
    weights = [2 ** (17 - i) % 11 for i in range(17)]  # the standard's weights, derived, not copied
    total = sum(int(digit) * weight for digit, weight in zip(first_17, weights, strict=True))

    assert check_character(first_17) == "10X98765432"[total % 11]


@pytest.mark.parametrize(
    "first_17",
    [
        "1101051949010112",  # 16 digits
        "110105194901011234",  # 18
        "1101051949010112X",  # 17 characters, one not a digit
        "\u0661" * 17,  # 17 digits, not ASCII ones
    ],
)
def test_the_check_character_wants_seventeen_ascii_digits(first_17):
    with pytest.raises(ValueError, match="17 digits"):
        check_character(first_17)


# How people type a number: full-width digits (an IME left in full-width mode), spaces or hyphens
# between the groups (region, birth date, sequence and check), a lower-case or full-width x.
FULL_WIDTH = {str(digit): chr(0xFF10 + digit) for digit in range(10)} | {"X": "Ｘ"}
separators = st.sampled_from([" ", "  ", "-", "\u3000", "\u00a0", "－", "–", "\t"])


@st.composite
def typed_as_people_do(draw, number):
    characters = [(FULL_WIDTH[char] if draw(st.booleans()) else char) for char in number]
    if characters[17] in ("X", "Ｘ") and draw(st.booleans()):
        characters[17] = draw(st.sampled_from(["x", "ｘ"]))
    typed = ""
    for position, char in enumerate(characters):
        if position in (6, 14, 17) or draw(st.integers(0, 9)) == 0:  # groups, and now and then anywhere
            typed += draw(st.sampled_from(["", draw(separators)]))
        typed += char
    return draw(st.sampled_from(["", " "])) + typed + draw(st.sampled_from(["", " ", "\n"]))


valid_numbers_with_x = st.one_of(valid_numbers, st.just("11010519491231002X"))


@given(st.data(), valid_numbers_with_x)
def test_a_number_typed_with_separators_or_full_width_digits_is_the_plain_number(data, number):
    typed = data.draw(typed_as_people_do(number))

    assert normalize_id_number(typed) == number
    assert parse_id_number(typed) == parse_id_number(number)


@given(st.data(), valid_numbers, st.integers(0, 17))
def test_a_wrong_number_stays_wrong_however_it_is_typed(data, number, position):
    wrong = number[:position] + ("1" if number[position] != "1" else "2") + number[position + 1 :]
    typed = data.draw(typed_as_people_do(wrong))

    with pytest.raises(ValidationError) as plain:
        parse_id_number(wrong)
    with pytest.raises(ValidationError) as as_typed:
        parse_id_number(typed)
    assert as_typed.value.messages == plain.value.messages


@pytest.mark.parametrize(
    "typed",
    [
        "\u202e210202197805120232",  # a direction override is not a separator
        "210202.19780512.0232",  # nor is a full stop
        "\u0662\u0661\u0660\u0662\u0660\u0662197805120232",  # digits of another script
        "21020219780512023２２",  # 19 digits once normalised
        "210202197805120232\u200b",  # a zero-width space
    ],
)
def test_only_separators_and_full_width_forms_are_normalised(typed):
    with pytest.raises(ValidationError):
        parse_id_number(typed)


def test_the_plain_number_is_normalised_to_itself_in_upper_case():
    assert normalize_id_number("11010519491231002x") == "11010519491231002X"
    assert normalize_id_number("110105194912310029") == "110105194912310029"
