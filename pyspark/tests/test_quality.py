import datetime as dt

import pytest

from wistia_pipeline.pipeline import EntityCount
from wistia_pipeline.quality import (
    CheckFailure,
    QualityGateError,
    quarantine_share,
    reconciles,
    reference_checks,
    run_checks,
    table_checks,
)

D = dt.date(2026, 11, 20)
T = dt.datetime(2026, 11, 20, 6)


@pytest.fixture
def good(spark):
    ev = spark.createDataFrame(
        [("e1", "m1", "v1", T, 0.5), ("e2", "m1", "v2", T, 1.0)],
        "event_key string, media_id string, visitor_key string, received_at timestamp, percent_viewed double",
    )
    fme = spark.createDataFrame(
        [("m1", D, 4, 2, 0.5, 0.5, 0.75, 2)],
        "media_id string, snapshot_date date, load_count long, play_count long, play_rate double, hours_watched "
        "double, engagement double, visitors long",
    )
    media = spark.createDataFrame([("m1", 30.0)], "media_id string, duration_seconds double")
    visitors = spark.createDataFrame(
        [("v1", 1, 1), ("v2", 3, 2)], "visitor_key string, load_count long, play_count long"
    )
    curve = spark.createDataFrame([("m1", 0.5)], "media_id string, engagement double")
    dates = spark.createDataFrame([(D,)], "date_key date")
    account = spark.createDataFrame(
        [(D, 4, 2, 0.5, 0.5)], "date_key date, load_count long, play_count long, play_rate double, hours_watched double"
    )
    snapshot = spark.createDataFrame(
        [("m1", D, 10, 4, 0.4, 1.5, 0.6, 3, 5, 1, 0.2)],
        "media_id string, snapshot_date date, load_count long, play_count long, play_rate double, hours_watched "
        "double, engagement double, visitors long, cta_impressions long, cta_clicks long, cta_rate double",
    )
    return {
        "dim_date": dates,
        "dim_media": media,
        "dim_visitor": visitors,
        "fct_viewing_event": ev,
        "fct_media_engagement": fme,
        "media_engagement_curve": curve,
        "fct_account_daily": account,
        "fct_media_snapshot": snapshot,
    }


def keys(frames):
    return frames["dim_media"].select("media_id"), frames["dim_visitor"].select("visitor_key")


def test_clean_frames_pass_every_rule(good):
    assert run_checks(good, *keys(good), {"events": EntityCount(2, 2, 0)}) == []


def test_empty_tables_pass_every_rule(good):
    # a quiet day or an empty account: no row in any table (the gate once failed on SUM over no rows = NULL)
    empty = {name: df.limit(0) for name, df in good.items()}
    assert run_checks(empty, *keys(empty), {"events": EntityCount(0, 0, 0)}) == []


def test_duplicate_and_missing_keys_fail_naming_table_and_rule(good, spark):
    dup = good["fct_viewing_event"].unionByName(good["fct_viewing_event"].limit(1))
    assert table_checks(dup, "fct_viewing_event") == [
        CheckFailure("fct_viewing_event", "unique key", "3 rows but 2 distinct keys (event_key)")
    ]
    nokey = good["dim_media"].unionByName(
        spark.createDataFrame([(None, 1.0)], "media_id string, duration_seconds double")
    )
    assert [f.rule for f in table_checks(nokey, "dim_media")] == ["key not null"]


@pytest.mark.parametrize(
    "table,column,value,rule",
    [
        ("fct_viewing_event", "percent_viewed", 1.2, "percent_viewed in [0, 1]"),
        ("fct_media_engagement", "play_rate", 1.5, "play_rate in [0, 1]"),
        ("fct_media_engagement", "engagement", -0.1, "engagement in [0, 1]"),
        ("fct_media_engagement", "load_count", -1, "load_count >= 0"),
        ("fct_media_engagement", "hours_watched", -0.5, "hours_watched >= 0"),
        ("dim_visitor", "play_count", -3, "play_count >= 0"),
        ("fct_account_daily", "play_rate", 1.5, "play_rate in [0, 1]"),
        ("fct_account_daily", "play_count", -1, "play_count >= 0"),
        ("fct_media_snapshot", "engagement", 2.0, "engagement in [0, 1]"),
        ("fct_media_snapshot", "cta_clicks", -1, "cta_clicks >= 0"),
    ],
)
def test_each_range_rule_fails_on_purpose(good, table, column, value, rule):
    from pyspark.sql import functions as F

    bad = dict(good)
    bad[table] = good[table].withColumn(column, F.lit(value).cast(good[table].schema[column].dataType))
    failures = run_checks(bad, *keys(bad), {})
    assert [(f.table, f.rule) for f in failures] == [(table, rule)]


def test_null_received_at_fails(good):
    from pyspark.sql import functions as F

    bad = dict(
        good, fct_viewing_event=good["fct_viewing_event"].withColumn("received_at", F.lit(None).cast("timestamp"))
    )
    assert [f.rule for f in run_checks(bad, *keys(bad), {})] == ["received_at not null"]


def test_facts_must_reference_their_dimensions(good, spark):
    bad = dict(
        good,
        fct_viewing_event=good["fct_viewing_event"].unionByName(
            spark.createDataFrame([("e3", "m9", "v9", T, 0.1)], good["fct_viewing_event"].schema)
        ),
    )
    failures = reference_checks(bad, {"dim_media": bad["dim_media"], "dim_visitor": bad["dim_visitor"]})
    assert failures == [
        CheckFailure("fct_viewing_event", "media_id in dim_media", "1 value(s) missing from dim_media, e.g. 'm9'"),
        CheckFailure(
            "fct_viewing_event", "visitor_key in dim_visitor", "1 value(s) missing from dim_visitor, e.g. 'v9'"
        ),
    ]


def test_bronze_counts_must_reconcile():
    assert reconciles("events", 10, 8, 2) == []
    assert reconciles("events", 10, 7, 2) == [
        CheckFailure(
            "bronze events",
            "served = loaded + quarantined + deduplicated + skipped",
            "10 served, 7 accepted, 2 quarantined",
        )
    ]


def test_a_share_quarantined_over_the_threshold_fails_naming_entity_share_and_the_most_common_reason(good):
    # 5 % of 100 is within the default threshold; 6 % is not
    assert (
        run_checks(
            good,
            *keys(good),
            {
                "events": EntityCount(
                    100, 95, 5, top_rule="event_key: required field is missing or null", top_rule_count=3
                )
            },
        )
        == []
    )
    over = run_checks(
        good,
        *keys(good),
        {"events": EntityCount(100, 94, 6, top_rule="received_at: not a timestamp", top_rule_count=4)},
    )
    assert over == [
        CheckFailure(
            "bronze events",
            "quarantined share <= 0.05",
            "6 of 100 records (6.0%) quarantined; most common reason: received_at: not a timestamp (4)",
        )
    ]
    assert (
        str(QualityGateError(over))
        == "data-quality gate failed: bronze events: quarantined share <= 0.05: 6 of 100 records (6.0%) quarantined; "
        "most common reason: received_at: not a timestamp (4)"
    )
    # the threshold is the job's --quarantine_threshold; an entity nobody served never fails it
    assert (
        run_checks(
            good, *keys(good), {"events": EntityCount(100, 94, 6, top_rule="x", top_rule_count=6)}, threshold=0.1
        )
        == []
    )
    assert quarantine_share("visitors", 0, 0, 0.0, None, 0) == []
    assert (
        quarantine_share("visitors", 3, 1, 0.0, "visitor_key: required field is missing or null", 1)[0].detail
        == "1 of 3 records (33.3%) quarantined; most common reason: visitor_key: required field is missing or null (1)"
    )


def test_the_gate_error_names_every_failure():
    e = QualityGateError(
        [CheckFailure("fct_viewing_event", "unique key", "x"), CheckFailure("dim_media", "key not null", "y")]
    )
    assert str(e) == "data-quality gate failed: fct_viewing_event: unique key: x; dim_media: key not null: y"
