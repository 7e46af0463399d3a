"""`flask retention run [--dry-run]`."""

from __future__ import annotations

import sys

import click
from flask import Flask

from app.models_base import utcnow


def register_cli(app: Flask) -> None:
    @app.cli.group()
    def retention() -> None:
        """Deleting what is kept no longer than needed."""

    @retention.command("run")
    @click.option("--dry-run", is_flag=True, help="Print what would be deleted; delete nothing.")
    def run(dry_run: bool) -> None:
        """Delete rows past their retention period, in small batches, table by table."""
        from app.retention import service

        now = utcnow()
        due = service.plan(now)
        if dry_run:
            for report in due:
                click.echo(f"{report.name}: would delete {report.rows}")
            return
        total = sum(report.rows for report in due)
        # On stderr: stdout keeps the report, for scripts.
        with click.progressbar(length=total, label="deleting", file=sys.stderr) as bar:
            done = service.run(now, progress=lambda _rule, rows: bar.update(rows))
        for report in done:
            click.echo(f"{report.name}: deleted {report.rows}")
