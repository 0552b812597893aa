"""The data-quality gate: write, audit, publish. Each check names the table and the rule; any failure stops
the load before anything is published."""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from .model import TABLES


@dataclass(frozen=True)
class CheckFailure:
    table: str
    rule: str
    detail: str

    def __str__(self) -> str:
        return f"{self.table}: {self.rule}: {self.detail}"


class QualityGateError(Exception):
    def __init__(self, failures: list[CheckFailure]):
        self.failures = failures
        super().__init__("data-quality gate failed: " + "; ".join(str(f) for f in failures))


def unique_keys(df: DataFrame, table: str) -> list[CheckFailure]:
    keys = list(TABLES[table].keys)
    dups = df.groupBy(*keys).count().where(F.col("count") > 1)
    n = dups.count()
    if n == 0:
        return []
    example = dups.first()
    return [CheckFailure(table, "unique key", f"{n} key(s) appear more than once, e.g. {tuple(example[k] for k in keys)}")]


def not_null(df: DataFrame, table: str, column: str) -> list[CheckFailure]:
    n = df.where(F.col(column).isNull()).count()
    return [CheckFailure(table, f"{column} not null", f"{n} row(s) have no {column}")] if n else []


def references(df: DataFrame, table: str, column: str, dim_keys: DataFrame, dim: str, dim_key: str) -> list[CheckFailure]:
    orphans = df.select(F.col(column).alias(dim_key)).distinct().join(dim_keys.select(dim_key).distinct(), dim_key, "left_anti")
    n = orphans.count()
    if n == 0:
        return []
    return [CheckFailure(table, f"{column} in {dim}", f"{n} value(s) missing from {dim}, e.g. {orphans.first()[dim_key]!r}")]


def in_range(df: DataFrame, table: str, column: str, lo: float, hi: float | None = None) -> list[CheckFailure]:
    c = F.col(column)
    bad = df.where(c.isNotNull() & ((c < lo) | (c > hi) if hi is not None else (c < lo)))
    n = bad.count()
    if n == 0:
        return []
    rng = f"[{lo:g}, {hi:g}]" if hi is not None else f">= {lo:g}"
    return [CheckFailure(table, f"{column} {rng}", f"{n} row(s) outside, e.g. {bad.first()[column]!r}")]


def reconciles(entity: str, records: int, accepted: int, quarantined: int) -> list[CheckFailure]:
    if records == accepted + quarantined:
        return []
    return [CheckFailure(f"bronze {entity}", "records = accepted + quarantined", f"{records} records, {accepted} accepted, {quarantined} quarantined")]


def run_checks(frames: dict[str, DataFrame], media_keys: DataFrame, visitor_keys: DataFrame, counts: dict[str, tuple[int, int, int]]) -> list[CheckFailure]:
    """All rules over the frames about to be published.

    ``media_keys``/``visitor_keys``: every key the dimensions will hold after the load (this load's and the
    warehouse's). ``counts``: per bronze entity, (records, accepted, quarantined).
    """
    out: list[CheckFailure] = []
    for entity, (records, accepted, quarantined) in counts.items():
        out += reconciles(entity, records, accepted, quarantined)
    for name, df in frames.items():
        out += unique_keys(df, name)
    ev = frames["fct_viewing_event"]
    fme = frames["fct_media_engagement"]
    out += references(ev, "fct_viewing_event", "media_id", media_keys, "dim_media", "media_id")
    out += references(ev, "fct_viewing_event", "visitor_key", visitor_keys, "dim_visitor", "visitor_key")
    out += references(fme, "fct_media_engagement", "media_id", media_keys, "dim_media", "media_id")
    out += not_null(ev, "fct_viewing_event", "received_at")
    out += in_range(ev, "fct_viewing_event", "percent_viewed", 0.0, 1.0)
    out += in_range(fme, "fct_media_engagement", "play_rate", 0.0, 1.0)
    out += in_range(fme, "fct_media_engagement", "engagement", 0.0, 1.0)
    for c in ("load_count", "play_count", "hours_watched", "visitors"):
        out += in_range(fme, "fct_media_engagement", c, 0.0)
    for c in ("load_count", "play_count"):
        out += in_range(frames["dim_visitor"], "dim_visitor", c, 0.0)
    return out
