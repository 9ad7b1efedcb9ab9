"""Prometheus metrics of the service, in the client library's multiprocess mode under gunicorn.

Under gunicorn every worker writes its values to files in $PROMETHEUS_MULTIPROC_DIR (set by
gunicorn_conf.py before anything imports prometheus_client) and /metrics adds up the files of
every worker, living or gone. Without that variable (tests, one process) the app's own registry
is exposed.
"""

from __future__ import annotations

import os

from flask import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """The service's metrics, registered in `registry` (one per app, so apps can be built twice)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.requests = Counter(
            "overdue_advisor_requests",
            "Requests answered, by route template, method and status",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "overdue_advisor_request_duration_seconds",
            "Time to answer a request, by route template",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.evaluations = Counter(
            "overdue_advisor_engine_evaluations",
            "Evaluations of the rules engine",
            registry=self.registry,
        )
        self.answer_cache = Counter(
            "overdue_advisor_answer_cache",
            "Answers whose decision part was kept (hit) or built (miss)",
            ["result"],
            registry=self.registry,
        )
        self.renders_in_flight = Gauge(
            "overdue_advisor_renders_in_flight",
            "Diagrams being rendered right now",
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        self.refused = Counter(
            "overdue_advisor_refused_requests",
            "Requests refused, by reason",
            ["reason"],
            registry=self.registry,
        )
        self.rules = Gauge(
            "overdue_advisor_rules_info",
            "The rules being served (value 1), by kb_version",
            ["kb_version", "package_version"],
            registry=self.registry,
            multiprocess_mode="max",
        )


def exposition(metrics: Metrics) -> Response:
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        text = generate_latest(registry)
    else:
        text = generate_latest(metrics.registry)
    return Response(text, mimetype=CONTENT_TYPE_LATEST.split(";")[0], content_type=CONTENT_TYPE_LATEST)


_WORKER_METRICS: list[Metrics] = []


def worker_metrics() -> Metrics:
    """Metrics for the server layer (refusals before the app runs), made on first use."""
    if not _WORKER_METRICS:
        _WORKER_METRICS.append(Metrics())
    return _WORKER_METRICS[0]
