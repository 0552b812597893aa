"""The job's run metrics (issue 14): the figures of its report as CloudWatch metrics.

Names, units and dimensions are contracts/metrics.json (the metrics whose source is "glue"); this module holds the
same values because Glue receives the package zip alone (test/metrics.test.ts checks they are equal). On Glue the job
publishes them with PutMetricData (the Lambdas' figures go through EMF, which Glue's log stream does not extract);
locally they go into the report, which the twin keeps as runs/<run>/transform.json.

Every metric has the dimension ``service``; a metric by entity or table is also published with ``service`` alone
(the total), which the alarms read (infra/constructs/monitoring.ts)."""

from __future__ import annotations

from typing import Any

NAMESPACE = "WistiaPipeline"
SERVICE = "wistia-pipeline"

#: name -> (unit, extra dimension or None): the metrics of contracts/metrics.json whose source is "glue"
GLUE_METRICS: dict[str, tuple[str, str | None]] = {
    "RecordsRead": ("Count", "entity"),
    "RecordsLoaded": ("Count", "entity"),
    "RecordsQuarantined": ("Count", "entity"),
    "DriftFindings": ("Count", None),
    "RowsInserted": ("Count", "table"),
    "RowsUpdated": ("Count", "table"),
    "TransformSeconds": ("Seconds", None),
    "TransformFailed": ("Count", None),
}

#: PutMetricData takes at most 1,000 metrics per request
#: (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html)
MAX_METRICS_PER_REQUEST = 1000


def _point(name: str, value: float, dimensions: dict[str, str] | None = None) -> dict[str, Any]:
    unit, _ = GLUE_METRICS[name]
    return {"name": name, "value": value, "unit": unit, "dimensions": dict(dimensions or {})}


def points(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The run's metric points from its report: per entity / table and their totals; a failed run reports its time
    and TransformFailed = 1 (its counts are unknown: nothing was loaded)."""
    out: list[dict[str, Any]] = []

    def by(name: str, dim: str, values: dict[str, float]) -> None:
        out.append(_point(name, sum(values.values())))
        out.extend(_point(name, v, {dim: k}) for k, v in sorted(values.items()))

    failed = report.get("status") != "SUCCEEDED"
    if not failed:
        bronze = report.get("bronze") or {}
        by("RecordsRead", "entity", {e: c.get("served", 0) for e, c in bronze.items()})
        by("RecordsLoaded", "entity", {e: c.get("loaded", 0) for e, c in bronze.items()})
        by("RecordsQuarantined", "entity", {e: c.get("quarantined", 0) for e, c in bronze.items()})
        out.append(_point("DriftFindings", len(report.get("drift") or [])))
        loaded = report.get("loaded") or {}
        by("RowsInserted", "table", {t: c.get("inserted", 0) for t, c in loaded.items()})
        by("RowsUpdated", "table", {t: c.get("updated", 0) for t, c in loaded.items()})
    out.append(_point("TransformSeconds", float(report.get("elapsed_seconds") or 0.0)))
    out.append(_point("TransformFailed", 1 if failed else 0))
    return out


def metric_data(pts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The points as PutMetricData's MetricData entries (service on each, then the point's own dimension)."""
    return [
        {
            "MetricName": p["name"],
            "Dimensions": [{"Name": "service", "Value": SERVICE}]
            + [{"Name": k, "Value": v} for k, v in p["dimensions"].items()],
            "Value": float(p["value"]),
            "Unit": p["unit"],
        }
        for p in pts
    ]


def publish(cloudwatch: Any, pts: list[dict[str, Any]]) -> int:
    """Puts the points to CloudWatch in requests of at most MAX_METRICS_PER_REQUEST; returns the requests made."""
    data = metric_data(pts)
    calls = 0
    for i in range(0, len(data), MAX_METRICS_PER_REQUEST):
        cloudwatch.put_metric_data(Namespace=NAMESPACE, MetricData=data[i : i + MAX_METRICS_PER_REQUEST])
        calls += 1
    return calls
