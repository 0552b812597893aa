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
        return {"served": self.served, "loaded": self.loaded, "quarantined": self.quarantined, "deduplicated": self.deduplicated, "skipped": self.skipped}


#: each entity's natural key over one parsed record (column expressions): what deduplication collapses on
NATURAL_KEYS = {
    "medias": ["p.hashed_id"],
    "visitors": ["p.visitor_key"],
    "events": ["p.event_key"],
    "media_stats": ["scope_media", "CAST(p.date AS DATE)"],
    "media_engagement": ["scope_media"],
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
    }


def build(envelopes: DataFrame, run_id: str, company_hosts: Iterable[str], hash_pii: bool, known_media: DataFrame, known_visitors: DataFrame) -> Built:
    company_hosts = list(company_hosts)
    fits = staged_columns(company_hosts, hash_pii)
    records = explode_records(envelopes).cache()
    usable: dict[str, DataFrame] = {}
    quarantine: list[DataFrame] = []
    drift: list[DataFrame] = []
    status: list[DataFrame] = []
    for entity, spec in schemas.ENTITIES.items():
        table, columns = fits[entity]
        parsed = validate.parse(records.where(F.col("entity") == entity), spec)
        # a usable record with a value over its Redshift column's bytes is quarantined (fit.py, rule 1)
        over = fit.overflow(table, columns)
        parsed = parsed.withColumn("rule", F.when(F.col("reason").isNull() & over.isNotNull(), F.lit(f"{table}: a value over its column's bytes")).otherwise(F.col("rule")))
        parsed = parsed.withColumn("reason", F.coalesce(F.col("reason"), over)).cache()
        usable[entity] = validate.usable(parsed)
        quarantine.append(validate.quarantined(parsed, spec, run_id))
        drift.append(validate.drift(parsed, spec, entity, run_id))
        key = F.concat_ws("\u0001", *[F.expr(k).cast("string") for k in NATURAL_KEYS[entity]])
        status.append(parsed.select(F.lit(entity).alias("entity"), F.col("rule"), F.when(F.col("reason").isNull(), key).alias("key")))
    # one action for every entity's accepted / distinct / quarantined-by-rule counts, one for what the API returned
    tallies = reduce(lambda a, b: a.unionByName(b), status).groupBy("entity", "rule").agg(F.count(F.lit(1)).alias("n"), F.countDistinct("key").alias("distinct")).collect()
    returned = {r["entity"]: r["n"] for r in envelopes.groupBy("entity").agg(F.sum("count").alias("n")).collect()}
    tally = {}
    for entity in schemas.ENTITIES:
        mine = [r for r in tallies if r["entity"] == entity]
        ok = next((r for r in mine if r["rule"] is None), None)
        rules = sorted(((r["n"], r["rule"]) for r in mine if r["rule"] is not None), key=lambda x: (-x[0], x[1]))
        tally[entity] = (int(returned.get(entity) or 0), ok["n"] if ok else 0, ok["distinct"] if ok else 0, rules)

    media = star.dim_media(usable["medias"])
    visitor = star.dim_visitor(usable["visitors"], hash_pii)
    entity_frames = {"medias": media, "visitors": visitor}  # before the inferred members are added
    events = star.fct_viewing_event(usable["events"], company_hosts, hash_pii).cache()
    engagement = star.fct_media_engagement(usable["media_stats"], events)
    curve = star.media_engagement_curve(usable["media_engagement"])
    referenced_media = events.select("media_id").unionByName(engagement.select("media_id")).unionByName(curve.select("media_id"))
    media = media.unionByName(star.inferred_members(referenced_media, "media_id", media, known_media, DIM_MEDIA, run_id))
    visitor = visitor.unionByName(star.inferred_members(events.select("visitor_key"), "visitor_key", visitor, known_visitors, DIM_VISITOR, run_id))
    dates = star.dim_date(events.select(F.col("event_date").alias("date_key")), engagement.select(F.col("snapshot_date").alias("date_key")))
    # the rows each entity's star frame holds (one action): distinct accepted keys less what the star leaves out
    entity_frames.update({"events": events, "media_stats": engagement, "media_engagement": curve})
    rows = {r["entity"]: r["n"] for r in reduce(lambda a, b: a.unionByName(b), [df.select(F.lit(e).alias("entity")) for e, df in entity_frames.items()]).groupBy("entity").agg(F.count(F.lit(1)).alias("n")).collect()}
    counts: dict[str, EntityCount] = {}
    for entity, (served, accepted, distinct, rules) in tally.items():
        quarantined = sum(n for n, _ in rules)
        counts[entity] = EntityCount(served, accepted, quarantined, deduplicated=accepted - distinct, skipped=distinct - int(rows.get(entity) or 0), top_rule=rules[0][1] if rules else None, top_rule_count=rules[0][0] if rules else 0)
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
