"""Issue 17: fct_account_daily and fct_media_snapshot from literal bronze records, and the reconciliation of the
account's daily plays with its medias', each compared with literal expected frames or findings."""

import datetime as dt

from pyspark.testing import assertDataFrameEqual

from wistia_pipeline import schemas
from wistia_pipeline.quality import Finding, reconcile_plays
from wistia_pipeline.transforms import account, validate

ACCOUNT_DAILY_DDL = "date_key date, load_count bigint, play_count bigint, play_rate double, hours_watched double"
SNAPSHOT_DDL = (
    "media_id string, snapshot_date date, load_count bigint, play_count bigint, play_rate double, hours_watched "
    "double, engagement double, visitors bigint, cta_impressions bigint, cta_clicks bigint, cta_rate double, "
    "actions string"
)
MEDIA_DAY_DDL = "media_id string, snapshot_date date, play_count bigint"
D18, D19, D20 = dt.date(2026, 11, 18), dt.date(2026, 11, 19), dt.date(2026, 11, 20)


def usable(records, entity, *objects):
    return validate.usable(validate.parse(records(*objects), schemas.ENTITIES[entity]))


def day(date, loads, plays, hours):
    return {"date": date, "load_count": loads, "play_count": plays, "hours_watched": hours}


def test_fct_account_daily_keeps_every_day_and_the_latest_fetch_of_a_day(records, spark):
    rows = usable(
        records,
        "account_stats",
        # the previous run's range: its "today" (the 19th) was partial
        {
            "entity": "account_stats",
            "run": "r1",
            "fetched": "2026-11-19T06:00:00.000Z",
            "records": [day("2026-11-18", 0, 0, 0), day("2026-11-19", 4, 1, 0.25)],
        },
        # this run's: the 19th again, complete, and today
        {
            "entity": "account_stats",
            "run": "r2",
            "fetched": "2026-11-20T06:00:00.000Z",
            "records": [day("2026-11-19", 10, 4, 1.5), day("2026-11-20", 8, 2, 0.5)],
        },
    )
    got = account.fct_account_daily(rows)
    assert [r["_run_id"] for r in got.orderBy("date_key").collect()] == ["r1", "r2", "r2"]
    expected = spark.createDataFrame(
        [(D18, 0, 0, None, 0.0), (D19, 10, 4, 0.4, 1.5), (D20, 8, 2, 0.25, 0.5)], ACCOUNT_DAILY_DDL
    )
    assertDataFrameEqual(got.drop("_fetched_at", "_run_id"), expected)


def test_fct_media_snapshot_sums_the_actions_and_dates_the_snapshot_by_the_run(records, spark):
    body = {"load_count": 100, "play_count": 80, "play_rate": 0.8, "hours_watched": 21.9, "engagement": 0.89}
    cta = {"type": "Call to Action", "action_count": 24, "impression_count": 84, "rate": 0.286}
    annotation = {"type": "Annotation Link", "action_count": 1, "impression_count": 16, "rate": 0.0625}
    rows = usable(
        records,
        "media_lifetime",
        {
            "entity": "media_lifetime",
            "scope": {"media": "m1"},
            "records": [{**body, "visitors": 94, "actions": [cta, annotation]}],
        },
        # a real body without an actions key, and one with none
        {"entity": "media_lifetime", "scope": {"media": "m2"}, "records": [{**body, "visitors": 3}]},
        {"entity": "media_lifetime", "scope": {"media": "m3"}, "records": [{**body, "visitors": 5, "actions": []}]},
    )
    got = account.fct_media_snapshot(rows).drop("_fetched_at", "_run_id")
    actions = (
        '[{"type":"Call to Action","action_count":24,"impression_count":84,"rate":0.286},'
        '{"type":"Annotation Link","action_count":1,"impression_count":16,"rate":0.0625}]'
    )
    expected = spark.createDataFrame(
        [
            ("m1", D20, 100, 80, 0.8, 21.9, 0.89, 94, 100, 25, 0.25, actions),
            ("m2", D20, 100, 80, 0.8, 21.9, 0.89, 3, None, None, None, None),
            ("m3", D20, 100, 80, 0.8, 21.9, 0.89, 5, 0, 0, None, "[]"),
        ],
        SNAPSHOT_DDL,
    )
    assertDataFrameEqual(got, expected)


def test_a_lifetime_body_without_its_counts_or_out_of_range_is_quarantined(records):
    parsed = validate.parse(
        records(
            {
                "entity": "media_lifetime",
                "scope": {"media": "m1"},
                "records": [{"play_count": 3}, {"load_count": 4, "play_count": 2, "play_rate": 1.5}],
            }
        ),
        schemas.ENTITIES["media_lifetime"],
    )
    assert sorted(r["reason"] for r in parsed.collect()) == [
        "load_count: required field is missing or null",
        "play_rate: 1.5 is outside [0, 1]",
    ]


def test_equal_plays_reconcile_without_a_finding(spark):
    account_daily = spark.createDataFrame([(D19, 10, 4, 0.4, 1.5), (D20, 0, 0, None, 0.0)], ACCOUNT_DAILY_DDL)
    medias = spark.createDataFrame([("m1", D19, 3), ("m2", D19, 1)], MEDIA_DAY_DDL)
    assert reconcile_plays(account_daily, medias) == []


def test_a_difference_beyond_the_tolerance_is_a_finding_with_the_day_and_both_figures(spark):
    account_daily = spark.createDataFrame(
        [(D18, 500, 200, 0.4, 1.0), (D19, 10, 4, 0.4, 1.5), (D20, 9, 3, 0.33, 0.5)], ACCOUNT_DAILY_DDL
    )
    # the 18th: 1 play in 200 (0.5 %, within 1 %); the 19th: 4 against 7; the 20th: 3 against no media at all
    medias = spark.createDataFrame([("m1", D18, 199), ("m1", D19, 5), ("m2", D19, 2)], MEDIA_DAY_DDL)
    found = reconcile_plays(account_daily, medias)
    rule = "account plays = sum of its medias' plays (within 0.01 or 1 play)"
    assert found == [
        Finding("fct_account_daily", rule, "2026-11-19", 4, 7),
        Finding("fct_account_daily", rule, "2026-11-20", 3, 0),
    ]
    assert found[0].as_dict() == {
        "table": "fct_account_daily",
        "rule": rule,
        "day": "2026-11-19",
        "account_plays": 4,
        "media_plays": 7,
        "detail": "2026-11-19: the account counts 4 plays, its medias 7 (-3)",
    }
    # a tighter tolerance reports the 18th too
    assert [f.day for f in reconcile_plays(account_daily, medias, tolerance=0.001, min_plays=0)] == [
        "2026-11-18",
        "2026-11-19",
        "2026-11-20",
    ]
