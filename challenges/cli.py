"""`flask games ...`: the periodic jobs by hand."""

from __future__ import annotations

import json

import click
from flask import Flask
from sqlalchemy import select

from app.extensions import db


def register(app: Flask) -> None:
    @app.cli.group("games")
    def games() -> None:
        """Quizzes, challenges and contests."""

    @games.command("close-contests")
    def close_contests() -> None:
        """Close every contest whose end has passed, and settle (pay, exactly once) every one
        whose `settles_at` has: the ids whose status moved on."""
        from challenges.contests.settle import close_due

        closed = close_due()
        click.echo(json.dumps({"closed": closed}))

    @games.command("rebuild-leaderboards")
    def rebuild_leaderboards() -> None:
        """Copy every open leaderboard from the database to Redis."""
        from challenges.contests import boards
        from challenges.contests.models import Contest

        counts = {
            c.public_id: boards.rebuild(c)
            for c in db.session.scalars(select(Contest).where(Contest.kind == "leaderboard"))
        }
        click.echo(json.dumps(counts))

    @games.command("seed-demo")
    def seed_demo() -> None:
        """Add the demo games (idempotent)."""
        from challenges.demo import seed_demo as run

        click.echo(json.dumps(run()))
