"""The star schema's tables as the load needs them: natural keys, business columns, lineage columns."""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import types as T

LINEAGE = ("_fetched_at", "_run_id")

#: an execution name (Step Functions: 1-80 characters; ours use these): what a run id may be wherever it goes (SQL
#: literals, bronze keys, lineage columns)
RUN_ID_PATTERN = r"^[A-Za-z0-9_.-]{1,80}$"


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


DIM_DATE = Table(
    "dim_date",
    ("date_key",),
    ("year", "quarter", "month", "month_name", "day", "day_of_week", "day_name", "iso_week", "is_weekend"),
    versioned=False,
)
#: a project (a "folder" in the dated API): GET /projects, keyed by the numeric id medias refer to (media.project.id)
DIM_PROJECT = Table(
    "dim_project",
    ("project_id",),
    (
        "hashed_id",
        "name",
        "description",
        "created_at",
        "updated_at",
        "media_count",
        "is_public",
        "is_inferred",
    ),
)
#: the schema of the project ids the warehouse holds (extract.known_project_ids; the key is a BIGINT)
PROJECT_KEY = T.StructType([T.StructField("project_id", T.LongType())])
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
MEDIA_ENGAGEMENT_CURVE = Table(
    "media_engagement_curve", ("media_id",), ("engagement", "engagement_data", "rewatch_data")
)

# issue 17: the account's days (/stats/account/by_date) and each media's lifetime stats as of the day it was fetched
FCT_ACCOUNT_DAILY = Table(
    "fct_account_daily", ("date_key",), ("load_count", "play_count", "play_rate", "hours_watched")
)
FCT_MEDIA_SNAPSHOT = Table(
    "fct_media_snapshot",
    ("media_id", "snapshot_date"),
    (
        "load_count",
        "play_count",
        "play_rate",
        "hours_watched",
        "engagement",
        "visitors",
        "cta_impressions",
        "cta_clicks",
        "cta_rate",
        "actions",
    ),
)

#: load order: dimensions before the facts that refer to them
STAR = (
    DIM_DATE,
    DIM_PROJECT,
    DIM_MEDIA,
    DIM_VISITOR,
    FCT_VIEWING_EVENT,
    FCT_MEDIA_ENGAGEMENT,
    MEDIA_ENGAGEMENT_CURVE,
    FCT_ACCOUNT_DAILY,
    FCT_MEDIA_SNAPSHOT,
)
TABLES = {t.name: t for t in STAR}

#: audit tables written by every load (columns in file order)
QUARANTINE_COLUMNS = ("source_object", "record_index", "entity", "natural_key", "reason", "record", "_run_id")
DRIFT_COLUMNS = ("_run_id", "entity", "field", "kind", "records")

#: Stage tables (analytics.stg_<name>, created by the deploy's bootstrap from sql/ddl/redshift.sql): one per star
#: table, and one each for the two audit tables the publish replaces.
STAGED = tuple(t.name for t in STAR) + ("quarantine", "schema_drift")

#: Redshift VARCHAR(n) limits, in BYTES of UTF-8, of every character column the load writes (sql/ddl/redshift.sql;
#: a test holds the two equal). Redshift counts bytes, PostgreSQL characters, and the COPY has no TRUNCATECOLUMNS,
#: so the transform guarantees every staged value fits (see wistia_pipeline/transforms/fit.py).
#: https://docs.aws.amazon.com/redshift/latest/dg/r_Character_types.html
MAX_VARCHAR = 65535
VARCHAR_BYTES: dict[str, dict[str, int]] = {
    "dim_date": {"month_name": 9, "day_name": 9},
    "dim_project": {
        "hashed_id": 40,
        "name": MAX_VARCHAR,
        "description": MAX_VARCHAR,
        "_run_id": 80,
    },
    "dim_media": {
        "media_id": 40,
        "name": MAX_VARCHAR,
        "media_type": 32,
        "status": 16,
        "project_name": MAX_VARCHAR,
        "project_hashed_id": 40,
        "section": MAX_VARCHAR,
        "tags": MAX_VARCHAR,
        "thumbnail_url": MAX_VARCHAR,
        "channel_hint": 16,
        "_run_id": 80,
    },
    "dim_visitor": {
        "visitor_key": 80,
        "name": MAX_VARCHAR,
        "email": MAX_VARCHAR,
        "org_name": MAX_VARCHAR,
        "org_title": MAX_VARCHAR,
        "browser": 64,
        "browser_version": 32,
        "platform": 64,
        "last_event_key": 80,
        "identifying_event_key": 80,
        "_run_id": 80,
    },
    "fct_viewing_event": {
        "event_key": 80,
        "media_id": 40,
        "visitor_key": 80,
        "ip": 64,
        "org": MAX_VARCHAR,
        "country": 8,
        "region": MAX_VARCHAR,
        "city": MAX_VARCHAR,
        "embed_url": MAX_VARCHAR,
        "channel": 16,
        "conversion_type": 64,
        "media_name": MAX_VARCHAR,
        "_run_id": 80,
    },
    "fct_media_engagement": {"media_id": 40, "_run_id": 80},
    "media_engagement_curve": {
        "media_id": 40,
        "engagement_data": MAX_VARCHAR,
        "rewatch_data": MAX_VARCHAR,
        "_run_id": 80,
    },
    "fct_account_daily": {"_run_id": 80},
    "fct_media_snapshot": {"media_id": 40, "actions": MAX_VARCHAR, "_run_id": 80},
    "quarantine": {
        "source_object": MAX_VARCHAR,
        "entity": 32,
        "natural_key": MAX_VARCHAR,
        "reason": MAX_VARCHAR,
        "record": MAX_VARCHAR,
        "_run_id": 80,
    },
    "schema_drift": {"_run_id": 80, "entity": 32, "field": 128, "kind": 16},
    "load_audit": {"_run_id": 80, "table_name": 64},
    "record_audit": {"_run_id": 80, "entity": 32},
}
