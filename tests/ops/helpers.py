"""Reading the metrics text the way Prometheus does."""

from __future__ import annotations

from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    """Every sample in a scrape, keyed by (name, labels)."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def scrape(client: FlaskClient, **headers: str) -> dict[tuple[str, frozenset], float]:
    res = client.get("/metrics", headers=headers)
    assert res.status_code == 200, res.data
    return samples(res.get_data(as_text=True))


def value(found: dict, name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)
