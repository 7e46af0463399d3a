"""Retention: rows past their period are deleted in small batches, each committed on its own.

The core registers its tables (`rules.register_core`); feature packages add theirs with
`rules.register_retention(app, ...)` from their init_app. Run daily by beat
(`retention.run`) or by hand: `flask retention run [--dry-run]`.
"""
