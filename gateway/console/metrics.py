"""``/metrics`` through ``prometheus_client``: one registry per app, the store's numbers and the
standard process, platform (Python) and garbage-collector collectors.

The store's families are built at each scrape by the callable given to :func:`make_registry`
(see :mod:`gateway.console.health`); :func:`family` makes a gauge or counter family whose
labels are sorted by name, so every sample reads ``{mailbox=...,partner=...}`` in a fixed
order. A counter's ``_total`` is dropped from the family name and put back by the client, so the
names are those of the hand-written writer this module replaces.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence

from prometheus_client import (
    GC_COLLECTOR,
    CollectorRegistry,
    GCCollector,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.registry import Collector

__all__ = ["CONTENT_TYPE", "Family", "add", "family", "make_registry", "render"]

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4

Family = GaugeMetricFamily | CounterMetricFamily


def family(name: str, kind: str, documentation: str, labels: Sequence[str] = ()) -> Family:
    """A gauge or counter family with its label names in sorted order."""
    names = sorted(labels)
    if kind == "counter":
        return CounterMetricFamily(name.removesuffix("_total"), documentation, labels=names)
    return GaugeMetricFamily(name, documentation, labels=names)


def add(metric: Family, value: float, **labels: str) -> None:
    """One sample of ``metric``; ``labels`` by name (any order)."""
    metric.add_metric([str(labels[name]) for name in sorted(labels)], value)


class _StoreCollector(Collector):
    """Asks ``build`` for the families at each scrape."""

    def __init__(self, build: Callable[[], Iterable[Metric]]) -> None:
        self._build = build

    def collect(self) -> Iterator[Metric]:
        yield from self._build()


def make_registry(build: Callable[[], Iterable[Metric]]) -> CollectorRegistry:
    """A registry of its own (tests and several apps never collide) with the standard collectors."""
    registry = CollectorRegistry(auto_describe=False)
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    if GC_COLLECTOR is not None:
        GCCollector(registry=registry)
    registry.register(_StoreCollector(build))
    return registry


def render(registry: CollectorRegistry) -> bytes:
    """The registry in the Prometheus text exposition format (0.0.4)."""
    return generate_latest(registry)
