"""The reports: each reads the daily aggregates (never the raw ledger) and answers JSON or
CSV. `filters` parses what every report may be narrowed by; `schemas` and `api` are HTTP."""
