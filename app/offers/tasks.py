from app.extensions import celery
from app.offers import service


@celery.task(name="offers.expire_claims", ignore_result=True)
def expire_claims() -> int:
    return service.expire_claims()


@celery.task(name="offers.record_holdouts", ignore_result=True)
def record_holdouts() -> int:
    return service.record_holdouts()
