"""Bronze envelopes -> one row per raw record, with where it came from."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F


def explode_records(envelopes: DataFrame) -> DataFrame:
    """One row per record: entity, run_id, ingest_date, source_object, record_index, fetched_at, scope_media,
    page_count, raw (JSON text).

    ``envelopes`` has the ENVELOPE schema plus ``source_object`` (the bronze object's key).
    """
    return envelopes.select(
        F.col("entity"),
        F.col("runId").alias("run_id"),
        # the run's day (a lifetime snapshot's date, issue 17)
        F.to_date("ingestDate").alias("ingest_date"),
        F.col("source_object"),
        F.to_timestamp("fetchedAt").alias("fetched_at"),
        F.col("scope.media").alias("scope_media"),
        # the records the page says it holds (the API's page size, kept by bronze.ts as count)
        F.col("count").alias("page_count"),
        F.posexplode("records").alias("record_index", "raw"),
    )
