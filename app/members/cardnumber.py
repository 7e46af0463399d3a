"""Card numbers people can type: 16 digits, the last a Luhn check digit that catches typos."""

from __future__ import annotations

import re
import secrets

PREFIX = "71"
LENGTH = 16
_SEPARATORS = re.compile(r"[\s-]")


def luhn_check_digit(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def generate() -> str:
    body = PREFIX + "".join(str(secrets.randbelow(10)) for _ in range(LENGTH - len(PREFIX) - 1))
    return body + luhn_check_digit(body)


class InvalidCardNumber(ValueError):
    pass


def normalize(raw: str) -> str:
    """Digits only; raises InvalidCardNumber for a wrong length, letters or a bad check digit."""
    digits = _SEPARATORS.sub("", raw or "")
    # isascii: str.isdigit() also accepts digits like "²" that int() refuses.
    if not (digits.isascii() and digits.isdigit()) or len(digits) != LENGTH:
        raise InvalidCardNumber("a card number has 16 digits")
    if luhn_check_digit(digits[:-1]) != digits[-1]:
        raise InvalidCardNumber("the card number's check digit is wrong")
    return digits


def formatted(card_number: str) -> str:
    return " ".join(card_number[i : i + 4] for i in range(0, len(card_number), 4))
