"""`flask analytics aggregate`: the aggregation job, now (what beat runs nightly)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup


def register_cli(app: Flask) -> None:
    group = AppGroup("analytics", help="The analytics aggregates.")

    @group.command("aggregate")
    @click.option("--through", type=click.DateTime(["%Y-%m-%d"]), help="Sum no later day.")
    def aggregate(through) -> None:
        """Sum every closed day not summed yet, then refresh balances, tiers and lifts."""
        from analytics.aggregates import job

        result = job.run(through=through.date() if through else None)
        click.echo(
            f"summed {result.summed_from} .. {result.summed_through} in {result.batches} "
            f"batch(es); watermark {result.watermark}"
        )

    app.cli.add_command(group)
