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
    "referral_joined": {
        "en": PushText(
            "A friend joined!", "They used your code. Their first purchase earns you both."
        ),
        "fi": PushText(
            "Ystäväsi liittyi!",
            "Hän käytti koodiasi. Hänen ensimmäinen ostoksensa palkitsee teidät.",
        ),
        "pl": PushText(
            "Znajomy dołączył!", "Użył Twojego kodu. Jego pierwszy zakup nagrodzi was oboje."
        ),
        "tl": PushText(
            "May kaibigang sumali!",
            "Ginamit niya ang code mo. Gagantimpalaan kayo sa una niyang bili.",
        ),
    },
    "referral_rewarded": {
        "en": PushText("Your referral reward is here", "{points} points for bringing a friend."),
        "fi": PushText("Suosittelupalkkiosi on täällä", "{points} pistettä ystävän tuomisesta."),
        "pl": PushText("Nagroda za polecenie", "{points} pkt za przyprowadzenie znajomego."),
        "tl": PushText("Narito ang gantimpala mo", "{points} puntos sa pagdadala ng kaibigan."),
    },
    "referral_reward_granted": {
        "en": PushText("Your referral reward is here", "Thank you for bringing a friend."),
        "fi": PushText("Suosittelupalkkiosi on täällä", "Kiitos, että toit ystävän."),
        "pl": PushText("Nagroda za polecenie", "Dziękujemy za przyprowadzenie znajomego."),
        "tl": PushText("Narito ang gantimpala mo", "Salamat sa pagdadala ng kaibigan."),
    },
    "survey_invitation": {
        "en": PushText("How was your visit to {store}?", "Answer “{name}” and earn points."),
        "fi": PushText(
            "Millainen oli käyntisi: {store}?", "Vastaa kyselyyn ”{name}” ja ansaitse pisteitä."
        ),
        "pl": PushText(
            "Jak minęła wizyta w {store}?", "Wypełnij ankietę „{name}” i zdobądź punkty."
        ),
        "tl": PushText(
            "Kumusta ang pagbisita mo sa {store}?", "Sagutin ang “{name}” at kumita ng puntos."
        ),
    },
    "survey_invitation_plain": {
        "en": PushText("How was your visit?", "Tell us in a short survey and earn points."),
        "fi": PushText("Millainen oli käyntisi?", "Kerro lyhyessä kyselyssä ja ansaitse pisteitä."),
        "pl": PushText("Jak minęła wizyta?", "Powiedz nam w krótkiej ankiecie i zdobądź punkty."),
        "tl": PushText(
            "Kumusta ang pagbisita mo?", "Sabihin sa maikling survey at kumita ng puntos."
        ),
    },
    "poll_winner": {
        "en": PushText("The vote is in!", "“{winner}” won “{name}”. Thank you for voting."),
        "fi": PushText(
            "Äänestys ratkesi!", "”{winner}” voitti äänestyksen ”{name}”. Kiitos äänestäsi."
        ),
        "pl": PushText(
            "Mamy wyniki!", "„{winner}” wygrywa głosowanie „{name}”. Dziękujemy za głos."
        ),
        "tl": PushText(
            "May resulta na!", "Nanalo ang “{winner}” sa “{name}”. Salamat sa iyong boto."
        ),
    },
    "poll_winner_plain": {
        "en": PushText("The vote is in!", "See the winner in the app. Thank you for voting."),
        "fi": PushText("Äänestys ratkesi!", "Katso voittaja sovelluksesta. Kiitos äänestäsi."),
        "pl": PushText("Mamy wyniki!", "Zobacz zwycięzcę w aplikacji. Dziękujemy za głos."),
        "tl": PushText("May resulta na!", "Tingnan ang nanalo sa app. Salamat sa iyong boto."),
    },
    "waitlist_promoted": {
        "en": PushText("You got a seat!", "A seat freed up for “{name}”: it is yours."),
        "fi": PushText("Sait paikan!", "Tapahtumasta ”{name}” vapautui paikka: se on sinun."),
        "pl": PushText("Masz miejsce!", "Zwolniło się miejsce na „{name}”: jest Twoje."),
        "tl": PushText("May upuan ka na!", "May nabakanteng upuan sa “{name}”: sa iyo na ito."),
    },
    "waitlist_promoted_plain": {
        "en": PushText("You got a seat!", "A seat freed up: see your ticket in the app."),
        "fi": PushText("Sait paikan!", "Paikka vapautui: katso lippusi sovelluksesta."),
        "pl": PushText("Masz miejsce!", "Zwolniło się miejsce: bilet czeka w aplikacji."),
        "tl": PushText("May upuan ka na!", "May nabakanteng upuan: tingnan ang tiket sa app."),
    },
}


def render(
    template: str, language: str, default_language: str, values: Mapping[str, object]
) -> tuple[str, PushText]:
    """(language used, rendered text) of a catalog template for a member."""
    used, text = localized(CATALOG[template], language, default_language)
    return used, text.render(values)
