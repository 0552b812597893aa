from pyspark.sql import functions as F

from wistia_pipeline import schemas
from wistia_pipeline.transforms import validate

GOOD_EVENT = {
    "received_at": "2025-10-17T17:24:53.000Z",
    "event_key": "1760721_a",
    "visitor_key": "1760721_v",
    "media_id": "ayxhuq5wcn",
    "percent_viewed": 0.25,
    "embed_url": "https://www.facebook.com/x",
}


def test_usable_records_pass_and_broken_ones_are_quarantined_with_their_reason_and_source(records):
    recs = records(
        {
            "entity": "events",
            "source": "bronze/events/ingest_date=2026-11-20/run=r1/window=a_b/page-00001.json",
            "records": [
                GOOD_EVENT,
                {**GOOD_EVENT, "event_key": None},
                {**GOOD_EVENT, "event_key": "k3", "percent_viewed": "lots"},
                {**GOOD_EVENT, "event_key": "k4", "percent_viewed": 1.5},
                {k: v for k, v in GOOD_EVENT.items() if k != "visitor_key"} | {"event_key": "k5"},
                "[1, 2]",
            ],
        }
    )
    parsed = validate.parse(recs, schemas.EVENTS)
    assert [r.event_key for r in validate.usable(parsed).select("p.event_key").collect()] == ["1760721_a"]
    q = {r.record_index: (r.natural_key, r.reason) for r in validate.quarantined(parsed, schemas.EVENTS).collect()}
    assert q == {
        1: (None, "event_key: required field is missing or null"),
        2: ("k3", 'percent_viewed: expected double, got lots'),
        3: ("k4", "percent_viewed: 1.5 is outside [0, 1]"),
        4: ("k5", "visitor_key: required field is missing or null"),
        5: (None, "not a JSON object"),
    }
    row = validate.quarantined(parsed, schemas.EVENTS).where(F.col("record_index") == 2).first()
    assert row.source_object == "bronze/events/ingest_date=2026-11-20/run=r1/window=a_b/page-00001.json"
    assert row.entity == "events" and row._run_id == "r1" and '"lots"' in row.record


def test_drift_reports_new_fields_and_mistyped_optional_fields_without_losing_the_record(records):
    recs = records({"entity": "events", "records": [{**GOOD_EVENT, "brand_new": {"x": 1}, "lat": "<redacted>"}, {**GOOD_EVENT, "event_key": "b", "brand_new": 2}]})
    parsed = validate.parse(recs, schemas.EVENTS)
    assert validate.usable(parsed).count() == 2
    d = {(r.field, r.kind): r.records for r in validate.drift(parsed, schemas.EVENTS, "events").collect()}
    assert d == {("brand_new", "new-field"): 2, ("lat", "type"): 1}


def test_documented_quirks_are_neither_quarantined_nor_drift(records):
    quirky = {**GOOD_EVENT, "conversion_type": 0, "conversion_data": "", "received_at": "2025-10-17T17:24:53Z", "thumbnail": None}
    recs = records({"entity": "events", "records": [quirky, {**quirky, "event_key": "b", "conversion_type": "", "conversion_data": {}}]})
    parsed = validate.parse(recs, schemas.EVENTS)
    assert validate.usable(parsed).count() == 2
    assert validate.drift(parsed, schemas.EVENTS, "events").count() == 0
