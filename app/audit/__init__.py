"""The audit trail of operators' actions: `app.audit.record(...)` in a handler, before the
change commits, records who, what, which target, when, from where, and the values before and
after, in the same transaction. `GET /api/v1/admin/audit` reads it."""

from app.audit.service import record

__all__ = ["record"]
