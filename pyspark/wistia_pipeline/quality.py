"""The data-quality gate: write, audit, publish. Each failed check names the table and the rule; any failure
stops the load before anything is published. The checks run as ONE Spark action: an aggregate per table (row
count, distinct keys, out-of-range and null counts) and per reference, each a single row, joined into one."""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce

from pyspark.sql import Column, DataFrame
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


@dataclass(frozen=True)
class Rule:
    """A row-level rule: ``bad`` is true for a violating row."""

    name: str
    bad: Column


def _range(column: str, lo: float, hi: float | None = None) -> Rule:
    c = F.col(column)
    name = f"{column} in [{lo:g}, {hi:g}]" if hi is not None else f"{column} >= {lo:g}"
    return Rule(name, c.isNotNull() & ((c < lo) | (c > hi)) if hi is not None else c.isNotNull() & (c < lo))


def _not_null(column: str) -> Rule:
    return Rule(f"{column} not null", F.col(column).isNull())


def rules_for(table: str) -> list[Rule]:
    """Row-level rules per table (built on demand: columns need an active Spark session)."""
    return _rules().get(table, [])


def _rules() -> dict[str, list[Rule]]:
    return {
        "fct_viewing_event": [
            _not_null("received_at"),
            _not_null("media_id"),
            _not_null("visitor_key"),
            _range("percent_viewed", 0.0, 1.0),
        ],
        "fct_media_engagement": [
            _range("play_rate", 0.0, 1.0),
            _range("engagement", 0.0, 1.0),
            _range("load_count", 0.0),
            _range("play_count", 0.0),
            _range("hours_watched", 0.0),
            _range("visitors", 0.0),
        ],
        "dim_visitor": [_range("load_count", 0.0), _range("play_count", 0.0)],
        "dim_media": [_range("duration_seconds", 0.0)],
        "dim_project": [_range("media_count", 0.0)],
        "media_engagement_curve": [_range("engagement", 0.0, 1.0)],
        "fct_account_daily": [
            _range("load_count", 0.0),
            _range("play_count", 0.0),
            _range("play_rate", 0.0, 1.0),
            _range("hours_watched", 0.0),
        ],
        "fct_media_snapshot": [
            _range("load_count", 0.0),
            _range("play_count", 0.0),
            _range("play_rate", 0.0, 1.0),
            _range("engagement", 0.0, 1.0),
            _range("hours_watched", 0.0),
            _range("visitors", 0.0),
            _range("cta_impressions", 0.0),
            _range("cta_clicks", 0.0),
        ],
    }


#: (fact table, column, dimension, dimension key)
REFERENCES = [
    ("fct_viewing_event", "media_id", "dim_media", "media_id"),
    ("fct_viewing_event", "visitor_key", "dim_visitor", "visitor_key"),
    ("fct_media_engagement", "media_id", "dim_media", "media_id"),
    ("media_engagement_curve", "media_id", "dim_media", "media_id"),
    ("fct_media_snapshot", "media_id", "dim_media", "media_id"),
]


def _table_aggs(table: str, prefix: str) -> list[Column]:
    keys = list(TABLES[table].keys)
    aggs = [
        F.count(F.lit(1)).alias(f"{prefix}rows"),
        F.countDistinct(*[F.col(k) for k in keys]).alias(f"{prefix}keys"),
        F.sum(F.when(reduce(lambda a, b: a | b, [F.col(k).isNull() for k in keys]), 1).otherwise(0)).alias(
            f"{prefix}null_keys"
        ),
    ]
    return aggs + [F.sum(F.when(r.bad, 1).otherwise(0)).alias(f"{prefix}r{i}") for i, r in enumerate(rules_for(table))]


def _table_failures(row, table: str, prefix: str) -> list[CheckFailure]:
    keys = list(TABLES[table].keys)
    out: list[CheckFailure] = []
    null_keys = (
        row[f"{prefix}null_keys"] or 0
    )  # SUM over no rows is NULL: an empty table (a quiet day, an empty account)
    if null_keys:
        out.append(CheckFailure(table, "key not null", f"{null_keys} row(s) without a key"))
    if row[f"{prefix}rows"] - null_keys != row[f"{prefix}keys"]:
        out.append(
            CheckFailure(
                table,
                "unique key",
                f"{row[f'{prefix}rows']} rows but {row[f'{prefix}keys']} distinct keys ({', '.join(keys)})",
            )
        )
    for i, r in enumerate(rules_for(table)):
        if row[f"{prefix}r{i}"]:
            out.append(CheckFailure(table, r.name, f"{row[f'{prefix}r{i}']} row(s) violate it"))
    return out


def table_checks(df: DataFrame, table: str) -> list[CheckFailure]:
    return _table_failures(df.agg(*_table_aggs(table, "")).first(), table, "")


def _reference_aggs(frames: dict[str, DataFrame], dim_keys: dict[str, DataFrame]) -> list[DataFrame]:
    """One single-row frame per reference: its orphans' count and smallest value."""
    out = []
    for i, (fact, column, dim, key) in enumerate(REFERENCES):
        o = (
            frames[fact]
            .select(F.col(column).alias("k"))
            .where(F.col("k").isNotNull())
            .distinct()
            .join(dim_keys[dim].select(F.col(key).alias("k")), "k", "left_anti")
        )
        out.append(o.agg(F.count(F.lit(1)).alias(f"ref{i}_n"), F.min("k").alias(f"ref{i}_example")))
    return out


def _reference_failures(row) -> list[CheckFailure]:
    out = []
    for i, (fact, column, dim, _) in enumerate(REFERENCES):
        if row[f"ref{i}_n"]:
            out.append(
                CheckFailure(
                    fact,
                    f"{column} in {dim}",
                    f"{row[f'ref{i}_n']} value(s) missing from {dim}, e.g. {row[f'ref{i}_example']!r}",
                )
            )
    return sorted(out, key=lambda f: (f.table, f.rule))


def reference_checks(frames: dict[str, DataFrame], dim_keys: dict[str, DataFrame]) -> list[CheckFailure]:
    return _reference_failures(reduce(lambda a, b: a.crossJoin(b), _reference_aggs(frames, dim_keys)).first())


#: the share of an entity's records in one run that may be quarantined before the run fails (issue 12): above it,
#: drift is an outage, not noise, and nothing is published
DEFAULT_QUARANTINE_THRESHOLD = 0.05


def reconciles(entity: str, records: int, accepted: int, quarantined: int) -> list[CheckFailure]:
    if records == accepted + quarantined:
        return []
    return [
        CheckFailure(
            f"bronze {entity}",
            "served = loaded + quarantined + deduplicated + skipped",
            f"{records} served, {accepted} accepted, {quarantined} quarantined",
        )
    ]


def quarantine_share(
    entity: str, served: int, quarantined: int, threshold: float, top_rule: str | None, top_count: int
) -> list[CheckFailure]:
    """More than ``threshold`` of the entity's records quarantined: the run fails, naming the share and the most
    common reason."""
    if served == 0 or quarantined <= threshold * served:
        return []
    return [
        CheckFailure(
            f"bronze {entity}",
            f"quarantined share <= {threshold:.4g}",
            f"{quarantined} of {served} records ({quarantined / served:.1%}) quarantined; most common reason: "
            f"{top_rule} ({top_count})",
        )
    ]


def run_checks(
    frames: dict[str, DataFrame],
    media_keys: DataFrame,
    visitor_keys: DataFrame,
    counts: dict,
    threshold: float = DEFAULT_QUARANTINE_THRESHOLD,
) -> list[CheckFailure]:
    """Every rule over the frames about to be published.

    ``media_keys``/``visitor_keys``: every key the dimensions will hold after the load (this load's and the
    warehouse's). ``counts``: per bronze entity, its pipeline.EntityCount. ``threshold``: the share of an entity's
    records that may be quarantined.
    """
    out: list[CheckFailure] = []
    for entity, c in counts.items():
        out += reconciles(entity, c.served, c.accepted, c.quarantined)
        out += quarantine_share(entity, c.served, c.quarantined, threshold, c.top_rule, c.top_rule_count)
    # every table's aggregate and every reference's orphans as single-row frames joined into one: ONE Spark action
    # for the whole gate (issue 13: one action per table and one for the references cost seconds each on small runs)
    names = list(frames)
    parts = [frames[name].agg(*_table_aggs(name, f"t{i}_")) for i, name in enumerate(names)]
    parts += _reference_aggs(frames, {"dim_media": media_keys, "dim_visitor": visitor_keys})
    row = reduce(lambda a, b: a.crossJoin(b), parts).first()
    for i, name in enumerate(names):
        out += _table_failures(row, name, f"t{i}_")
    return out + _reference_failures(row)


# ---- findings: reported, never a failure (issue 17) ---------------------------------------------------------------

#: the account's plays of a day may differ from the sum of its medias' by this share of the larger figure (or by
#: RECONCILE_MIN_PLAYS, whichever is more) before the day is a finding: Wistia's own figures disagree at the edges
#: (the account's aggregate and the medias' are computed apart), so a difference is reported, not failed
DEFAULT_RECONCILE_TOLERANCE = 0.01
RECONCILE_MIN_PLAYS = 1


@dataclass(frozen=True)
class Finding:
    """A check that does not stop the load: the day, the figures compared, and what was expected."""

    table: str
    rule: str
    day: str
    account_plays: int
    media_plays: int

    @property
    def detail(self) -> str:
        return (
            f"{self.day}: the account counts {self.account_plays} plays, its medias {self.media_plays} "
            f"({self.account_plays - self.media_plays:+d})"
        )

    def as_dict(self) -> dict:
        return {
            "table": self.table,
            "rule": self.rule,
            "day": self.day,
            "account_plays": self.account_plays,
            "media_plays": self.media_plays,
            "detail": self.detail,
        }


def reconcile_plays(
    account_daily: DataFrame,
    media_daily: DataFrame,
    tolerance: float = DEFAULT_RECONCILE_TOLERANCE,
    min_plays: int = RECONCILE_MIN_PLAYS,
) -> list[Finding]:
    """The days whose account plays (``account_daily``: date_key, play_count) differ from the sum of the medias'
    (``media_daily``: media_id, snapshot_date, play_count, every media's day over those days) by more than
    ``tolerance`` of the larger figure and more than ``min_plays``. A day no media played counts 0 for the medias.
    One Spark action; the findings in day order."""
    sums = media_daily.groupBy(F.col("snapshot_date").alias("date_key")).agg(F.sum("play_count").alias("media"))
    a, m = F.col("account"), F.coalesce(F.col("media"), F.lit(0))
    rows = (
        account_daily.select("date_key", F.col("play_count").alias("account"))
        .join(sums, "date_key", "left")
        .where(F.abs(a - m) > F.greatest(F.lit(min_plays), F.lit(tolerance) * F.greatest(a, m)))
        .select(F.col("date_key").cast("string").alias("day"), a.alias("account"), m.alias("media"))
        .orderBy("day")
        .collect()
    )
    rule = f"account plays = sum of its medias' plays (within {tolerance:.4g} or {min_plays} play)"
    return [Finding("fct_account_daily", rule, r["day"], int(r["account"]), int(r["media"])) for r in rows]
