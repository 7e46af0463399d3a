"""What a till does with a purchase: record it once per idempotency key. The endpoint of the
point-of-sale systems and the console's till screen both call `record_once`."""

from __future__ import annotations

from typing import Any

from app.auth.guards import StoreActor
from app.idempotency import run_once
from app.purchases import service
from app.purchases.schemas import PurchaseResultSchema

# Made once: a schema instance is reusable, and making one (with its nested schemas) copies all
# its fields, on every purchase.
_RESULT = PurchaseResultSchema()


def record_once(
    actor: StoreActor, entry: service.PurchaseInput, key: str, payload: Any
) -> tuple[Any, int, bool]:
    """(body, status, replayed): the purchase as `PurchaseResultSchema` dumps it. `payload` is
    what the request asked for: the same key with another payload is a conflict."""

    def action() -> tuple[dict, int]:
        recorded = service.record_purchase(actor.store, entry, actor.label)
        return _RESULT.dump(recorded), 201

    return run_once(f"purchase:{actor.store.public_id}", key, payload, action)
