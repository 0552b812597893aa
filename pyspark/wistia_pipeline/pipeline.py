"""Bronze envelopes -> validated, deduplicated star-schema frames, quarantine and drift (no I/O here)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import reduce

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from . import schemas
from .model import DIM_MEDIA, DIM_VISITOR, PROJECT_KEY
from .transforms import account, fit, star, validate
from .transforms.records import explode_records


@dataclass(frozen=True)
class EntityCount:
    """One entity's records in one run (issue 12): served = loaded + quarantined + deduplicated + skipped."""

    #: records the API served (the bronze envelopes' counts)
    served: int
    #: records usable as served or after a loss-free coercion
    accepted: int
    quarantined: int
    #: accepted records another record of the run superseded (the same natural key, fetched again)
    deduplicated: int = 0
    #: accepted records the star leaves out by design (a by_date day without any activity)
    skipped: int = 0
    #: the most common quarantine rule (the reason without its values) and how many records it took
    top_rule: str | None = None
    top_rule_count: int = 0

    @property
    def loaded(self) -> int:
        return self.accepted - self.deduplicated - self.skipped

    def as_dict(self) -> dict[str, int]:
        return {
            "served": self.served,
            "loaded": self.loaded,
            "quarantined": self.quarantined,
            "deduplicated": self.deduplicated,
            "skipped": self.skipped,
        }


#: each entity's natural key over one parsed record (column expressions): what deduplication collapses on
NATURAL_KEYS = {
    "medias": ["p.hashed_id"],
    "visitors": ["p.visitor_key"],
    "events": ["p.event_key"],
    "media_stats": ["scope_media", "CAST(p.date AS DATE)"],
    "media_engagement": ["scope_media"],
    "projects": ["p.id"],
    "account_stats": ["CAST(p.date AS DATE)"],
    "media_lifetime": ["scope_media"],
}


@dataclass
class Built:
    frames: dict[str, DataFrame]
    quarantine: DataFrame
    drift: DataFrame
    #: per bronze entity: what was served, loaded, quarantined, deduplicated, skipped
    counts: dict[str, EntityCount]


def staged_columns(company_hosts: list[str], hash_pii: bool) -> dict[str, tuple[str, dict]]:
    """Per bronze entity: the star table its records feed and that table's columns as expressions over one record
    (the star builders' own), so that fit.overflow checks exactly the values the load stages."""
    return {
        "medias": ("dim_media", star.media_columns()),
        "visitors": ("dim_visitor", star.visitor_columns(hash_pii)),
        "events": ("fct_viewing_event", star.event_columns(company_hosts, hash_pii)),
        "media_stats": ("fct_media_engagement", star.stats_columns()),
        "media_engagement": ("media_engagement_curve", star.curve_columns()),
        "projects": ("dim_project", star.project_columns()),
        "account_stats": ("fct_account_daily", account.account_daily_columns()),
        "media_lifetime": ("fct_media_snapshot", account.snapshot_columns()),
    }


#: what one entity's parsed records keep (truncated below): the record's raw text only where it is quarantined
#: (issue 13: a partition of the bronze by entity, released when the job ends)
KEPT = [
    "entity",
    "run_id",
    "ingest_date",
    "source_object",
    "record_index",
    "fetched_at",
    "scope_media",
    "page_count",
    "p",
    "coerced",
    "reason",
    "rule",
    "natural_key",
    "found",
]


def truncated(df: DataFrame) -> DataFrame:
    """``df`` computed now and kept (memory, spilling to disk), as a frame whose plan is just those rows: what is built
    on it is analysed and planned over a leaf, not over the whole parse again (issue 13, ADR 18: half the fixed cost
    of a small run was Spark re-analysing and re-planning the parse under every later step). A local checkpoint is
    kept by the executors' block managers and has no lineage: if an executor holding a part is lost, the job fails
    (and the run with it, advancing no watermark) instead of recomputing it
    (https://spark.apache.org/docs/3.5.4/api/python/reference/pyspark.sql/api/pyspark.sql.DataFrame.localCheckpoint.html).
    The job releases every kept part when it ends (glue_job.release)."""
    return df.localCheckpoint(eager=True)


def build(
    envelopes: DataFrame | dict[str, DataFrame],
    run_id: str,
    company_hosts: Iterable[str],
    hash_pii: bool,
    known_media: DataFrame,
    known_visitors: DataFrame,
    known_projects: DataFrame | None = None,
) -> Built:
    """``envelopes``: the run's bronze envelopes, one frame, or one frame per entity (the job reads each entity's
    objects by its own glob, so that filtering by entity reads nothing twice). ``known_*``: the keys the warehouse
    holds (one-column frames; ``known_projects`` of project_id, none when not given)."""
    company_hosts = list(company_hosts)
    fits = staged_columns(company_hosts, hash_pii)
    by_entity = envelopes if isinstance(envelopes, dict) else None
    # a record with a repeated key parses as its last value (the typed struct does the same), not as an error
    # (spark.sql.mapKeyDedupPolicy's default, EXCEPTION, would fail the whole job over one record)
    (next(iter(by_entity.values())) if by_entity else envelopes).sparkSession.conf.set(
        "spark.sql.mapKeyDedupPolicy", "LAST_WIN"
    )
    usable: dict[str, DataFrame] = {}
    quarantine: list[DataFrame] = []
    drift: list[DataFrame] = []
    status: list[DataFrame] = []
    for entity, spec in schemas.ENTITIES.items():
        table, columns = fits[entity]
        source = (
            explode_records(by_entity[entity])
            if by_entity
            else explode_records(envelopes).where(F.col("entity") == entity)
        )
        parsed = validate.parse(source, spec)
        # a usable record with a value over its Redshift column's bytes is quarantined (fit.py, rule 1)
        over = fit.overflow(table, columns)
        parsed = parsed.withColumn("over", over)
        fitted = {
            "rule": F.when(
                F.col("reason").isNull() & F.col("over").isNotNull(), F.lit(f"{table}: a value over its column's bytes")
            ).otherwise(F.col("rule")),
            "reason": F.coalesce(F.col("reason"), F.col("over")),
        }
        kept = [fitted[k].alias(k) if k in fitted else F.col(k) for k in KEPT]
        parsed = truncated(parsed.select(*kept, F.when(fitted["reason"].isNotNull(), F.col("raw")).alias("raw")))
        usable[entity] = validate.usable(parsed)
        quarantine.append(validate.quarantined(parsed, spec, run_id))
        drift.append(validate.drift(parsed, spec, entity, run_id))
        key = F.concat_ws("\u0001", *[F.expr(k).cast("string") for k in NATURAL_KEYS[entity]])
        status.append(
            parsed.select(
                F.lit(entity).alias("entity"),
                F.col("rule"),
                F.when(F.col("reason").isNull(), key).alias("key"),
                F.when(F.col("record_index") == 0, F.col("page_count")).alias("page_count"),
            )
        )
    # one action for every entity's served / accepted / distinct / quarantined-by-rule counts;
    # served: the envelopes' counts, read from each page's first record (the bronze is read once: issue 13)
    tallies = (
        reduce(lambda a, b: a.unionByName(b), status)
        .groupBy("entity", "rule")
        .agg(
            F.count(F.lit(1)).alias("n"), F.countDistinct("key").alias("distinct"), F.sum("page_count").alias("served")
        )
        .collect()
    )
    tally = {}
    for entity in schemas.ENTITIES:
        mine = [r for r in tallies if r["entity"] == entity]
        ok = next((r for r in mine if r["rule"] is None), None)
        rules = sorted(((r["n"], r["rule"]) for r in mine if r["rule"] is not None), key=lambda x: (-x[0], x[1]))
        tally[entity] = (
            sum(int(r["served"] or 0) for r in mine),
            ok["n"] if ok else 0,
            ok["distinct"] if ok else 0,
            rules,
        )

    project = star.dim_project(usable["projects"])
    media = star.dim_media(usable["medias"])
    visitor = star.dim_visitor(usable["visitors"], hash_pii)
    events = star.fct_viewing_event(usable["events"], company_hosts, hash_pii)
    engagement = star.fct_media_engagement(usable["media_stats"], events)
    curve = star.media_engagement_curve(usable["media_engagement"])
    account_daily = account.fct_account_daily(usable["account_stats"])
    snapshot = account.fct_media_snapshot(usable["media_lifetime"])
    referenced_media = (
        events.select("media_id")
        .unionByName(engagement.select("media_id"))
        .unionByName(curve.select("media_id"))
        .unionByName(snapshot.select("media_id"))
    )
    media = media.unionByName(
        star.inferred_members(referenced_media, "media_id", media, known_media, DIM_MEDIA, run_id)
    )
    if known_projects is None:
        known_projects = project.sparkSession.createDataFrame([], PROJECT_KEY)
    project = project.unionByName(star.inferred_projects(media, project, known_projects, run_id))
    visitor = visitor.unionByName(
        star.inferred_members(events.select("visitor_key"), "visitor_key", visitor, known_visitors, DIM_VISITOR, run_id)
    )
    dates = star.dim_date(
        events.select(F.col("event_date").alias("date_key")),
        engagement.select(F.col("snapshot_date").alias("date_key")),
        # the account's days with activity only: its empty days (two years of them on a backfill) are facts of its
        # own table, not days the calendar lists (week views list dim_date's weeks)
        account_daily.where(
            (F.col("load_count") > 0) | (F.col("play_count") > 0) | (F.col("hours_watched") > 0)
        ).select("date_key"),
        snapshot.select(F.col("snapshot_date").alias("date_key")),
    )
    frames = {
        "dim_date": dates,
        "dim_project": project,
        "dim_media": media,
        "dim_visitor": visitor,
        "fct_viewing_event": events,
        "fct_media_engagement": engagement,
        "media_engagement_curve": curve,
        "fct_account_daily": account_daily,
        "fct_media_snapshot": snapshot,
    }
    # text is never empty in either warehouse (fit.py, rule 4); the frames the gate checks and the load stages
    frames = {name: truncated(fit.blank_to_null(df)) for name, df in frames.items()}
    # the rows each entity's star frame holds (one action): distinct accepted keys
    # less what the star leaves out; a dimension's inferred members are not records of its entity
    entity_frames = {
        "medias": frames["dim_media"].where(~F.col("is_inferred")),
        "visitors": frames["dim_visitor"].where(~F.col("is_inferred")),
        "events": frames["fct_viewing_event"],
        "media_stats": frames["fct_media_engagement"],
        "media_engagement": frames["media_engagement_curve"],
        "projects": frames["dim_project"].where(~F.col("is_inferred")),
        "account_stats": frames["fct_account_daily"],
        "media_lifetime": frames["fct_media_snapshot"],
    }
    probes = [df.select(F.lit(e).alias("entity")) for e, df in entity_frames.items()] + [
        frames["dim_date"].select(F.lit("dim_date").alias("entity"))
    ]
    rows = {
        r["entity"]: r["n"]
        for r in reduce(lambda a, b: a.unionByName(b), probes)
        .groupBy("entity")
        .agg(F.count(F.lit(1)).alias("n"))
        .collect()
    }
    counts: dict[str, EntityCount] = {}
    for entity, (served, accepted, distinct, rules) in tally.items():
        quarantined = sum(n for n, _ in rules)
        counts[entity] = EntityCount(
            served,
            accepted,
            quarantined,
            deduplicated=accepted - distinct,
            skipped=distinct - int(rows.get(entity) or 0),
            top_rule=rules[0][1] if rules else None,
            top_rule_count=rules[0][0] if rules else 0,
        )

    def union(frames: list[DataFrame]) -> DataFrame:
        return reduce(lambda a, b: a.unionByName(b), frames)

    q, d = union(quarantine), union(drift)
    return Built(frames=frames, quarantine=fit.blank_to_null(q), drift=fit.blank_to_null(d), counts=counts)
