"""Service rules without HTTP."""

from decimal import Decimal
from types import SimpleNamespace

import pytest

from app.members import cardnumber
from app.purchases.earning import compute


def test_generated_card_numbers_pass_their_own_check():
    numbers = {cardnumber.generate() for _ in range(200)}
    assert len(numbers) == 200
    for number in numbers:
        assert cardnumber.normalize(number) == number


@pytest.mark.parametrize("typo", ["swap", "digit"])
def test_luhn_catches_single_typos(typo):
    number = "7112345678901234"
    number = number[:-1] + cardnumber.luhn_check_digit(number[:-1])
    if typo == "digit":
        bad = number[:5] + str((int(number[5]) + 3) % 10) + number[6:]
    else:
        bad = number[:3] + number[4] + number[3] + number[5:]
        assert bad != number
    with pytest.raises(cardnumber.InvalidCardNumber):
        cardnumber.normalize(bad)


def test_card_number_input_forms():
    number = cardnumber.generate()
    assert cardnumber.normalize(cardnumber.formatted(number)) == number
    assert cardnumber.normalize("-".join(number[i : i + 4] for i in range(0, 16, 4))) == number
    for bad in ["", "abc", number[:-1], number + "0"]:
        with pytest.raises(cardnumber.InvalidCardNumber):
            cardnumber.normalize(bad)


def _rule(kind, multiplier=None, fixed=None, name="r"):
    return SimpleNamespace(kind=kind, multiplier=multiplier, fixed_points=fixed, public_id=name)


def test_earning_rounds_down_and_stacks_rules():
    earned = compute(1999, Decimal("1"), Decimal("1.25"), [])
    assert (earned.base, earned.bonus) == (24, 0)  # 19.99 x 1.25 = 24.98
    double = _rule("multiplier", Decimal("2"), name="double")
    flat = _rule("fixed", fixed=50, name="flat")
    earned = compute(1999, Decimal("1"), Decimal("1.25"), [double, flat])
    assert (earned.base, earned.bonus, earned.total) == (24, 19 + 50, 93)
    assert earned.rules == ["double", "flat"]
    assert compute(99, Decimal("1"), Decimal("1"), []).total == 0
