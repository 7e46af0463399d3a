"""`flask passes ...`: the development certificate chain and the start-up checks on demand."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app

from passes.apple.dev_certs import generate_dev_certs


def register_cli(app: Flask) -> None:
    @app.cli.group("passes")
    def passes_group() -> None:
        """Apple and Google wallet passes."""

    @passes_group.command("dev-certs")
    @click.option(
        "--dir",
        "directory",
        type=click.Path(file_okay=False, path_type=Path),
        help="Where to write the chain (default: PASS_DEV_DIR, under instance/).",
    )
    @click.option("--pass-type-id", help="Default: PASS_TYPE_IDENTIFIER.")
    @click.option("--team-id", help="Default: PASS_TEAM_IDENTIFIER.")
    @click.option("--key-password", help="Encrypt the pass key with this password.")
    @click.option("--force", is_flag=True, help="Replace a chain already in the directory.")
    def dev_certs(
        directory: Path | None,
        pass_type_id: str | None,
        team_id: str | None,
        key_password: str | None,
        force: bool,
    ) -> None:
        """Make a development chain (root, WWDR-like intermediate, pass certificate).

        Passes signed with it verify in tests and tools; iPhones install only passes signed
        with Apple's own certificates.
        """
        settings = current_app.extensions["passes"].settings
        target = directory or settings.dev_dir
        try:
            paths = generate_dev_certs(
                target,
                pass_type_id or settings.pass_type_identifier,
                team_id or settings.team_identifier,
                key_password=key_password,
                overwrite=force,
            )
        except FileExistsError as exc:
            raise click.ClickException(f"{exc}; use --force to replace it") from exc
        click.echo(f"Development pass chain written to {target}:")
        click.echo(f"  PASS_CERT_PATH={paths.certificate}")
        click.echo(f"  PASS_KEY_PATH={paths.key}")
        click.echo(f"  PASS_WWDR_PATH={paths.wwdr}")
        click.echo(f"  (root to verify signatures with: {paths.root})")

    @passes_group.command("check")
    def check() -> None:
        """Show what the start-up checks found; exit 1 on an error."""
        findings = current_app.extensions["passes"].findings
        for finding in findings:
            click.echo(f"{finding.level:8} {finding.code}: {finding.message}")
        if not findings:
            click.echo("no findings")
        if any(f.level == "error" for f in findings):
            raise SystemExit(1)
