"""Consents: an append-only record per purpose, and the current state read from it."""
