from app.extensions import celery

AGGREGATE_TASK = "analytics.aggregate"


@celery.task(name=AGGREGATE_TASK, ignore_result=True)
def aggregate() -> None:
    from analytics.aggregates import job

    job.run()
