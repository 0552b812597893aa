"""Load: the star frames, quarantine and drift as stage files (CSV, one part each), then the publish into the
warehouse (the embedded PostgreSQL locally, Redshift Serverless on Glue) in one transaction."""

from __future__ import annotations

import glob
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass

from pyspark.sql import DataFrame, Row, SparkSession

from ..load import sql
from ..model import STAR
from ..pipeline import Built, EntityCount


def write_csv(df: DataFrame, path: str) -> str:
    (
        df.coalesce(1)
        .write.mode("overwrite")
        .option("header", "false")
        .option("quote", '"')
        .option("escape", '"')
        .option("nullValue", None)
        .option("emptyValue", '""')
        # Spark's CSV writer trims values by default: a name's leading or trailing spaces would be lost
        .option("ignoreLeadingWhiteSpace", "false")
        .option("ignoreTrailingWhiteSpace", "false")
        .option("timestampFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX")
        .option("dateFormat", "yyyy-MM-dd")
        .csv(path)
    )
    if "://" not in path:  # local: name the parts for the COPY glob (S3 COPY takes the whole prefix)
        for f in glob.glob(os.path.join(path, "part-*")):
            if not f.endswith(".csv"):
                os.rename(f, f + ".csv")
    return path


def warehouse_for(args: dict[str, str]):
    """The load target: the embedded PostgreSQL locally, Redshift Serverless (Data API, IAM) on Glue. Each path
    imports only its own client: psycopg is not on Glue 5.0 (aws-glue-libs, branch glue-5.0, base-requirements.txt)
    and the job's VPC has no route to PyPI."""
    if args["warehouse"] == "postgres":
        from ..load.postgres import PostgresWarehouse  # local only (psycopg)

        wh = PostgresWarehouse(args["dsn"])
        wh.ensure_schema()
        return wh
    import boto3  # ships with Glue 5.0

    from ..load.redshift import RedshiftWarehouse

    wh = RedshiftWarehouse(
        boto3.client("redshift-data"), args["redshift_workgroup"], args["redshift_database"], args["redshift_iam_role"]
    )
    wh.check_tables()  # read-only: the deploy's bootstrap created them, or this names it
    return wh


_STAGE_POOL: ThreadPoolExecutor | None = None


def stage_pool() -> ThreadPoolExecutor:
    """Four threads for the stage writes, one pool per process: a warm worker's runs reuse the same threads (and
    the JVM threads PySpark pins to them) instead of leaving four behind per run."""
    global _STAGE_POOL
    if _STAGE_POOL is None:
        _STAGE_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="stage")
    return _STAGE_POOL


class NoWarehouse:
    """--dry_run: nothing is known, nothing is published."""

    def known_keys(self, table: str, key: str) -> list[str]:
        return []

    def media_daily_plays(self, start: str, end: str) -> list[tuple]:
        return []


def stage_dir(args: dict[str, str]) -> str:
    """Where the run's stage files go: --tmp_dir (else a new temporary directory) locally, the run's prefix under
    --redshift_tmp_dir on AWS."""
    if args["warehouse"] == "postgres":
        return args["tmp_dir"] or tempfile.mkdtemp(prefix="wistia-stage-")
    return f"{args['redshift_tmp_dir'].rstrip('/')}/{args['run_id']}"


@dataclass(frozen=True)
class Staged:
    #: per star table, its stage files' prefix (ending in "/")
    tables: dict[str, str]
    quarantine: str
    schema_drift: str
    #: the drift rows staged (a few per run: reported from the same rows)
    drift_rows: list[Row]

    @property
    def prefixes(self) -> dict[str, str]:
        return {**self.tables, "quarantine": self.quarantine, "schema_drift": self.schema_drift}


def stage(spark: SparkSession, built: Built, base: str) -> Staged:
    """Writes every star table, the quarantine and the drift under ``base``, at once."""
    frames = built.frames
    # the eight stage writes at once: each is a small job whose fixed cost (planning, commit) dwarfs its rows on a
    # daily run, and the driver submits jobs from several threads (PySpark pins each to its own JVM thread)
    pool = stage_pool()
    writes = {t.name: pool.submit(write_csv, frames[t.name].select(*t.all_columns), f"{base}/{t.name}") for t in STAR}
    writes["quarantine"] = pool.submit(write_csv, built.quarantine, f"{base}/quarantine")
    # drift is a few rows per run: computed once, reported and staged from the same rows (issue 13)
    drift_rows = built.drift.collect()
    writes["schema_drift"] = pool.submit(
        write_csv, spark.createDataFrame(drift_rows, built.drift.schema), f"{base}/schema_drift"
    )
    wait(writes.values())  # all of them, also when one fails: nothing may still write after the run ends
    done = {name: w.result() + "/" for name, w in writes.items()}
    quarantine_dir, drift_dir = done.pop("quarantine"), done.pop("schema_drift")
    return Staged(done, quarantine_dir, drift_dir, drift_rows)


def plan(run_id: str, staged: Staged, counts: dict[str, EntityCount]) -> dict[str, int]:
    """--dry_run: what the load would send (statements to stage, statements to publish, the batch limit)."""
    return {
        "staging_statements": 2 * len(staged.prefixes),
        "publish_statements": len(sql.publish_statements(run_id, "SYSDATE", counts)),
        "max_batch": sql.MAX_BATCH,
    }


def publish(wh, run_id: str, staged: Staged, counts: dict[str, EntityCount]):
    """The staged files into the warehouse in one transaction (guarded MERGE: a re-run changes no row)."""
    return wh.publish(run_id, staged.tables, staged.quarantine, staged.schema_drift, counts)
