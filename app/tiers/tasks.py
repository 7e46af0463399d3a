from app.extensions import celery
from app.tiers import service


@celery.task(name="tiers.evaluate_all", ignore_result=True)
def evaluate_all() -> dict[str, int]:
    return service.evaluate_all()
