"""Usable records -> the star schema's frames (pure DataFrame -> DataFrame functions).

Every frame carries lineage: ``_fetched_at`` (when the API answered) and ``_run_id``. Dedup keeps, per natural
key, the latest version (by the record's own version field, then the fetch time).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import reduce

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from ..model import (
    DIM_DATE,
    DIM_MEDIA,
    DIM_PROJECT,
    DIM_VISITOR,
    FCT_MEDIA_ENGAGEMENT,
    FCT_VIEWING_EVENT,
    MEDIA_ENGAGEMENT_CURVE,
    Table,
)
from .channel import channel_of


def _epoch() -> Column:
    return F.lit("1970-01-01T00:00:00Z").cast("timestamp")


def latest(df: DataFrame, keys: Iterable[str], *order: Column) -> DataFrame:
    """One row per key: the first by ``order`` (give descending columns for "latest")."""
    w = Window.partitionBy(*keys).orderBy(*order)
    return df.withColumn("_rn", F.row_number().over(w)).where(F.col("_rn") == 1).drop("_rn")


def _select(df: DataFrame, table: Table) -> DataFrame:
    return df.select(*table.all_columns)


def _pii(col: Column, hash_pii: bool) -> Column:
    return F.sha2(col, 256) if hash_pii else col


def _blank_to_null(col: Column) -> Column:
    return F.when(F.trim(col) == "", F.lit(None)).otherwise(col)


def _p(name: str) -> Column:
    return F.col(f"p.{name}")


def _lineage_columns() -> dict[str, Column]:
    return {"_fetched_at": F.col("fetched_at"), "_run_id": F.col("run_id")}


def _project(df: DataFrame, columns: dict[str, Column]) -> DataFrame:
    return df.select(*[c.alias(n) for n, c in columns.items()])


def media_columns() -> dict[str, Column]:
    """dim_media's columns as expressions over one parsed medias record (also what fit.overflow checks)."""
    p = _p
    name = p("name")
    return {
        "media_id": p("hashed_id"),
        "media_numeric_id": p("id"),
        "name": name,
        "media_type": p("type"),
        "status": p("status"),
        "archived": p("archived"),
        "duration_seconds": p("duration"),
        # v1's `project` is the dated API's `folder` (either lands the same row)
        "project_id": F.coalesce(p("project.id"), p("folder.id")),
        "project_name": F.coalesce(p("project.name"), p("folder.name")),
        "project_hashed_id": F.coalesce(
            p("project.hashed_id"), p("project.hashedId"), p("folder.hashed_id"), p("folder.hashedId")
        ),
        "section": p("section"),
        "tags": F.when(F.size(p("tags")) > 0, F.array_join(F.transform(p("tags"), lambda t: t["name"]), ",")),
        "thumbnail_url": p("thumbnail.url"),
        "channel_hint": F.when(name.rlike(r"(?i)(\bFB\b|facebook|\bmeta\b)"), "facebook")
        .when(name.rlike(r"(?i)(\bYT\b|youtube)"), "youtube")
        .when(name.rlike(r"(?i)\bsite\b|website"), "website"),
        "created_at": p("created").cast("timestamp"),
        "updated_at": p("updated").cast("timestamp"),
        "is_inferred": F.lit(False),
        **_lineage_columns(),
    }


def dim_media(medias: DataFrame) -> DataFrame:
    df = _project(medias, media_columns())
    return _select(
        latest(df, ["media_id"], F.col("updated_at").desc_nulls_last(), F.col("_fetched_at").desc()), DIM_MEDIA
    )


def project_columns() -> dict[str, Column]:
    """dim_project's columns as expressions over one parsed projects record (v1's GET /projects in camelCase, the
    dated API's GET /folders in snake_case)."""
    p = _p
    return {
        "project_id": p("id"),
        "hashed_id": F.coalesce(p("hashedId"), p("hashed_id")),
        "name": p("name"),
        "description": p("description"),
        "created_at": p("created").cast("timestamp"),
        "updated_at": p("updated").cast("timestamp"),
        "media_count": F.coalesce(p("mediaCount"), p("media_count")),
        "is_public": p("public"),
        "is_inferred": F.lit(False),
        **_lineage_columns(),
    }


def dim_project(projects: DataFrame) -> DataFrame:
    """One row per project id: its latest version (by ``updated``, then the fetch)."""
    df = _project(projects, project_columns())
    return _select(
        latest(df, ["project_id"], F.col("updated_at").desc_nulls_last(), F.col("_fetched_at").desc()), DIM_PROJECT
    )


def inferred_projects(media: DataFrame, projects: DataFrame, known_projects: DataFrame, run_id: str) -> DataFrame:
    """dim_project rows for the projects medias name that neither this load's listing nor the warehouse holds (a
    project the incremental listing did not reach, or a quarantined one): the id, with the hashed id and name the
    media carries, marked inferred, so that dim_media.project_id always has its row (a real foreign key). The next
    listing that brings the project replaces it (its fetch is newer than the epoch)."""
    named = media.where(F.col("project_id").isNotNull()).select(
        "project_id",
        F.col("project_hashed_id").alias("hashed_id"),
        F.col("project_name").alias("name"),
        F.col("_fetched_at"),
    )
    missing = named.join(projects.select("project_id"), "project_id", "left_anti").join(
        known_projects.select("project_id"), "project_id", "left_anti"
    )
    one = latest(missing, ["project_id"], F.col("_fetched_at").desc())
    schema = projects.schema
    columns = {
        "project_id": F.col("project_id"),
        "hashed_id": F.col("hashed_id"),
        "name": F.col("name"),
        "is_inferred": F.lit(True),
        "_fetched_at": _epoch(),
        "_run_id": F.lit(run_id),
    }
    return one.select(
        *[
            (columns[c] if c in columns else F.lit(None)).cast(schema[c].dataType).alias(c)
            for c in DIM_PROJECT.all_columns
        ]
    )


def visitor_columns(hash_pii: bool = False) -> dict[str, Column]:
    p = _p
    return {
        "visitor_key": p("visitor_key"),
        "name": _blank_to_null(p("visitor_identity.name")),
        "email": _pii(_blank_to_null(p("visitor_identity.email")), hash_pii),
        "org_name": p("visitor_identity.org.name"),
        "org_title": p("visitor_identity.org.title"),
        "browser": p("user_agent_details.browser"),
        "browser_version": p("user_agent_details.browser_version"),
        "platform": p("user_agent_details.platform"),
        "is_mobile": p("user_agent_details.mobile"),
        "created_at": p("created_at").cast("timestamp"),
        "last_active_at": p("last_active_at").cast("timestamp"),
        "load_count": p("load_count"),
        "play_count": p("play_count"),
        "last_event_key": p("last_event_key"),
        "identifying_event_key": p("identifying_event_key"),
        "is_inferred": F.lit(False),
        **_lineage_columns(),
    }


def dim_visitor(visitors: DataFrame, hash_pii: bool = False) -> DataFrame:
    df = _project(visitors, visitor_columns(hash_pii))
    return _select(
        latest(df, ["visitor_key"], F.col("_fetched_at").desc(), F.col("last_active_at").desc_nulls_last()), DIM_VISITOR
    )


def event_columns(company_hosts: Iterable[str], hash_pii: bool = False) -> dict[str, Column]:
    p = _p
    received = p("received_at").cast("timestamp")
    return {
        "event_key": p("event_key"),
        "media_id": p("media_id"),
        "visitor_key": p("visitor_key"),
        "event_date": F.to_date(received),
        "received_at": received,
        "percent_viewed": p("percent_viewed"),
        "ip": _pii(p("ip"), hash_pii),
        "org": p("org"),
        "country": p("country"),
        "region": p("region"),
        "city": p("city"),
        "lat": p("lat"),
        "lon": p("lon"),
        "embed_url": p("embed_url"),
        "channel": channel_of(p("embed_url"), list(company_hosts)),
        "conversion_type": _blank_to_null(p("conversion_type")),
        "media_name": p("media_name"),
        **_lineage_columns(),
    }


def fct_viewing_event(events: DataFrame, company_hosts: Iterable[str], hash_pii: bool = False) -> DataFrame:
    df = _project(events, event_columns(company_hosts, hash_pii))
    return _select(latest(df, ["event_key"], F.col("_fetched_at").desc()), FCT_VIEWING_EVENT)


def stats_columns() -> dict[str, Column]:
    """One stats-by-date record's columns of fct_media_engagement (the rest comes from that day's events)."""
    p = _p
    return {
        "media_id": F.col("scope_media"),
        "snapshot_date": p("date").cast("date"),
        "load_count": p("load_count"),
        "play_count": p("play_count"),
        "hours_watched": p("hours_watched"),
        **_lineage_columns(),
    }


def fct_media_engagement(stats_by_date: DataFrame, viewing_events: DataFrame) -> DataFrame:
    """Days with activity from the stats by date, with engagement and visitors from that day's events."""
    days = _project(stats_by_date, stats_columns())
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


def curve_columns() -> dict[str, Column]:
    return {
        "media_id": F.col("scope_media"),
        "engagement": F.col("p.engagement"),
        "engagement_data": F.to_json(F.col("p.engagement_data")),
        "rewatch_data": F.to_json(F.coalesce(F.col("p.rewatch_data"), F.array().cast("array<bigint>"))),
        **_lineage_columns(),
    }


def media_engagement_curve(engagement: DataFrame) -> DataFrame:
    df = _project(engagement, curve_columns())
    return _select(latest(df, ["media_id"], F.col("_fetched_at").desc()), MEDIA_ENGAGEMENT_CURVE)


def dim_date(*dates: DataFrame) -> DataFrame:
    """Calendar rows for every date in the given single-column (date_key) frames."""
    all_dates = reduce(lambda a, b: a.unionByName(b), dates)
    d = F.col("date_key")
    dow = F.dayofweek(d)  # 1 = Sunday … 7 = Saturday
    out = (
        all_dates.where(d.isNotNull())
        .distinct()
        .select(
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
    )
    return out.select(*DIM_DATE.all_columns)


def inferred_members(
    referenced: DataFrame, key: str, dimension: DataFrame, known_keys: DataFrame, table: Table, run_id: str
) -> DataFrame:
    """Dimension rows for keys that facts reference but neither this load nor the warehouse holds yet."""
    missing = (
        referenced.select(key)
        .distinct()
        .join(dimension.select(key), key, "left_anti")
        .join(known_keys.select(key), key, "left_anti")
    )
    cols = []
    for c in table.columns:
        if c == "is_inferred":
            cols.append(F.lit(True).alias(c))
        else:
            cols.append(F.lit(None).cast(dimension.schema[c].dataType).alias(c))
    return missing.select(F.col(key), *cols, _epoch().alias("_fetched_at"), F.lit(run_id).alias("_run_id")).select(
        *table.all_columns
    )
