"""IIN validation: examples worked by hand, every way to be wrong, and properties."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from tirek.people.iin import (
    FEMALE,
    MALE,
    check_digit,
    iin_birth_date,
    iin_sex,
    is_valid_iin,
    make_iin,
    validate_iin,
)

# 900515 3 0012 ?: weights 1..11 over 9,0,0,5,1,5,3,0,0,1,2 give
# 9+0+0+20+5+30+21+0+0+10+22 = 117; 117 mod 11 = 7.
GOOD_FIRST_PASS = "900515300127"
# 010315 4 0010 ?: weights 1..11 give 2+12+5+30+28+10 = 87 = 10 (mod 11), so the second
# weights 3..11,1,2 apply: 4+18+7+40+36+1 = 106 = 7 (mod 11).
GOOD_SECOND_PASS = "010315400107"
# 010315 4 0017: first pass 87+77 = 164 = 10, second 106+14 = 120 = 10: no IIN exists.
NO_CHECK_DIGIT = "01031540017"


def _code(value):
    with pytest.raises(ValidationError) as info:
        validate_iin(value)
    return info.value.code


def test_hand_computed_iins_validate():
    validate_iin(GOOD_FIRST_PASS)
    validate_iin(GOOD_SECOND_PASS)
    assert iin_birth_date(GOOD_FIRST_PASS) == dt.date(1990, 5, 15)
    assert iin_sex(GOOD_FIRST_PASS) == MALE
    assert iin_birth_date(GOOD_SECOND_PASS) == dt.date(1901, 3, 15)
    assert iin_sex(GOOD_SECOND_PASS) == FEMALE


def test_check_digit_second_pass_and_impossible():
    assert check_digit(GOOD_SECOND_PASS[:11]) == 7
    assert check_digit(NO_CHECK_DIGIT) is None
    for last in "0123456789":
        assert not is_valid_iin(NO_CHECK_DIGIT + last)


def test_bad_check_digit():
    assert _code("900515300128") == "iin_check_digit"


def test_bad_date():
    # 30 February 1990, with a correct check digit for those digits, is still refused.
    first11 = "9002303" + "0012"
    iin = first11 + str(check_digit(first11))
    assert _code(iin) == "iin_date"
    assert iin_birth_date(iin) is None


def test_wrong_length_and_letters():
    assert _code("90051530012") == "iin_length"
    assert _code("9005153001271") == "iin_length"
    assert _code("90051530012A") == "iin_not_digits"
    full_width = "".join(chr(0xFF10 + int(c)) for c in GOOD_FIRST_PASS)
    assert _code(full_width) == "iin_not_digits"
    assert _code("") == "iin_not_digits"


def test_century_digit_zero_and_out_of_range():
    for digit in "0789":
        first11 = "900515" + digit + "0012"
        last = check_digit(first11)
        assert _code(first11 + str(last if last is not None else 0)) == "iin_century"


def test_message_is_readable():
    with pytest.raises(ValidationError) as info:
        validate_iin("12345")
    assert "12" in info.value.messages[0] and "5" in info.value.messages[0]


def test_make_iin_skips_serials_without_check_digit():
    assert make_iin(dt.date(1901, 3, 15), FEMALE, 17).startswith("01031540018")
    with pytest.raises(ValueError):
        make_iin(dt.date(1790, 1, 1), MALE, 1)


dates = st.dates(min_value=dt.date(1800, 1, 1), max_value=dt.date(2099, 12, 31))


@given(born=dates, sex=st.sampled_from([MALE, FEMALE]), serial=st.integers(0, 9999))
def test_every_made_iin_validates(born, sex, serial):
    iin = make_iin(born, sex, serial)
    validate_iin(iin)
    assert iin_birth_date(iin) == born
    assert iin_sex(iin) == sex


@given(
    born=dates,
    sex=st.sampled_from([MALE, FEMALE]),
    serial=st.integers(0, 9999),
    position=st.sampled_from([0, 1, 2, 3, 4, 5, 6, 11]),
    delta=st.integers(1, 9),
)
def test_one_changed_digit_is_caught_or_changes_birth(born, sex, serial, position, delta):
    """A typo in the date, the century/sex digit or the check digit never yields a valid IIN
    of the same birth date and sex."""
    iin = make_iin(born, sex, serial)
    digits = list(iin)
    digits[position] = str((int(digits[position]) + delta) % 10)
    changed = "".join(digits)
    assert not is_valid_iin(changed) or iin_birth_date(changed) != born or iin_sex(changed) != sex


def test_serial_typos_are_not_always_caught():
    """The scheme's known limit, stated so nobody relies on more: the 11th digit has weight 11
    (= 0 mod 11) in the first pass, so changing it alone keeps the IIN valid; digits 8-10 slip
    through in about 3% of cases, when the change sends the sum to the second pass. Such a typo
    gives another valid IIN (another person's), which no check digit can tell apart."""
    assert is_valid_iin(GOOD_FIRST_PASS)
    changed = GOOD_FIRST_PASS[:10] + "3" + GOOD_FIRST_PASS[11]
    assert changed != GOOD_FIRST_PASS and is_valid_iin(changed)
