"""What gunicorn, `flask` and Celery load: `gunicorn wsgi:app`, `celery -A wsgi:celery worker`."""

from app import create_app
from app.extensions import celery

app = create_app()

__all__ = ["app", "celery"]
