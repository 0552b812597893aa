"""Usable records -> the star schema's frames (pure DataFrame -> DataFrame functions).

Every frame carries lineage: ``_fetched_at`` (when the API answered) and ``_run_id``. Dedup keeps, per natural
key, the latest version (by the record's own version field, then the fetch time).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import reduce

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from ..model import DIM_DATE, DIM_MEDIA, DIM_VISITOR, FCT_MEDIA_ENGAGEMENT, FCT_VIEWING_EVENT, MEDIA_ENGAGEMENT_CURVE, Table
from .channel import channel_of


def _epoch() -> Column:
    return F.lit("1970-01-01T00:00:00Z").cast("timestamp")


def latest(df: DataFrame, keys: Iterable[str], *order: Column) -> DataFrame:
    """One row per key: the first by ``order`` (give descending columns for "latest")."""
    w = Window.partitionBy(*keys).orderBy(*order)
    return df.withColumn("_rn", F.row_number().over(w)).where(F.col("_rn") == 1).drop("_rn")


def _select(df: DataFrame, table: Table) -> DataFrame:
    return df.select(*table.all_columns)


def _lineage(df: DataFrame) -> DataFrame:
    return df.withColumn("_fetched_at", F.col("fetched_at")).withColumn("_run_id", F.col("run_id"))


def _pii(col: Column, hash_pii: bool) -> Column:
    return F.sha2(col, 256) if hash_pii else col


def _blank_to_null(col: Column) -> Column:
    return F.when(F.trim(col) == "", F.lit(None)).otherwise(col)


def dim_media(medias: DataFrame) -> DataFrame:
    p = lambda n: F.col(f"p.{n}")  # noqa: E731
    name = p("name")
    df = _lineage(medias).select(
        p("hashed_id").alias("media_id"),
        p("id").alias("media_numeric_id"),
        name.alias("name"),
        p("type").alias("media_type"),
        p("status").alias("status"),
        p("archived").alias("archived"),
        p("duration").alias("duration_seconds"),
        p("project.id").alias("project_id"),
        p("project.name").alias("project_name"),
        F.coalesce(p("project.hashed_id"), p("project.hashedId")).alias("project_hashed_id"),
        p("section").alias("section"),
        F.when(F.size(p("tags")) > 0, F.array_join(F.transform(p("tags"), lambda t: t["name"]), ",")).alias("tags"),
        p("thumbnail.url").alias("thumbnail_url"),
        F.when(name.rlike(r"(?i)(\bFB\b|facebook|\bmeta\b)"), "facebook").when(name.rlike(r"(?i)(\bYT\b|youtube)"), "youtube").when(name.rlike(r"(?i)\bsite\b|website"), "website").alias("channel_hint"),
        p("created").cast("timestamp").alias("created_at"),
        p("updated").cast("timestamp").alias("updated_at"),
        F.lit(False).alias("is_inferred"),
        "_fetched_at",
        "_run_id",
    )
    return _select(latest(df, ["media_id"], F.col("updated_at").desc_nulls_last(), F.col("_fetched_at").desc()), DIM_MEDIA)


def dim_visitor(visitors: DataFrame, hash_pii: bool = False) -> DataFrame:
    p = lambda n: F.col(f"p.{n}")  # noqa: E731
    df = _lineage(visitors).select(
        p("visitor_key").alias("visitor_key"),
        _blank_to_null(p("visitor_identity.name")).alias("name"),
        _pii(_blank_to_null(p("visitor_identity.email")), hash_pii).alias("email"),
        p("visitor_identity.org.name").alias("org_name"),
        p("visitor_identity.org.title").alias("org_title"),
        p("user_agent_details.browser").alias("browser"),
        p("user_agent_details.browser_version").alias("browser_version"),
        p("user_agent_details.platform").alias("platform"),
        p("user_agent_details.mobile").alias("is_mobile"),
        p("created_at").cast("timestamp").alias("created_at"),
        p("last_active_at").cast("timestamp").alias("last_active_at"),
        p("load_count").alias("load_count"),
        p("play_count").alias("play_count"),
        p("last_event_key").alias("last_event_key"),
        p("identifying_event_key").alias("identifying_event_key"),
        F.lit(False).alias("is_inferred"),
        "_fetched_at",
        "_run_id",
    )
    return _select(latest(df, ["visitor_key"], F.col("_fetched_at").desc(), F.col("last_active_at").desc_nulls_last()), DIM_VISITOR)


def fct_viewing_event(events: DataFrame, company_hosts: Iterable[str], hash_pii: bool = False) -> DataFrame:
    p = lambda n: F.col(f"p.{n}")  # noqa: E731
    received = p("received_at").cast("timestamp")
    df = _lineage(events).select(
        p("event_key").alias("event_key"),
        p("media_id").alias("media_id"),
        p("visitor_key").alias("visitor_key"),
        F.to_date(received).alias("event_date"),
        received.alias("received_at"),
        p("percent_viewed").alias("percent_viewed"),
        _pii(p("ip"), hash_pii).alias("ip"),
        p("org").alias("org"),
        p("country").alias("country"),
        p("region").alias("region"),
        p("city").alias("city"),
        p("lat").alias("lat"),
        p("lon").alias("lon"),
        p("embed_url").alias("embed_url"),
        channel_of(p("embed_url"), list(company_hosts)).alias("channel"),
        _blank_to_null(p("conversion_type")).alias("conversion_type"),
        p("media_name").alias("media_name"),
        "_fetched_at",
        "_run_id",
    )
    return _select(latest(df, ["event_key"], F.col("_fetched_at").desc()), FCT_VIEWING_EVENT)


def fct_media_engagement(stats_by_date: DataFrame, viewing_events: DataFrame) -> DataFrame:
    """Days with activity from the stats by date, with engagement and visitors from that day's events."""
    p = lambda n: F.col(f"p.{n}")  # noqa: E731
    days = _lineage(stats_by_date).select(
        F.col("scope_media").alias("media_id"),
        p("date").cast("date").alias("snapshot_date"),
        p("load_count").alias("load_count"),
        p("play_count").alias("play_count"),
        p("hours_watched").alias("hours_watched"),
        "_fetched_at",
        "_run_id",
    )
    days = latest(days, ["media_id", "snapshot_date"], F.col("_fetched_at").desc())
    days = days.where((F.col("load_count") > 0) | (F.col("play_count") > 0) | (F.col("hours_watched") > 0))
    per_day = viewing_events.groupBy(F.col("media_id"), F.col("event_date").alias("snapshot_date")).agg(
        F.avg("percent_viewed").alias("engagement"), F.countDistinct("visitor_key").alias("visitors")
    )
    out = (
        days.join(per_day, ["media_id", "snapshot_date"], "left")
        .withColumn("play_rate", F.when(F.col("load_count") > 0, F.col("play_count") / F.col("load_count")))
        .withColumn("visitors", F.coalesce(F.col("visitors"), F.lit(0)).cast("long"))
    )
    return _select(out, FCT_MEDIA_ENGAGEMENT)


def media_engagement_curve(engagement: DataFrame) -> DataFrame:
    df = _lineage(engagement).select(
        F.col("scope_media").alias("media_id"),
        F.col("p.engagement").alias("engagement"),
        F.to_json(F.col("p.engagement_data")).alias("engagement_data"),
        F.to_json(F.coalesce(F.col("p.rewatch_data"), F.array().cast("array<bigint>"))).alias("rewatch_data"),
        "_fetched_at",
        "_run_id",
    )
    return _select(latest(df, ["media_id"], F.col("_fetched_at").desc()), MEDIA_ENGAGEMENT_CURVE)


def dim_date(*dates: DataFrame) -> DataFrame:
    """Calendar rows for every date in the given single-column (date_key) frames."""
    all_dates = reduce(lambda a, b: a.unionByName(b), dates)
    d = F.col("date_key")
    dow = F.dayofweek(d)  # 1 = Sunday … 7 = Saturday
    out = all_dates.where(d.isNotNull()).distinct().select(
        d,
        F.year(d).cast("short").alias("year"),
        F.quarter(d).cast("short").alias("quarter"),
        F.month(d).cast("short").alias("month"),
        F.date_format(d, "MMMM").alias("month_name"),
        F.dayofmonth(d).cast("short").alias("day"),
        (((dow + 5) % 7) + 1).cast("short").alias("day_of_week"),
        F.date_format(d, "EEEE").alias("day_name"),
        F.weekofyear(d).cast("short").alias("iso_week"),
        dow.isin(1, 7).alias("is_weekend"),
    )
    return out.select(*DIM_DATE.all_columns)


def inferred_members(referenced: DataFrame, key: str, dimension: DataFrame, known_keys: DataFrame, table: Table, run_id: str) -> DataFrame:
    """Dimension rows for keys that facts reference but neither this load nor the warehouse holds yet."""
    missing = referenced.select(key).distinct().join(dimension.select(key), key, "left_anti").join(known_keys.select(key), key, "left_anti")
    cols = []
    for c in table.columns:
        if c == "is_inferred":
            cols.append(F.lit(True).alias(c))
        else:
            cols.append(F.lit(None).cast(dimension.schema[c].dataType).alias(c))
    return missing.select(F.col(key), *cols, _epoch().alias("_fetched_at"), F.lit(run_id).alias("_run_id")).select(*table.all_columns)
