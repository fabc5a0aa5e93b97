"""Prometheus metrics of one service process (one registry per app, not global)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    """The kit's metrics; services may register more on ``registry``."""

    def __init__(self, service: str) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.request_latency = Histogram(
            "veiviser_http_request_duration_seconds",
            "HTTP request latency",
            ["service", "method", "route", "status"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        self.events_appended = Counter(
            "veiviser_events_appended_total",
            "Events appended to the event store",
            ["service", "type"],
            registry=self.registry,
        )
        self.events_published = Counter(
            "veiviser_events_published_total",
            "Outbox rows published to JetStream",
            ["service"],
            registry=self.registry,
        )
        self.outbox_backlog = Gauge(
            "veiviser_outbox_backlog",
            "Committed events not yet published",
            ["service"],
            registry=self.registry,
        )
        self.outbox_parked = Gauge(
            "veiviser_outbox_parked",
            "Outbox rows the relay could not publish and set aside (veiviser outbox list)",
            ["service"],
            registry=self.registry,
        )
        self.outbox_waiting = Gauge(
            "veiviser_outbox_waiting",
            "Outbox rows waiting behind a parked row of the same stream",
            ["service"],
            registry=self.registry,
        )
        self.consumer_lag = Gauge(
            "veiviser_consumer_lag",
            "Messages waiting for a durable consumer",
            ["service", "consumer"],
            registry=self.registry,
        )
        self.events_consumed = Counter(
            "veiviser_events_consumed_total",
            "Events applied by consumers",
            ["service", "consumer", "outcome"],
            registry=self.registry,
        )
        self.service = service
