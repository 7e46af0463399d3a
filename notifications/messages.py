"""The texts of transactional pushes, in every language of the program.

Placeholders are filled by notifications.texts.render; a member whose language is missing gets
the program's default language, else English.
"""

from __future__ import annotations

from collections.abc import Mapping

from notifications.texts import PushText, localized

CATALOG: dict[str, dict[str, PushText]] = {
    "points_earned": {
        "en": PushText("You earned {points} points", "Thank you! They are on your card now."),
        "fi": PushText("Ansaitsit {points} pistettä", "Kiitos! Pisteet ovat nyt kortillasi."),
        "pl": PushText("Zdobyłeś {points} pkt", "Dziękujemy! Punkty są już na Twojej karcie."),
        "tl": PushText(
            "Nakakuha ka ng {points} puntos", "Salamat! Nasa iyong card na ang mga ito."
        ),
    },
    "tier_up": {
        "en": PushText("Welcome to {tier}!", "You reached the {tier} tier. Enjoy your benefits."),
        "fi": PushText("Tervetuloa tasolle {tier}!", "Olet nyt {tier}-tasolla. Nauti eduista."),
        "pl": PushText("Witamy na poziomie {tier}!", "Osiągnąłeś poziom {tier}. Ciesz się."),
        "tl": PushText(
            "Maligayang pagdating sa {tier}!", "Naabot mo ang {tier} tier. Tamasahin ito."
        ),
    },
    "tier_down": {
        "en": PushText("Your tier is now {tier}", "Earn points to move up again."),
        "fi": PushText("Tasosi on nyt {tier}", "Ansaitse pisteitä noustaksesi taas."),
        "pl": PushText("Twój poziom to teraz {tier}", "Zbieraj punkty, aby znów awansować."),
        "tl": PushText("Ang iyong tier ay {tier} na", "Mangolekta ng puntos para umakyat muli."),
    },
    "challenge_completed": {
        "en": PushText("Challenge completed!", "You completed “{name}”. Well done!"),
        "fi": PushText("Haaste suoritettu!", "Suoritit haasteen ”{name}”. Hienoa!"),
        "pl": PushText("Wyzwanie ukończone!", "Ukończyłeś wyzwanie „{name}”. Brawo!"),
        "tl": PushText("Tapos na ang hamon!", "Natapos mo ang “{name}”. Magaling!"),
    },
    "challenge_completed_plain": {
        "en": PushText("Challenge completed!", "Well done! See what is next in the app."),
        "fi": PushText("Haaste suoritettu!", "Hienoa! Katso sovelluksesta, mitä seuraavaksi."),
        "pl": PushText("Wyzwanie ukończone!", "Brawo! Zobacz w aplikacji, co dalej."),
        "tl": PushText("Tapos na ang hamon!", "Magaling! Tingnan sa app ang susunod."),
    },
    "contest_won": {
        "en": PushText("You won!", "Congratulations, you won “{name}”."),
        "fi": PushText("Voitit!", "Onneksi olkoon, voitit kilpailun ”{name}”."),
        "pl": PushText("Wygrałeś!", "Gratulacje, wygrałeś konkurs „{name}”."),
        "tl": PushText("Nanalo ka!", "Binabati kita, nanalo ka sa “{name}”."),
    },
    "contest_won_plain": {
        "en": PushText("You won!", "Congratulations! Open the app to see your prize."),
        "fi": PushText("Voitit!", "Onneksi olkoon! Katso palkintosi sovelluksesta."),
        "pl": PushText("Wygrałeś!", "Gratulacje! Sprawdź nagrodę w aplikacji."),
        "tl": PushText("Nanalo ka!", "Binabati kita! Buksan ang app para sa premyo."),
    },
    "offer_expiring": {
        "en": PushText("Your offer ends soon", "“{offer}” ends in {hours} h. Use it in time."),
        "fi": PushText("Etusi päättyy pian", "”{offer}” päättyy {hours} tunnin päästä."),
        "pl": PushText("Twoja oferta wkrótce wygasa", "„{offer}” kończy się za {hours} godz."),
        "tl": PushText(
            "Malapit nang matapos ang alok", "Matatapos ang “{offer}” sa loob ng {hours} oras."
        ),
    },
}


def render(
    template: str, language: str, default_language: str, values: Mapping[str, object]
) -> tuple[str, PushText]:
    """(language used, rendered text) of a catalog template for a member."""
    used, text = localized(CATALOG[template], language, default_language)
    return used, text.render(values)
