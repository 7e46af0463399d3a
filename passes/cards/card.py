"""The plain data a wallet card is built from, shared by the Apple and Google builders.

The Flask side fills these from the program and member rows; the builders never see a model,
so they stay testable without a database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

DEFAULT_LANGUAGES: tuple[str, ...] = ("en", "fi", "pl", "tl")


@dataclass(frozen=True)
class TierStyle:
    """How one tier looks: colours as #rrggbb, texts by language code."""

    code: str
    names: Mapping[str, str]
    privileges: Mapping[str, str]
    background_color: str
    foreground_color: str = "#ffffff"
    label_color: str = "#dddddd"


@dataclass(frozen=True)
class ProgramInfo:
    """The program a card belongs to. The first language is the default one."""

    name: str
    organization_name: str
    tiers: Mapping[str, TierStyle]
    terms: Mapping[str, str]
    languages: tuple[str, ...] = DEFAULT_LANGUAGES
    brand_color: str = "#1e3a5f"
    # Google Wallet fetches images itself, so these must be public https URLs.
    logo_url: str | None = None
    homepage_url: str | None = None

    @property
    def default_language(self) -> str:
        return self.languages[0]

    def tier(self, code: str) -> TierStyle:
        try:
            return self.tiers[code]
        except KeyError:
            raise ValueError(f"program {self.name!r} has no tier {code!r}") from None


@dataclass(frozen=True)
class MemberCard:
    """One member's card. serial_number is the pass's opaque id, not a row number."""

    serial_number: str
    member_name: str
    card_number: str
    tier: str
    points_available: int
    points_pending: int = 0
    authentication_token: str | None = None
    expires_at: datetime | None = None
    voided: bool = False


def default_program(name: str = "Lumo Rewards", organization: str = "Lumo") -> ProgramInfo:
    """A complete program with the three standard tiers, for development and tests."""
    tiers = {
        "silver": TierStyle(
            code="silver",
            names={"en": "Silver", "fi": "Hopea", "pl": "Srebrny", "tl": "Pilak"},
            privileges={
                "en": "1 point per euro. Birthday bonus.",
                "fi": "1 piste per euro. Syntymäpäiväbonus.",
                "pl": "1 punkt za każde euro. Bonus urodzinowy.",
                "tl": "1 puntos bawat euro. Bonus sa kaarawan.",
            },
            background_color="#5b6770",
        ),
        "gold": TierStyle(
            code="gold",
            names={"en": "Gold", "fi": "Kulta", "pl": "Złoty", "tl": "Ginto"},
            privileges={
                "en": "1.5 points per euro. Free delivery.",
                "fi": "1,5 pistettä per euro. Ilmainen toimitus.",
                "pl": "1,5 punktu za każde euro. Darmowa dostawa.",
                "tl": "1.5 puntos bawat euro. Libreng delivery.",
            },
            background_color="#8a6d1d",
        ),
        "platinum": TierStyle(
            code="platinum",
            names={"en": "Platinum", "fi": "Platina", "pl": "Platynowy", "tl": "Platinum"},
            privileges={
                "en": "2 points per euro. Free delivery. Early access to offers.",
                "fi": "2 pistettä per euro. Ilmainen toimitus. Tarjoukset ensimmäisenä.",
                "pl": "2 punkty za każde euro. Darmowa dostawa. Wcześniejszy dostęp do ofert.",
                "tl": "2 puntos bawat euro. Libreng delivery. Maagang access sa mga alok.",
            },
            background_color="#2f3640",
        ),
    }
    return ProgramInfo(
        name=name,
        organization_name=organization,
        tiers=tiers,
        terms={
            "en": "Points are valid for 24 months. Full terms at the program's website.",
            "fi": "Pisteet ovat voimassa 24 kuukautta. Täydet ehdot ohjelman verkkosivuilla.",
            "pl": "Punkty są ważne 24 miesiące. Pełny regulamin na stronie programu.",
            "tl": "Ang mga puntos ay valid sa loob ng 24 na buwan. Buong tuntunin sa website.",
        },
    )
