"""Audit: the quality gate over the built frames (wistia_pipeline.quality), before anything is published; and the
findings (issue 17), reported in the run's report, never failing it."""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from ..pipeline import Built
from ..quality import DEFAULT_RECONCILE_TOLERANCE, Finding, QualityGateError, reconcile_plays, run_checks

MEDIA_DAY = T.StructType(
    [
        T.StructField("media_id", T.StringType()),
        T.StructField("snapshot_date", T.DateType()),
        T.StructField("play_count", T.LongType()),
    ]
)


def gate(built: Built, known_media: DataFrame, known_visitors: DataFrame, quarantine_threshold: float) -> None:
    """Raises QualityGateError, naming every failed rule, when a check fails; the keys a fact may reference are this
    load's dimension rows and the warehouse's known keys."""
    frames = built.frames  # cached by build
    media_keys = frames["dim_media"].select("media_id").unionByName(known_media)
    visitor_keys = frames["dim_visitor"].select("visitor_key").unionByName(known_visitors)
    failures = run_checks(frames, media_keys, visitor_keys, built.counts, quarantine_threshold)
    if failures:
        raise QualityGateError(failures)


def media_days(spark: SparkSession, built: Built, wh, start, end) -> DataFrame:
    """Every media's daily plays from ``start`` to ``end``: this run's fct_media_engagement rows, and the warehouse's
    for the medias this run did not fetch those days (an incremental run fetches only the medias with new plays: the
    others' days are as the warehouse holds them)."""
    run = built.frames["fct_media_engagement"].select("media_id", "snapshot_date", "play_count")
    held = spark.createDataFrame(list(wh.media_daily_plays(str(start), str(end))), MEDIA_DAY)
    return run.unionByName(
        held.join(run.select("media_id", "snapshot_date"), ["media_id", "snapshot_date"], "left_anti")
    )


def findings(spark: SparkSession, built: Built, wh, tolerance: float = DEFAULT_RECONCILE_TOLERANCE) -> list[Finding]:
    """The account's days of this run reconciled with its medias' (quality.reconcile_plays)."""
    account = built.frames["fct_account_daily"]
    span = account.agg(F.min("date_key").alias("start"), F.max("date_key").alias("end")).first()
    if span is None or span["start"] is None:
        return []
    medias = media_days(spark, built, wh, span["start"], span["end"])
    return reconcile_plays(account, medias.where(F.col("snapshot_date").between(span["start"], span["end"])), tolerance)
