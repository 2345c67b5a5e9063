"""Prometheus metrics of the documents service (labels are bounded: formats, causes, outcomes)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

RENDERS = Counter(
    "tqr_documents_renders_total",
    "Application forms rendered, by format and cause (event = rendered ahead, on_demand = at download)",
    ["format", "cause"],
)
RENDER_DURATION = Histogram(
    "tqr_documents_render_duration_seconds", "Time to render one application form", ["format"],
    buckets=(0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5),
)
CACHE_LOOKUPS = Counter(
    "tqr_documents_cache_lookups_total", "Render cache lookups, by format and outcome (hit, miss)",
    ["format", "outcome"],
)
