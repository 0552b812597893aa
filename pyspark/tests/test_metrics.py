"""The job's run metrics: points from the report, published to moto's CloudWatch server as Glue would."""

from __future__ import annotations

import datetime as dt
import json
import os

import boto3
import pytest

from wistia_pipeline import metrics

REPORT = {
    "status": "SUCCEEDED",
    "bronze": {
        "events": {"served": 120, "loaded": 115, "quarantined": 3, "deduplicated": 2, "skipped": 0},
        "medias": {"served": 7, "loaded": 7, "quarantined": 0, "deduplicated": 0, "skipped": 0},
    },
    "loaded": {
        "fct_event": {"staged": 115, "inserted": 100, "updated": 15, "unchanged": 0},
        "dim_media": {"staged": 7, "inserted": 1, "updated": 2, "unchanged": 4},
    },
    "drift": [{"entity": "events", "field": "x", "kind": "unknown", "records": 2}],
    "elapsed_seconds": 12.5,
}


def by_key(pts):
    return {(p["name"], tuple(sorted(p["dimensions"].items()))): p["value"] for p in pts}


def test_points_are_the_reports_counts_per_dimension_and_in_total():
    got = by_key(metrics.points(REPORT))
    assert got[("RecordsRead", ())] == 127
    assert got[("RecordsRead", (("entity", "events"),))] == 120
    assert got[("RecordsQuarantined", ())] == 3
    assert got[("RecordsQuarantined", (("entity", "medias"),))] == 0
    assert got[("RecordsLoaded", ())] == 122
    assert got[("RowsInserted", ())] == 101
    assert got[("RowsUpdated", (("table", "dim_media"),))] == 2
    assert got[("DriftFindings", ())] == 1
    assert got[("TransformSeconds", ())] == 12.5
    assert got[("TransformFailed", ())] == 0
    assert (
        len(got) == 3 * 3 + 1 + 2 * 3 + 1 + 1
    )  # every point once: 3 by entity (+ total), drift, 2 by table, time, failed


def test_a_failed_run_reports_its_time_and_the_failure_only():
    got = by_key(metrics.points({"status": "FAILED", "elapsed_seconds": 3.0, "error": "QualityGateError"}))
    assert got == {("TransformSeconds", ()): 3.0, ("TransformFailed", ()): 1}


def test_the_names_and_units_are_the_contracts():
    with open(os.path.join(os.path.dirname(__file__), "..", "..", "contracts", "metrics.json"), encoding="utf-8") as f:
        spec = json.load(f)
    glue = {
        n: (m["unit"], (m.get("dimensions") or [None])[0]) for n, m in spec["metrics"].items() if m["source"] == "glue"
    }
    assert glue == metrics.GLUE_METRICS
    assert (spec["namespace"], spec["service"]) == (metrics.NAMESPACE, metrics.SERVICE)


def test_published_to_cloudwatch_the_datapoints_are_the_points(moto_s3, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    cw = boto3.client("cloudwatch", region_name="us-east-1", endpoint_url=moto_s3)
    pts = metrics.points(REPORT)
    start = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    assert metrics.publish(cw, pts) == 1
    listed = cw.list_metrics(Namespace=metrics.NAMESPACE)["Metrics"]
    names = {(m["MetricName"], tuple(sorted((d["Name"], d["Value"]) for d in m["Dimensions"]))) for m in listed}
    for p in pts:
        dims = tuple(sorted([("service", metrics.SERVICE), *p["dimensions"].items()]))
        assert (p["name"], dims) in names
    stats = cw.get_metric_statistics(
        Namespace=metrics.NAMESPACE,
        MetricName="RecordsQuarantined",
        # moto matches every series whose dimensions include these (CloudWatch matches them exactly), so ask for
        # the one series with entity=events
        Dimensions=[{"Name": "service", "Value": metrics.SERVICE}, {"Name": "entity", "Value": "events"}],
        StartTime=start,
        EndTime=start + dt.timedelta(minutes=10),
        Period=60,
        Statistics=["Sum"],
    )["Datapoints"]
    assert sum(d["Sum"] for d in stats) == 3


def test_requests_hold_at_most_the_apis_metric_count():
    class Recorder:
        calls: list[int] = []

        def put_metric_data(self, Namespace, MetricData):  # boto3's names
            self.calls.append(len(MetricData))

    r = Recorder()
    pts = [{"name": "RowsInserted", "value": i, "unit": "Count", "dimensions": {"table": f"t{i}"}} for i in range(2500)]
    assert metrics.publish(r, pts) == 3
    assert r.calls == [1000, 1000, 500]


@pytest.mark.parametrize("status", ["SUCCEEDED", "FAILED"])
def test_every_point_is_a_contract_metric(status):
    for p in metrics.points({**REPORT, "status": status}):
        assert p["name"] in metrics.GLUE_METRICS
        assert p["unit"] == metrics.GLUE_METRICS[p["name"]][0]
