from app.extensions import celery
from app.retention import service

TASK = "retention.run"


@celery.task(name=TASK, ignore_result=True)
def run_retention() -> dict[str, int]:
    return {report.name: report.rows for report in service.run()}
