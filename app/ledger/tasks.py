from app.extensions import celery
from app.ledger import service


@celery.task(name="ledger.release_due", ignore_result=True)
def release_due() -> int:
    return service.release_due()


@celery.task(name="ledger.expire_due", ignore_result=True)
def expire_due() -> int:
    return service.expire_due()
