"""Update tags and Last-Modified, the rules Wallet's caching relies on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from passes.apple.tags import next_modified, read_tag

NOW = datetime(2026, 3, 4, 5, 6, 7, 890000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("sent", "tag"),
    [
        ("0", 0),
        ("42", 42),
        ("9" * 18, 10**18 - 1),
        (None, None),
        ("", None),
        ("9" * 19, None),  # past the BIGINT column
        ("-5", None),
        ("1e9", None),
        (" 7", None),
        ("²", None),  # a digit to str.isdigit(), not to us
        ("٣", None),
    ],
)
def test_a_tag_is_ascii_digits_we_could_have_given(sent, tag):
    assert read_tag(sent) == tag


def test_last_modified_is_whole_seconds_and_always_later():
    assert next_modified(None, NOW) == NOW.replace(microsecond=0)
    earlier = NOW - timedelta(minutes=1)
    assert next_modified(earlier, NOW) == NOW.replace(microsecond=0)
    # Twice within one second, or with a clock that went back: one second later than the last.
    same_second = NOW.replace(microsecond=0)
    assert next_modified(same_second, NOW) == same_second + timedelta(seconds=1)
    ahead = NOW + timedelta(seconds=5)
    assert next_modified(ahead, NOW) == ahead.replace(microsecond=0) + timedelta(seconds=1)
