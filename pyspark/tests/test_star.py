import datetime as dt

from pyspark.testing import assertDataFrameEqual

from wistia_pipeline import schemas
from wistia_pipeline.model import DIM_MEDIA, DIM_VISITOR
from wistia_pipeline.transforms import star, validate


def usable(records, entity, *objects):
    return validate.usable(validate.parse(records(*objects), schemas.ENTITIES[entity]))


def media(hid, updated, **kw):
    return {
        "hashed_id": hid,
        "id": 7,
        "name": "Spring Teaser FB",
        "type": "Video",
        "updated": updated,
        "created": "2026-01-01T00:00:00+00:00",
        "duration": 30.5,
        **kw,
    }


def test_dim_media_keeps_the_latest_version_and_reads_both_project_key_spellings(records, spark):
    df = star.dim_media(
        usable(
            records,
            "medias",
            {
                "entity": "medias",
                "fetched": "2026-11-20T06:00:00.000Z",
                "records": [
                    media("m1", "2026-11-01T00:00:00+00:00", project={"id": 5, "name": "Paid", "hashedId": "p5"})
                ],
            },
            {
                "entity": "medias",
                "fetched": "2026-11-21T06:00:00.000Z",
                "records": [
                    media(
                        "m1",
                        "2026-11-02T00:00:00+00:00",
                        name="Spring Teaser YT v2",
                        project={"id": 5, "name": "Paid", "hashed_id": "p5"},
                        tags=[{"name": "a"}, {"name": "b"}],
                    )
                ],
            },
        )
    )
    rows = df.collect()
    assert len(rows) == 1
    r = rows[0]
    assert (r.media_id, r.name, r.project_hashed_id, r.tags, r.channel_hint, r.is_inferred) == (
        "m1",
        "Spring Teaser YT v2",
        "p5",
        "a,b",
        "youtube",
        False,
    )
    assert r.updated_at == dt.datetime(2026, 11, 2)  # the session runs in UTC
    assert df.columns == list(DIM_MEDIA.all_columns)


def test_dim_visitor_blanks_to_null_and_hashes_email_when_asked(records):
    v = {
        "visitor_key": "v1",
        "load_count": 3,
        "play_count": 2,
        "visitor_identity": {"name": "", "email": "jo@example.com", "org": {"name": None, "title": None}},
        "user_agent_details": {"browser": "Chrome", "browser_version": "141", "platform": "mac", "mobile": False},
    }
    plain = star.dim_visitor(usable(records, "visitors", {"entity": "visitors", "records": [v]})).first()
    hashed = star.dim_visitor(
        usable(records, "visitors", {"entity": "visitors", "records": [v]}), hash_pii=True
    ).first()
    assert plain.name is None and plain.email == "jo@example.com" and plain.browser_version == "141"
    import hashlib

    assert hashed.email == hashlib.sha256(b"jo@example.com").hexdigest()


def test_fct_viewing_event_dedups_by_event_key_and_derives_date_and_channel(records, spark):
    e = {
        "event_key": "e1",
        "received_at": "2026-11-19T23:59:59.500Z",
        "visitor_key": "v1",
        "media_id": "m1",
        "percent_viewed": 0.5,
        "embed_url": "https://www.example.com/x?utm_source=facebook",
        "ip": "192.0.2.1",
        "conversion_type": "",
    }
    df = star.fct_viewing_event(
        usable(
            records,
            "events",
            {"entity": "events", "records": [e, e]},
            {
                "entity": "events",
                "fetched": "2026-11-21T06:00:00.000Z",
                "records": [e, {**e, "event_key": "e2", "embed_url": "https://partner.example.net/"}],
            },
        ),
        ["example.com"],
        hash_pii=True,
    )
    rows = {r.event_key: r for r in df.collect()}
    assert set(rows) == {"e1", "e2"}
    assert rows["e1"].event_date == dt.date(2026, 11, 19)
    assert rows["e1"].channel == "facebook" and rows["e2"].channel == "other"
    assert rows["e1"].conversion_type is None and len(rows["e1"].ip) == 64
    assert rows["e1"]._fetched_at.isoformat().startswith("2026-11-21")


def test_fct_media_engagement_combines_stats_by_date_with_that_days_events(records, spark):
    stats = usable(
        records,
        "media_stats",
        {
            "entity": "media_stats",
            "scope": {"media": "m1"},
            "records": [
                {"date": "2026-11-18", "load_count": 0, "play_count": 0, "hours_watched": 0},
                {"date": "2026-11-19", "load_count": 4, "play_count": 2, "hours_watched": 0.5},
                {"date": "2026-11-20", "load_count": 3, "play_count": 0, "hours_watched": 0},
            ],
        },
    )
    events = spark.createDataFrame(
        [
            ("m1", "v1", dt.date(2026, 11, 19), 0.2),
            ("m1", "v2", dt.date(2026, 11, 19), 0.6),
            ("m1", "v1", dt.date(2026, 11, 19), 0.4),
        ],
        "media_id string, visitor_key string, event_date date, percent_viewed double",
    )
    got = star.fct_media_engagement(stats, events).drop("_fetched_at", "_run_id")
    expected = spark.createDataFrame(
        [("m1", dt.date(2026, 11, 19), 4, 2, 0.5, 0.5, 0.4, 2), ("m1", dt.date(2026, 11, 20), 3, 0, 0.0, 0.0, None, 0)],
        "media_id string, snapshot_date date, load_count long, play_count long, play_rate double, hours_watched "
        "double, engagement double, visitors long",
    )
    assertDataFrameEqual(got, expected)


def test_engagement_curve_is_kept_as_json_arrays(records):
    df = star.media_engagement_curve(
        usable(
            records,
            "media_engagement",
            {
                "entity": "media_engagement",
                "scope": {"media": "m1"},
                "records": [{"engagement": 0.75, "engagement_data": [5, 4, 3], "rewatch_data": [1, 0, 0]}],
            },
        )
    )
    r = df.first()
    assert (r.media_id, r.engagement, r.engagement_data, r.rewatch_data) == ("m1", 0.75, "[5,4,3]", "[1,0,0]")


def test_dim_date_has_iso_weekdays(spark):
    d = spark.createDataFrame(
        [(dt.date(2026, 11, 22),), (dt.date(2026, 11, 23),), (dt.date(2026, 11, 22),)], "date_key date"
    )
    rows = {r.date_key: r for r in star.dim_date(d).collect()}
    sun, mon = rows[dt.date(2026, 11, 22)], rows[dt.date(2026, 11, 23)]
    assert (sun.day_of_week, sun.day_name, sun.is_weekend, sun.quarter, sun.month_name) == (
        7,
        "Sunday",
        True,
        4,
        "November",
    )
    assert (mon.day_of_week, mon.is_weekend, mon.iso_week) == (1, False, 48)
    assert len(rows) == 2


def test_inferred_members_only_for_keys_nobody_holds(records, spark):
    referenced = spark.createDataFrame([("v1",), ("v2",), ("v3",)], "visitor_key string")
    this_load = star.dim_visitor(
        usable(records, "visitors", {"entity": "visitors", "records": [{"visitor_key": "v1"}]})
    )
    known = spark.createDataFrame([("v2",)], "visitor_key string")
    out = star.inferred_members(referenced, "visitor_key", this_load, known, DIM_VISITOR, "r9").collect()
    assert [(r.visitor_key, r.is_inferred, r._run_id, r.name, r.load_count) for r in out] == [
        ("v3", True, "r9", None, None)
    ]
    assert out[0]._fetched_at.year == 1970
