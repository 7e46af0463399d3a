"""The console's catalogs: every text translated in fi, pl and tl, placeholders kept, and the
committed .mo files (what a fresh clone serves, no build step) compiled from their .po."""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from console.i18n import LANGUAGES, TRANSLATIONS

TRANSLATED = [code for code in LANGUAGES if code != "en"]
PLACEHOLDER = re.compile(r"%\((\w+)\)[-+ #0]*\d*[sdf]|\{\w+\}")


def _po(code: str):
    with open(TRANSLATIONS / code / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=code)


def _template_ids() -> set:
    with open(TRANSLATIONS / "messages.pot", "rb") as f:
        return {m.id for m in read_po(f) if m.id}


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_text_is_translated_with_its_placeholders(code):
    catalog = _po(code)
    assert {m.id for m in catalog if m.id} >= _template_ids()
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        texts = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(texts), (code, message.id)
        wanted = sorted(PLACEHOLDER.findall(ids[-1]))
        for text in texts:
            assert sorted(PLACEHOLDER.findall(text)) == wanted, (code, message.id, text)


@pytest.mark.parametrize("code", TRANSLATED)
def test_the_committed_mo_is_the_compiled_po(code):
    compiled = BytesIO()
    write_mo(compiled, _po(code))
    compiled.seek(0)
    with open(TRANSLATIONS / code / "LC_MESSAGES" / "messages.mo", "rb") as f:
        committed = read_mo(f)
    expected = read_mo(compiled)
    assert _messages(committed) == _messages(expected)


def _messages(catalog) -> dict:
    def frozen(value):
        return tuple(value) if isinstance(value, list | tuple) else value

    return {frozen(m.id): frozen(m.string) for m in catalog if m.id}
