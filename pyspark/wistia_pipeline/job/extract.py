"""Extract: one run's bronze objects (by Hadoop's globStatus, with the envelope schema) and the keys the warehouse
already holds."""

from __future__ import annotations

import os
import re

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from ..model import PROJECT_KEY
from ..schemas import ENTITIES, ENVELOPE


def bronze_runs(args: dict[str, str]) -> list[str]:
    """The runs whose bronze this job reads: --bronze_runs (a replay of a run that never loaded reads that
    run's bronze too), else --run_id alone."""
    runs = [r.strip() for r in (args.get("bronze_runs") or "").split(",") if r.strip()]
    return runs or [args["run_id"]]


def bronze_root(args: dict[str, str]) -> str:
    """The URI bronze keys are relative to: s3://<bucket> on AWS, file://<dir> with --bronze_root."""
    if args["bronze_root"]:
        root = args["bronze_root"].rstrip("/")
        return root if "://" in root else "file://" + os.path.abspath(root)
    return f"s3://{args['bucket']}"


def matched(spark: SparkSession, patterns: list[str]) -> list[tuple[str, int]]:
    """The glob patterns that match at least one object, with how many each matches, by Hadoop's
    FileSystem.globStatus: the same code for file:// and s3:// (S3A, or EMRFS on Glue). Spark's reader fails a whole
    read with PATH_NOT_FOUND for a glob that matches nothing
    (https://spark.apache.org/docs/3.5.4/sql-error-conditions.html#path_not_found); globStatus returns an empty array
    for such a glob, null for a missing plain path
    (https://hadoop.apache.org/docs/r3.3.4/api/org/apache/hadoop/fs/FileSystem.html#globStatus-org.apache.hadoop.fs.Path-)."""
    jvm = spark._jvm  # type: ignore[attr-defined]
    conf = spark._jsc.hadoopConfiguration()  # type: ignore[attr-defined]
    out = []
    for pattern in patterns:
        path = jvm.org.apache.hadoop.fs.Path(pattern)
        found = path.getFileSystem(conf).globStatus(path)
        n = len(found) if found is not None else 0
        if n > 0:
            out.append((pattern, n))
    return out


def matching(spark: SparkSession, patterns: list[str]) -> list[str]:
    """The glob patterns that match at least one object (matched)."""
    return [p for p, _ in matched(spark, patterns)]


def read_bronze(
    spark: SparkSession, args: dict[str, str], objects: dict[str, int] | None = None
) -> dict[str, DataFrame]:
    """Per entity, the run's bronze objects with the envelope schema and their object keys, each read by its own
    glob (bronze/<entity>/…), so that every object is read once and no entity's records are filtered out of the
    others' (issue 13). An entity (or a run) that fetched nothing, e.g. a replay of items that all failed again,
    reads as an empty frame, on S3 as locally. ``objects``, when given, receives each entity's object count."""
    root = bronze_root(args)
    # the bronze key, as in S3 (Spark names local files "file:///…")
    prefix = root[len("file://") :] if root.startswith("file://") else root
    empty = T.StructType(
        [*ENVELOPE.fields, T.StructField("source_object", T.StringType())]
    )  # a new schema: StructType.add would change ENVELOPE
    out = {}
    objects = {} if objects is None else objects  # filled in: the objects each entity's globs match
    for entity in ENTITIES:
        patterns = [
            f"{root}/bronze/{entity}/ingest_date={args['ingest_date']}/run={r}/*/*.json" for r in bronze_runs(args)
        ]
        found = matched(spark, patterns)
        paths = [p for p, _ in found]
        objects[entity] = sum(n for _, n in found)
        if not paths:
            out[entity] = spark.createDataFrame([], empty)
            continue
        df = spark.read.schema(ENVELOPE).json(paths)
        df = df.withColumn(
            "source_object",
            F.regexp_replace(F.input_file_name(), r"^(file:(//)?)?" + re.escape(prefix.rstrip("/") + "/"), ""),
        )
        # the object's folder names its entity (bronze.ts writes both from one value)
        out[entity] = df.withColumn("entity", F.lit(entity))
    return out


def _key_schema(k: str) -> T.StructType:
    return T.StructType([T.StructField(k, T.StringType())])


def known_keys(spark: SparkSession, wh) -> tuple[DataFrame, DataFrame]:
    """The media ids and visitor keys the warehouse holds (``wh.known_keys``), as one-column frames: a fact's
    reference to one of them needs no inferred member."""
    known_media = spark.createDataFrame([(k,) for k in wh.known_keys("dim_media", "media_id")], _key_schema("media_id"))
    known_visitors = spark.createDataFrame(
        [(k,) for k in wh.known_keys("dim_visitor", "visitor_key")], _key_schema("visitor_key")
    )
    return known_media, known_visitors


def known_project_ids(spark: SparkSession, wh) -> DataFrame:
    """The project ids dim_project holds (a one-column BIGINT frame): a media naming one needs no inferred project."""
    # as text: the Redshift Data API returns a BIGINT as longValue, and known_keys reads stringValue
    ids = wh.known_keys("dim_project", "CAST(project_id AS VARCHAR(20))")
    return spark.createDataFrame([(int(k),) for k in ids], PROJECT_KEY)
