"""Parsing with the explicit schemas: what is usable, quarantined (with its reason) and reported as drift, each
compared with a literal expected frame."""

from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual

from wistia_pipeline import schemas
from wistia_pipeline.transforms import validate

DRIFT_DDL = "_run_id string, entity string, field string, kind string, records bigint"

GOOD_EVENT = {
    "received_at": "2025-10-17T17:24:53.000Z",
    "event_key": "1760721_a",
    "visitor_key": "1760721_v",
    "media_id": "ayxhuq5wcn",
    "percent_viewed": 0.25,
    "embed_url": "https://www.facebook.com/x",
}


def test_usable_records_pass_and_broken_ones_are_quarantined_with_their_reason_and_source(records, spark):
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
    assertDataFrameEqual(
        validate.usable(parsed).select("p.event_key"), spark.createDataFrame([("1760721_a",)], "event_key string")
    )
    quarantined = validate.quarantined(parsed, schemas.EVENTS)
    source = "bronze/events/ingest_date=2026-11-20/run=r1/window=a_b/page-00001.json"
    expected = spark.createDataFrame(
        [
            (source, 1, "events", None, "event_key: required field is missing or null", "r1"),
            (source, 2, "events", "k3", "percent_viewed: expected double, got lots", "r1"),
            (source, 3, "events", "k4", "percent_viewed: 1.5 is outside [0, 1]", "r1"),
            (source, 4, "events", "k5", "visitor_key: required field is missing or null", "r1"),
            (source, 5, "events", None, "not a JSON object", "r1"),
        ],
        "source_object string, record_index int, entity string, natural_key string, reason string, _run_id string",
    )
    assertDataFrameEqual(quarantined.drop("record"), expected)
    row = quarantined.where(F.col("record_index") == 2).first()
    assert '"lots"' in row.record


def test_drift_reports_new_fields_and_mistyped_optional_fields_without_losing_the_record(records, spark):
    recs = records(
        {
            "entity": "events",
            "records": [
                {**GOOD_EVENT, "brand_new": {"x": 1}, "lat": "<redacted>"},
                {**GOOD_EVENT, "event_key": "b", "brand_new": 2},
            ],
        }
    )
    parsed = validate.parse(recs, schemas.EVENTS)
    assert validate.usable(parsed).count() == 2
    expected = spark.createDataFrame(
        [("r1", "events", "brand_new", "new-field", 2), ("r1", "events", "lat", "type", 1)],
        DRIFT_DDL,
    )
    assertDataFrameEqual(validate.drift(parsed, schemas.EVENTS, "events"), expected)


def test_documented_quirks_are_neither_quarantined_nor_drift(records):
    quirky = {
        **GOOD_EVENT,
        "conversion_type": 0,
        "conversion_data": "",
        "received_at": "2025-10-17T17:24:53Z",
        "thumbnail": None,
    }
    recs = records(
        {
            "entity": "events",
            "records": [quirky, {**quirky, "event_key": "b", "conversion_type": "", "conversion_data": {}}],
        }
    )
    parsed = validate.parse(recs, schemas.EVENTS)
    assert validate.usable(parsed).count() == 2
    assert validate.drift(parsed, schemas.EVENTS, "events").count() == 0


def test_loss_free_coercions_load_the_value_and_count_as_drift_an_unparseable_time_is_quarantined(records, spark):
    recs = records(
        {
            "entity": "events",
            "records": [
                {**GOOD_EVENT, "event_key": "num", "percent_viewed": "0.5", "lat": "59.91", "lon": "1e1"},
                {**GOOD_EVENT, "event_key": "space", "received_at": "2025-10-17 17:24:53"},
                {**GOOD_EVENT, "event_key": "bad-time", "received_at": "yesterday"},
                {**GOOD_EVENT, "event_key": "epoch", "received_at": 1760721893},
                {**GOOD_EVENT, "event_key": "words", "percent_viewed": "half"},
            ],
        },
        {
            "entity": "media_stats",
            "records": [
                {"date": "2026-11-20", "load_count": "12", "play_count": 3, "hours_watched": "0.25"},
                {"date": "20/11/2026", "load_count": 1, "play_count": 1, "hours_watched": 0.1},
                {"date": "2026-11-21", "load_count": "1.5", "play_count": 1, "hours_watched": 0.1},
            ],
        },
        {
            "entity": "visitors",
            "records": [
                {
                    "visitor_key": "v1",
                    "created_at": "not a time",
                    "last_active_at": "2025-10-17T17:24:53+02:00",
                    "load_count": "4",
                }
            ],
        },
    )
    events = validate.parse(recs.where(F.col("entity") == "events"), schemas.EVENTS)
    ok = validate.usable(events).select("p.event_key", "p.percent_viewed", "p.lat", "p.lon")
    expected = spark.createDataFrame(
        [("num", 0.5, 59.91, 10.0), ("space", 0.25, None, None)],  # the values, not NULL
        "event_key string, percent_viewed double, lat double, lon double",
    )
    assertDataFrameEqual(ok, expected, rtol=0, atol=0)
    expected = spark.createDataFrame(
        [
            ("bad-time", "received_at: not a timestamp: yesterday"),
            ("epoch", "received_at: not a timestamp: 1760721893"),
            ("words", "percent_viewed: expected double, got half"),
        ],
        "natural_key string, reason string",
    )
    assertDataFrameEqual(validate.quarantined(events, schemas.EVENTS).select("natural_key", "reason"), expected)
    rules = events.where(F.col("reason").isNotNull()).select("rule").distinct()
    expected = spark.createDataFrame(
        [("received_at: not a timestamp",), ("percent_viewed: expected double",)], "rule string"
    )
    assertDataFrameEqual(rules, expected)
    expected = spark.createDataFrame(
        [
            ("r1", "events", "percent_viewed", "coerced", 1),
            ("r1", "events", "lat", "coerced", 1),
            ("r1", "events", "lon", "coerced", 1),
            ("r1", "events", "received_at", "coerced", 1),
        ],
        DRIFT_DDL,
    )
    assertDataFrameEqual(validate.drift(events, schemas.EVENTS, "events"), expected)

    stats = validate.parse(recs.where(F.col("entity") == "media_stats"), schemas.MEDIA_STATS)
    assertDataFrameEqual(
        validate.usable(stats).select("p.date", "p.load_count", "p.hours_watched"),
        spark.createDataFrame([("2026-11-20", 12, 0.25)], "date string, load_count bigint, hours_watched double"),
        rtol=0,
        atol=0,
    )
    # "1.5" is not a whole number: coercing it to a count would lose the fraction, so it is quarantined
    expected = spark.createDataFrame(
        [("date: not a date: 20/11/2026",), ("load_count: expected bigint, got 1.5",)], "reason string"
    )
    assertDataFrameEqual(validate.quarantined(stats, schemas.MEDIA_STATS).select("reason"), expected)

    visitors = validate.parse(recs.where(F.col("entity") == "visitors"), schemas.VISITORS)
    assertDataFrameEqual(
        validate.usable(visitors).select("p.created_at", "p.last_active_at", "p.load_count"),
        # an optional time that does not parse: NULL
        spark.createDataFrame(
            [(None, "2025-10-17T17:24:53+02:00", 4)], "created_at string, last_active_at string, load_count bigint"
        ),
    )
    expected = spark.createDataFrame(
        [("r1", "visitors", "created_at", "type", 1), ("r1", "visitors", "load_count", "coerced", 1)],
        DRIFT_DDL,
    )
    assertDataFrameEqual(validate.drift(visitors, schemas.VISITORS, "visitors"), expected)


def test_type_drift_seen_in_real_responses_loads_without_quarantine_or_drift(records):
    # ../shared/wistia-api: browser_version a number or a string, conversion_data {} or "", times with and without
    # milliseconds or with an offset, an audio media without duration or thumbnail
    ua = {"browser": "Chrome", "browser_version": 120, "platform": "mac", "mobile": False}
    recs = records(
        {
            "entity": "events",
            "records": [
                {
                    **GOOD_EVENT,
                    "user_agent_details": ua,
                    "conversion_data": {},
                    "received_at": "2025-10-17T17:24:53+00:00",
                },
                {
                    **GOOD_EVENT,
                    "event_key": "b",
                    "user_agent_details": {**ua, "browser_version": "120.0.1"},
                    "conversion_data": "",
                    "received_at": "2025-10-16T13:08:36.380Z",
                },
            ],
        },
        {
            "entity": "medias",
            "records": [
                {
                    "id": 1,
                    "hashed_id": "aud1",
                    "name": "Podcast",
                    "type": "Audio",
                    "created": "2013-09-19T15:30:49+00:00",
                    "updated": "2025-10-17T17:24:53.000Z",
                }
            ],
        },
    )
    events = validate.parse(recs.where(F.col("entity") == "events"), schemas.EVENTS)
    assert sorted(
        r.v for r in validate.usable(events).select(F.col("p.user_agent_details.browser_version").alias("v")).collect()
    ) == ["120", "120.0.1"]
    assert validate.drift(events, schemas.EVENTS, "events").count() == 0
    medias = validate.parse(recs.where(F.col("entity") == "medias"), schemas.MEDIAS)
    assert validate.usable(medias).count() == 1 and validate.drift(medias, schemas.MEDIAS, "medias").count() == 0
