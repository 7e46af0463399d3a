"""gunicorn's settings for this app: ``gunicorn -c gunicorn.conf.py -w 4 ...``.

With ``PROMETHEUS_MULTIPROC_DIR`` set, the workers keep their metrics in files there and any
worker's ``/metrics`` adds them all up. The master then empties the directory when it starts
(so an earlier run's counts do not linger) and tells prometheus-client when a worker exits (so
the live gauges of a dead worker go with it). With ``LOG_FORMAT=json`` gunicorn's own lines are
JSON too. Settings come from app/config.py, like the app's.
"""

from __future__ import annotations

import glob
import os

from app.config import Config

wsgi_app = "wsgi:app"
# The app writes one access line per request itself (app/ops), with its request id.
accesslog = None

_metrics_dir = Config.PROMETHEUS_MULTIPROC_DIR

if Config.LOG_FORMAT == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "app.ops.logs.JsonFormatter"}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        # The workers' app puts its own handler on the root logger.
        "root": {"level": "INFO", "handlers": []},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["console"], "propagate": False}
        },
    }


def on_starting(server) -> None:
    if _metrics_dir:
        os.makedirs(_metrics_dir, exist_ok=True)
        for path in glob.glob(os.path.join(_metrics_dir, "*.db")):
            os.remove(path)


def child_exit(server, worker) -> None:
    if _metrics_dir:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid, _metrics_dir)
