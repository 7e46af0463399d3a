"""`flask` commands for operators: the periodic jobs by hand, the ledger check, the demo."""

from __future__ import annotations

import json

import click
from flask import Flask

from app.extensions import db


def register_cli(app: Flask) -> None:
    from app.retention.cli import register_cli as register_retention_cli

    register_retention_cli(app)

    @app.cli.group()
    def points() -> None:
        """The points ledger."""

    @points.command("release")
    def release() -> None:
        """Make pending points whose return window has passed available."""
        from app.ledger.service import release_due

        click.echo(f"released {release_due()} points")

    @points.command("expire")
    def expire() -> None:
        """Expire points past their validity."""
        from app.ledger.service import expire_due

        click.echo(f"expired {expire_due()} points")

    @points.command("check")
    def check() -> None:
        """Prove the ledger's rules (balances, refunds, stock, offer caps, award keys); exit 1
        if one is broken."""
        from app.ledger.checks import run_checks
        from app.ledger.schemas import LedgerCheckSchema

        report = run_checks()
        click.echo(json.dumps(LedgerCheckSchema().dump(report), indent=2))
        if not report.healthy:
            raise SystemExit(1)

    @app.cli.group()
    def tiers() -> None:
        """Tier qualification."""

    @tiers.command("evaluate")
    def evaluate() -> None:
        """The periodic evaluation: upgrades and downgrades."""
        from app.tiers.service import evaluate_all

        click.echo(json.dumps(evaluate_all()))

    @app.cli.command("outbox-dispatch")
    def outbox_dispatch() -> None:
        """Run due outbox jobs now."""
        from app.outbox import dispatch

        click.echo(f"ran {dispatch()} jobs")

    @app.cli.command("seed-demo")
    @click.option("--force", is_flag=True, help="Seed even if the database has members.")
    def seed_demo(force: bool) -> None:
        """Seed a demo program into an empty database and print its logins."""
        from flask import current_app

        from app.seed import seed

        # The demo's logins have published passwords: never outside development and the tests.
        if current_app.config.get("APP_ENV") not in ("development", "test"):
            raise click.ClickException(
                "seed-demo runs only with APP_ENV=development: its logins have known passwords"
            )

        logins = seed(force=force)
        if logins is None:
            click.echo("database already has a program; not seeding (use --force)")
            return
        click.echo("Demo program seeded. Logins:")
        for role, email, password, extra in logins:
            click.echo(f"  {role:<7} {email:<28} {password}  {extra}")
        db.session.remove()
