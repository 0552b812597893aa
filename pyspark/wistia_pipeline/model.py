"""The star schema's tables as the load needs them: natural keys, business columns, lineage columns."""

from __future__ import annotations

from dataclasses import dataclass

LINEAGE = ("_fetched_at", "_run_id")


@dataclass(frozen=True)
class Table:
    name: str
    keys: tuple[str, ...]
    columns: tuple[str, ...]  # business columns, keys excluded
    #: the load replaces a row only with a newer fetch whose business columns differ
    versioned: bool = True

    @property
    def all_columns(self) -> tuple[str, ...]:
        return self.keys + self.columns + (LINEAGE if self.versioned else ())


DIM_DATE = Table("dim_date", ("date_key",), ("year", "quarter", "month", "month_name", "day", "day_of_week", "day_name", "iso_week", "is_weekend"), versioned=False)
DIM_MEDIA = Table(
    "dim_media",
    ("media_id",),
    (
        "media_numeric_id",
        "name",
        "media_type",
        "status",
        "archived",
        "duration_seconds",
        "project_id",
        "project_name",
        "project_hashed_id",
        "section",
        "tags",
        "thumbnail_url",
        "channel_hint",
        "created_at",
        "updated_at",
        "is_inferred",
    ),
)
DIM_VISITOR = Table(
    "dim_visitor",
    ("visitor_key",),
    (
        "name",
        "email",
        "org_name",
        "org_title",
        "browser",
        "browser_version",
        "platform",
        "is_mobile",
        "created_at",
        "last_active_at",
        "load_count",
        "play_count",
        "last_event_key",
        "identifying_event_key",
        "is_inferred",
    ),
)
FCT_VIEWING_EVENT = Table(
    "fct_viewing_event",
    ("event_key",),
    (
        "media_id",
        "visitor_key",
        "event_date",
        "received_at",
        "percent_viewed",
        "ip",
        "org",
        "country",
        "region",
        "city",
        "lat",
        "lon",
        "embed_url",
        "channel",
        "conversion_type",
        "media_name",
    ),
)
FCT_MEDIA_ENGAGEMENT = Table(
    "fct_media_engagement",
    ("media_id", "snapshot_date"),
    ("load_count", "play_count", "play_rate", "hours_watched", "engagement", "visitors"),
)
MEDIA_ENGAGEMENT_CURVE = Table("media_engagement_curve", ("media_id",), ("engagement", "engagement_data", "rewatch_data"))

#: load order: dimensions before the facts that refer to them
STAR = (DIM_DATE, DIM_MEDIA, DIM_VISITOR, FCT_VIEWING_EVENT, FCT_MEDIA_ENGAGEMENT, MEDIA_ENGAGEMENT_CURVE)
TABLES = {t.name: t for t in STAR}

#: audit tables written by every load (columns in file order)
QUARANTINE_COLUMNS = ("source_object", "record_index", "entity", "natural_key", "reason", "record", "_run_id")
DRIFT_COLUMNS = ("_run_id", "entity", "field", "kind", "records")
