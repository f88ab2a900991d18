"""A typed name is the roster's whatever the keyboard made of it, and another name is another."""

import pytest

from common.names import same_name


@pytest.mark.parametrize(
    ("roster", "typed"),
    [
        ("Zoë", "Zoe\u0308"),  # composed on the roster, decomposed as typed
        ("买买提·艾力", "买买提•艾力"),
        ("买买提·艾力", "买买提・艾力"),
        ("买买提·艾力", "买买提‧艾力"),
        ("买买提·艾力", "买买提 · 艾力"),
        ("张伟", " 张伟 "),
    ],
)
def test_the_same_name_however_typed(roster, typed):
    assert same_name(roster, typed)


@pytest.mark.parametrize(
    ("roster", "typed"), [("张伟", "张玮"), ("买买提·艾力", "买买提艾力"), ("Zoë", "Zoe")]
)
def test_another_name_is_another(roster, typed):
    assert not same_name(roster, typed)
