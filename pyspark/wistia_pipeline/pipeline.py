"""Bronze envelopes -> validated, deduplicated star-schema frames, quarantine and drift (no I/O here)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import reduce

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from . import schemas
from .model import DIM_MEDIA, DIM_VISITOR
from .transforms import fit, star, validate
from .transforms.records import explode_records


@dataclass
class Built:
    frames: dict[str, DataFrame]
    quarantine: DataFrame
    drift: DataFrame
    #: per bronze entity: (records, accepted, quarantined)
    counts: dict[str, tuple[int, int, int]]


def staged_columns(company_hosts: list[str], hash_pii: bool) -> dict[str, tuple[str, dict]]:
    """Per bronze entity: the star table its records feed and that table's columns as expressions over one record
    (the star builders' own), so that fit.overflow checks exactly the values the load stages."""
    return {
        "medias": ("dim_media", star.media_columns()),
        "visitors": ("dim_visitor", star.visitor_columns(hash_pii)),
        "events": ("fct_viewing_event", star.event_columns(company_hosts, hash_pii)),
        "media_stats": ("fct_media_engagement", star.stats_columns()),
        "media_engagement": ("media_engagement_curve", star.curve_columns()),
    }


def build(envelopes: DataFrame, run_id: str, company_hosts: Iterable[str], hash_pii: bool, known_media: DataFrame, known_visitors: DataFrame) -> Built:
    company_hosts = list(company_hosts)
    fits = staged_columns(company_hosts, hash_pii)
    records = explode_records(envelopes).cache()
    usable: dict[str, DataFrame] = {}
    quarantine: list[DataFrame] = []
    drift: list[DataFrame] = []
    counts: dict[str, tuple[int, int, int]] = {}
    status: list[DataFrame] = []
    for entity, spec in schemas.ENTITIES.items():
        table, columns = fits[entity]
        parsed = validate.parse(records.where(F.col("entity") == entity), spec)
        # a usable record with a value over its Redshift column's bytes is quarantined (fit.py, rule 1)
        parsed = parsed.withColumn("reason", F.coalesce(F.col("reason"), fit.overflow(table, columns))).cache()
        usable[entity] = validate.usable(parsed)
        quarantine.append(validate.quarantined(parsed, spec, run_id))
        drift.append(validate.drift(parsed, spec, entity, run_id))
        status.append(parsed.select(F.lit(entity).alias("entity"), F.col("reason").isNull().alias("ok")))
    # one action for every entity's accepted / quarantined counts, one for what the API said it returned
    tallies = reduce(lambda a, b: a.unionByName(b), status).groupBy("entity", "ok").count().collect()
    returned = {r["entity"]: r["n"] for r in envelopes.groupBy("entity").agg(F.sum("count").alias("n")).collect()}
    for entity in schemas.ENTITIES:
        ok = sum(r["count"] for r in tallies if r["entity"] == entity and r["ok"])
        bad = sum(r["count"] for r in tallies if r["entity"] == entity and not r["ok"])
        counts[entity] = (int(returned.get(entity) or 0), ok, bad)

    media = star.dim_media(usable["medias"])
    visitor = star.dim_visitor(usable["visitors"], hash_pii)
    events = star.fct_viewing_event(usable["events"], company_hosts, hash_pii).cache()
    engagement = star.fct_media_engagement(usable["media_stats"], events)
    curve = star.media_engagement_curve(usable["media_engagement"])
    referenced_media = events.select("media_id").unionByName(engagement.select("media_id")).unionByName(curve.select("media_id"))
    media = media.unionByName(star.inferred_members(referenced_media, "media_id", media, known_media, DIM_MEDIA, run_id))
    visitor = visitor.unionByName(star.inferred_members(events.select("visitor_key"), "visitor_key", visitor, known_visitors, DIM_VISITOR, run_id))
    dates = star.dim_date(events.select(F.col("event_date").alias("date_key")), engagement.select(F.col("snapshot_date").alias("date_key")))
    frames = {
        "dim_date": dates,
        "dim_media": media,
        "dim_visitor": visitor,
        "fct_viewing_event": events,
        "fct_media_engagement": engagement,
        "media_engagement_curve": curve,
    }
    union = lambda frames: reduce(lambda a, b: a.unionByName(b), frames)  # noqa: E731
    q, d = union(quarantine), union(drift)
    # text is never empty in either warehouse (fit.py, rule 4)
    frames = {name: fit.blank_to_null(df) for name, df in frames.items()}
    return Built(frames=frames, quarantine=fit.blank_to_null(q), drift=fit.blank_to_null(d), counts=counts)
