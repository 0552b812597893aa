"""Issue 17: the account's days and each media's lifetime snapshot (pure DataFrame -> DataFrame functions).

``fct_account_daily``: one row per day of /stats/account/by_date (days without activity kept: a trend's zero is a
fact), the latest fetch of a day winning (a run fetches its days again from the day before the events watermark,
so a partial "today" is replaced by the complete day the next run). ``fct_media_snapshot``: one row per media per
run day, its /stats/medias/{id} lifetime totals as served that day, the CTA actions summed.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from ..model import FCT_ACCOUNT_DAILY, FCT_MEDIA_SNAPSHOT
from .star import latest


def _lineage() -> dict[str, Column]:
    return {"_fetched_at": F.col("fetched_at"), "_run_id": F.col("run_id")}


def _rate(num: Column, den: Column) -> Column:
    return F.when(den > 0, num / den)


def account_daily_columns() -> dict[str, Column]:
    """One /stats/account/by_date row's columns of fct_account_daily (also what fit.overflow checks)."""
    loads, plays = F.col("p.load_count"), F.col("p.play_count")
    return {
        "date_key": F.col("p.date").cast("date"),
        "load_count": loads,
        "play_count": plays,
        "play_rate": _rate(plays, loads),
        "hours_watched": F.col("p.hours_watched"),
        **_lineage(),
    }


def fct_account_daily(rows: DataFrame) -> DataFrame:
    df = rows.select(*[c.alias(n) for n, c in account_daily_columns().items()])
    return latest(df, ["date_key"], F.col("_fetched_at").desc()).select(*FCT_ACCOUNT_DAILY.all_columns)


def snapshot_columns() -> dict[str, Column]:
    """One /stats/medias/{id} body's columns of fct_media_snapshot. The CTA figures sum the body's actions
    (action_count: clicks, impression_count: impressions); NULL when the body has no actions key (real bodies omit
    it), 0 for an empty list."""
    actions = F.col("p.actions")
    impressions = F.aggregate(
        actions, F.lit(0).cast("long"), lambda a, x: a + F.coalesce(x["impression_count"], F.lit(0))
    )
    clicks = F.aggregate(actions, F.lit(0).cast("long"), lambda a, x: a + F.coalesce(x["action_count"], F.lit(0)))
    return {
        "media_id": F.col("scope_media"),
        "snapshot_date": F.col("ingest_date"),
        "load_count": F.col("p.load_count"),
        "play_count": F.col("p.play_count"),
        "play_rate": F.col("p.play_rate"),
        "hours_watched": F.col("p.hours_watched"),
        "engagement": F.col("p.engagement"),
        "visitors": F.col("p.visitors"),
        "cta_impressions": impressions,
        "cta_clicks": clicks,
        "cta_rate": _rate(clicks, impressions),
        "actions": F.to_json(actions),
        **_lineage(),
    }


def fct_media_snapshot(lifetime: DataFrame) -> DataFrame:
    df = lifetime.select(*[c.alias(n) for n, c in snapshot_columns().items()])
    return latest(df, ["media_id", "snapshot_date"], F.col("_fetched_at").desc()).select(
        *FCT_MEDIA_SNAPSHOT.all_columns
    )
