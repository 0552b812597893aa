"""The star schema's frames from literal records, each compared with a literal expected frame."""

import datetime as dt
import hashlib

from pyspark.testing import assertDataFrameEqual

from wistia_pipeline import schemas
from wistia_pipeline.model import DIM_MEDIA, DIM_VISITOR
from wistia_pipeline.transforms import star, validate

#: the star tables' columns and types, as the builders produce them (the order of model.py's tables)
DIM_MEDIA_DDL = (
    "media_id string, media_numeric_id bigint, name string, media_type string, status string, archived boolean, "
    "duration_seconds double, project_id bigint, project_name string, project_hashed_id string, section string, "
    "tags string, thumbnail_url string, channel_hint string, created_at timestamp, updated_at timestamp, "
    "is_inferred boolean, _fetched_at timestamp, _run_id string"
)
DIM_VISITOR_DDL = (
    "visitor_key string, name string, email string, org_name string, org_title string, browser string, "
    "browser_version string, platform string, is_mobile boolean, created_at timestamp, last_active_at timestamp, "
    "load_count bigint, play_count bigint, last_event_key string, identifying_event_key string, is_inferred boolean, "
    "_fetched_at timestamp, _run_id string"
)
FCT_VIEWING_EVENT_DDL = (
    "event_key string, media_id string, visitor_key string, event_date date, received_at timestamp, "
    "percent_viewed double, ip string, org string, country string, region string, city string, lat double, "
    "lon double, embed_url string, channel string, conversion_type string, media_name string, "
    "_fetched_at timestamp, _run_id string"
)
MEDIA_ENGAGEMENT_CURVE_DDL = (
    "media_id string, engagement double, engagement_data string, rewatch_data string, _fetched_at timestamp, "
    "_run_id string"
)
DIM_DATE_DDL = (
    "date_key date, year smallint, quarter smallint, month smallint, month_name string, day smallint, "
    "day_of_week smallint, day_name string, iso_week smallint, is_weekend boolean"
)


def utc(*args):
    """A timestamp literal in UTC (the session's time zone), whatever the machine's."""
    return dt.datetime(*args, tzinfo=dt.UTC)


def frame(spark, ddl, *rows):
    """A literal frame of ``ddl``'s columns: each row a dict of the columns it sets, every other column NULL."""
    schema = spark.createDataFrame([], ddl).schema
    unknown = {k for r in rows for k in r} - set(schema.fieldNames())
    assert not unknown, unknown
    return spark.createDataFrame([tuple(r.get(f.name) for f in schema.fields) for r in rows], schema)


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
    # one row, the later version (its name and tags), hashedId read as hashed_id, the channel from the name
    expected = {
        "media_id": "m1",
        "media_numeric_id": 7,
        "name": "Spring Teaser YT v2",
        "media_type": "Video",
        "duration_seconds": 30.5,
        "project_id": 5,
        "project_name": "Paid",
        "project_hashed_id": "p5",
        "tags": "a,b",
        "channel_hint": "youtube",
        "created_at": utc(2026, 1, 1),
        "updated_at": utc(2026, 11, 2),  # the session runs in UTC
        "is_inferred": False,
        "_fetched_at": utc(2026, 11, 21, 6),
        "_run_id": "r1",
    }
    assertDataFrameEqual(df, frame(spark, DIM_MEDIA_DDL, expected), rtol=0, atol=0)
    assert df.columns == list(DIM_MEDIA.all_columns)


def test_dim_visitor_blanks_to_null_and_hashes_email_when_asked(records, spark):
    v = {
        "visitor_key": "v1",
        "load_count": 3,
        "play_count": 2,
        "visitor_identity": {"name": "", "email": "jo@example.com", "org": {"name": None, "title": None}},
        "user_agent_details": {"browser": "Chrome", "browser_version": "141", "platform": "mac", "mobile": False},
    }
    plain = star.dim_visitor(usable(records, "visitors", {"entity": "visitors", "records": [v]}))
    hashed = star.dim_visitor(usable(records, "visitors", {"entity": "visitors", "records": [v]}), hash_pii=True)
    expected = {
        "visitor_key": "v1",
        "name": None,  # "" is blank: NULL
        "email": "jo@example.com",
        "browser": "Chrome",
        "browser_version": "141",
        "platform": "mac",
        "is_mobile": False,
        "load_count": 3,
        "play_count": 2,
        "is_inferred": False,
        "_fetched_at": utc(2026, 11, 20, 6),
        "_run_id": "r1",
    }
    assertDataFrameEqual(plain, frame(spark, DIM_VISITOR_DDL, expected))
    sha = hashlib.sha256(b"jo@example.com").hexdigest()
    assertDataFrameEqual(hashed, frame(spark, DIM_VISITOR_DDL, {**expected, "email": sha}))


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
    # one row per event key, the latest fetch's; the date of the UTC time, the channel from the embed URL, a blank
    # conversion type NULL, the IP hashed
    e1 = {
        "event_key": "e1",
        "media_id": "m1",
        "visitor_key": "v1",
        "event_date": dt.date(2026, 11, 19),
        "received_at": utc(2026, 11, 19, 23, 59, 59, 500000),
        "percent_viewed": 0.5,
        "ip": hashlib.sha256(b"192.0.2.1").hexdigest(),
        "embed_url": "https://www.example.com/x?utm_source=facebook",
        "channel": "facebook",
        "conversion_type": None,
        "_fetched_at": utc(2026, 11, 21, 6),
        "_run_id": "r1",
    }
    e2 = {**e1, "event_key": "e2", "embed_url": "https://partner.example.net/", "channel": "other"}
    assertDataFrameEqual(df, frame(spark, FCT_VIEWING_EVENT_DDL, e1, e2), rtol=0, atol=0)


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


def test_engagement_curve_is_kept_as_json_arrays(records, spark):
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
    expected = {
        "media_id": "m1",
        "engagement": 0.75,
        "engagement_data": "[5,4,3]",
        "rewatch_data": "[1,0,0]",
        "_fetched_at": utc(2026, 11, 20, 6),
        "_run_id": "r1",
    }
    assertDataFrameEqual(df, frame(spark, MEDIA_ENGAGEMENT_CURVE_DDL, expected), rtol=0, atol=0)


def test_dim_date_has_iso_weekdays(spark):
    d = spark.createDataFrame(
        [(dt.date(2026, 11, 22),), (dt.date(2026, 11, 23),), (dt.date(2026, 11, 22),)], "date_key date"
    )
    # one row per date (the repeated one once); ISO weekdays: Monday 1 … Sunday 7
    expected = spark.createDataFrame(
        [
            (dt.date(2026, 11, 22), 2026, 4, 11, "November", 22, 7, "Sunday", 47, True),
            (dt.date(2026, 11, 23), 2026, 4, 11, "November", 23, 1, "Monday", 48, False),
        ],
        DIM_DATE_DDL,
    )
    assertDataFrameEqual(star.dim_date(d), expected)


def test_inferred_members_only_for_keys_nobody_holds(records, spark):
    referenced = spark.createDataFrame([("v1",), ("v2",), ("v3",)], "visitor_key string")
    this_load = star.dim_visitor(
        usable(records, "visitors", {"entity": "visitors", "records": [{"visitor_key": "v1"}]})
    )
    known = spark.createDataFrame([("v2",)], "visitor_key string")
    out = star.inferred_members(referenced, "visitor_key", this_load, known, DIM_VISITOR, "r9")
    # v1 is in this load, v2 in the warehouse: v3 alone, every business column NULL, fetched "never" (the epoch)
    expected = {"visitor_key": "v3", "is_inferred": True, "_fetched_at": utc(1970, 1, 1), "_run_id": "r9"}
    assertDataFrameEqual(out, frame(spark, DIM_VISITOR_DDL, expected))
