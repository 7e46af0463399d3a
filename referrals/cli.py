"""`flask referrals ...`"""

from __future__ import annotations

import json

import click
from flask import Flask


def register(app: Flask) -> None:
    @app.cli.group("referrals")
    def referrals() -> None:
        """Referrals and partner codes."""

    @referrals.command("settle")
    def settle() -> None:
        """Reward every qualified referral whose hold has passed (what beat runs)."""
        from referrals.referrals.service import settle_due

        click.echo(json.dumps({"rewarded": settle_due()}))
