"""The operators' console and the till screen, in a browser, at /console.

Server-rendered Jinja2 pages with htmx for the parts that change in place (a member search as
one types, a segment's count as its criteria change, a till's answer). One folder per area,
each a plain Flask blueprint (`views.py`) with its Flask-WTF forms (`forms.py`):

- ``auth/``: logging in and out with a session cookie, the operator's language;
- ``dashboard/``: liability, members, activity and the latest campaigns, as SVG charts with
  their tables (``figures``: from the analytics reports when that package is on);
- ``members/``: search, a member's profile, tier and ledger, adjust, end, erase, export;
- ``program/``: the program's settings, tiers, regions and stores (the pilot rollout),
  rewards and earning rules;
- ``segments/``, ``offers/``, ``campaigns/``, ``games/``, ``referrals/``, ``community/``,
  ``audit/``: each there when its package is;
- ``till/``: store staff find a card, record a purchase, confirm a redemption code or a ticket.

Every change goes through the services the JSON API calls, so no rule lives here twice; forms
are checked with the API's own marshmallow schemas. The console is not part of the API: its
blueprints are Flask's own, so the OpenAPI document does not list them.

Shared here: ``web`` (the blueprint and its hooks: login, roles, CSRF, security headers),
``security`` (the session), ``i18n`` (en, fi, pl, tl through Flask-Babel), ``forms`` (the
schema check), ``pages`` (full pages and htmx fragments), ``charts`` (pure SVG geometry).

How it plugs in: the core never imports this package; ``init_app`` registers the blueprint and
its extensions (Flask-WTF's CSRF, Flask-Babel); a feature's pages are there when FEATURES names
the feature.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from console import web

    web.install(app)
