"""Operators' endpoints under /api/v1/admin: the program, stores, catalog, rules, tiers, keys."""
