"""Glue 5.x job entry: one run's bronze -> the analytics star schema -> the warehouse.

Only this file knows about GlueContext, job arguments and the Spark session; wistia_pipeline/ transforms are
pure. The same file runs locally under plain pyspark (`--warehouse postgres`), writing a JSON report for the runner.

Steps, each a module of wistia_pipeline/job/ that run() wires in this order: extract (read the run's bronze with
explicit schemas, the keys the warehouse holds) -> transform (validate: quarantine with reasons, drift; build and
deduplicate the star frames) -> audit (the quality gate: nothing is published when a rule fails) -> load (write
stage files, then publish in one transaction: guarded MERGE, a re-run changes no row).

On Glue (and in its local twin, local/glue/launcher.ts) the job learns everything about where it runs from its
arguments and its environment: S3 through the Spark session's Hadoop configuration (`s3://` URIs), the Redshift
Data API through boto3's default chain (region, credentials, endpoint). The Redshift path imports only what Glue
5.0 ships (boto3; not psycopg): the PostgreSQL loader is imported on the local path alone.
`--dry_run true` reads, transforms, gates and writes the stage files, then stops before the warehouse: no Data API
call; the report says what the load would send.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import time

try:  # pragma: no cover - only on Glue
    from awsglue.context import GlueContext  # type: ignore[import-not-found]
    from awsglue.job import Job  # type: ignore[import-not-found]
    from awsglue.utils import getResolvedOptions  # type: ignore[import-not-found]

    ON_GLUE = True
except ImportError:
    ON_GLUE = False

from pyspark.sql import SparkSession

from wistia_pipeline import jvm, reflection
from wistia_pipeline import metrics as run_metrics
from wistia_pipeline.job import audit, extract, load, transform
from wistia_pipeline.job.extract import bronze_runs
from wistia_pipeline.job.load import NoWarehouse, warehouse_for
from wistia_pipeline.model import RUN_ID_PATTERN
from wistia_pipeline.quality import QualityGateError

REQUIRED = ["run_id", "ingest_date", "bucket"]
OPTIONAL = {
    "company_hosts": "",
    "hash_pii": "false",
    "warehouse": "redshift",
    "dsn": "",
    "bronze_root": "",
    "tmp_dir": "",
    "report": "",
    "redshift_workgroup": "",
    "redshift_database": "analytics",
    "redshift_iam_role": "",
    "redshift_tmp_dir": "",
    "bronze_runs": "",
    "dry_run": "false",
    # the share of an entity's records in a run that may be quarantined (issue 12); above it the gate fails the run
    "quarantine_threshold": "0.05",
}


class JobError(Exception):
    pass


def parse_args(argv: list[str]) -> dict[str, str]:
    if ON_GLUE:  # pragma: no cover
        present = [k for k in OPTIONAL if f"--{k}" in argv]
        args = getResolvedOptions(argv, ["JOB_NAME", *REQUIRED, *present])
        return {**OPTIONAL, **args}
    p = argparse.ArgumentParser(description=__doc__, allow_abbrev=False)  # Glue passes its own --names too
    for name in REQUIRED:
        p.add_argument(f"--{name}", required=True)
    for name, default in OPTIONAL.items():
        p.add_argument(f"--{name}", default=default)
    known, _ = p.parse_known_args(argv[1:])
    return vars(known)


def validate_args(args: dict[str, str]) -> None:
    run_id = re.compile(RUN_ID_PATTERN)
    if not run_id.match(args["run_id"]):
        raise JobError(f"--run_id: {args['run_id']!r} is not an execution name")
    for r in bronze_runs(args):
        if not run_id.match(r):
            raise JobError(f"--bronze_runs: {r!r} is not an execution name")
    if not re.match(r"^\d{4}-\d{2}-\d{2}$", args["ingest_date"]):
        raise JobError(f"--ingest_date: {args['ingest_date']!r} is not YYYY-MM-DD")
    if args["warehouse"] not in ("postgres", "redshift"):
        raise JobError(f"--warehouse: {args['warehouse']!r} is not postgres or redshift")
    if args["warehouse"] == "postgres" and not args["dsn"]:
        raise JobError("--dsn is required with --warehouse postgres")
    try:
        threshold = float(args["quarantine_threshold"])
    except ValueError:
        threshold = float("nan")
    if not 0 <= threshold <= 1:  # NaN fails too
        raise JobError(
            f"--quarantine_threshold: {args['quarantine_threshold']!r} is not a share between 0 and 1 (e.g. 0.05)"
        )
    if args["dry_run"] not in ("true", "false"):
        raise JobError(f"--dry_run: {args['dry_run']!r} is not true or false")
    if args["warehouse"] == "redshift":
        for name in ("redshift_workgroup", "redshift_iam_role", "redshift_tmp_dir"):
            if not args[name]:
                raise JobError(f"--{name} is required with --warehouse redshift")


def session(args: dict[str, str]) -> tuple[SparkSession, object | None]:
    if ON_GLUE:  # pragma: no cover
        from pyspark.context import SparkContext

        glue_context = GlueContext(SparkContext.getOrCreate())
        job = Job(glue_context)
        job.init(args["JOB_NAME"], args)
        spark = glue_context.spark_session
        spark.conf.set("spark.sql.session.timeZone", "UTC")
        return spark, job
    # Py4J remembers the JVM names it resolved: a run's plans ask for each once (wistia_pipeline/reflection.py)
    reflection.remember_lookups()
    spark = (
        SparkSession.builder.master("local[*]")
        .appName("wistia-transform")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", os.environ.get("WISTIA_SPARK_SHUFFLE_PARTITIONS", "2"))
        .config("spark.sql.sources.parallelPartitionDiscovery.threshold", "1000000")
        .config("spark.sql.files.openCostInBytes", "1048576")
        .config("spark.sql.adaptive.enabled", os.environ.get("WISTIA_SPARK_AQE", "false"))
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.memory", os.environ.get("WISTIA_SPARK_DRIVER_MEMORY", "2g"))
        # a warm worker serves many runs (local/transform.ts): keep every generated class of a run's plans, not the
        # last 100, so that a run compiles nothing its predecessor compiled (issue 13: ~370 Janino compiles per
        # warm run at the default, none after; an internal static setting since Spark 2.4, default 100:
        # sql/catalyst/src/main/scala/org/apache/spark/sql/internal/StaticSQLConf.scala, CODEGEN_CACHE_MAX_ENTRIES)
        .config("spark.sql.codegen.cache.maxEntries", "4000")
        # the throughput collector, and the class archive of this virtualenv's Spark if built (wistia_pipeline/jvm.py)
        .config("spark.driver.extraJavaOptions", jvm.driver_java_options())
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark, None


#: the SQL settings execution_mode sets for one run; execute() puts them back after it
CODEGEN_CONFS = ("spark.sql.codegen.wholeStage", "spark.sql.codegen.factoryMode")


def execution_mode(spark: SparkSession, objects: int) -> bool:
    """Locally, a run of fewer bronze objects than ``WISTIA_SPARK_INTERPRETED_BELOW`` (default 10,000; 0: never) is
    executed interpreted: no whole-stage code generation, expressions evaluated without generated classes; else (and
    always on Glue) with Spark's default code generation. Returns whether the run is interpreted.

    Issue 13, ADR 18: a run compiles ~360 classes (Janino, ~11 ms each on this machine) the first time a JVM meets the
    job's plans, and every local command starts a JVM; measured on one JVM per mode, a daily run's cold transform went
    15.0 -> 11.9 s and 102,938 events 35.6 -> 34.3 s, while 1,019,439 events went 174.7 -> 197.6 s (36,129 objects),
    so the largest runs keep code generation. Both are Spark's own execution paths with the same results (Spark tests
    every expression in both); pytest's session keeps the default, and a test compares a run's output in both modes.
    The factory mode is an internal setting (SQLConf CODEGEN_FACTORY_MODE, values FALLBACK / CODEGEN_ONLY /
    NO_CODEGEN: sql/catalyst/src/main/scala/org/apache/spark/sql/internal/SQLConf.scala); Glue's session is left as
    Glue configures it, since a Glue run starts its own JVM and is billed by the minute anyway."""
    if ON_GLUE:  # pragma: no cover
        return False
    below = int(os.environ.get("WISTIA_SPARK_INTERPRETED_BELOW", "10000"))
    interpreted = objects < below
    spark.conf.set("spark.sql.codegen.wholeStage", "false" if interpreted else "true")
    spark.conf.set("spark.sql.codegen.factoryMode", "NO_CODEGEN" if interpreted else "FALLBACK")
    return interpreted


def run(spark: SparkSession, args: dict[str, str], wh=None) -> dict:
    """One run: extract -> transform -> audit -> load (wistia_pipeline/job/); returns the run's report."""
    timings: dict[str, float] = {}
    t0 = time.time()
    dry_run = args.get("dry_run") == "true"
    wh = wh or (NoWarehouse() if dry_run else warehouse_for(args))
    known_media, known_visitors = extract.known_keys(spark, wh)
    known_projects = extract.known_project_ids(spark, wh)
    objects: dict[str, int] = {}
    envelopes = extract.read_bronze(spark, args, objects)
    interpreted = execution_mode(spark, sum(objects.values()))
    built = transform.transform(envelopes, args, known_media, known_visitors, known_projects)
    timings["read_validate"] = time.time() - t0

    t1 = time.time()
    audit.gate(built, known_media, known_visitors, float(args.get("quarantine_threshold") or 0.05))
    # what the gate reports without failing (issue 17: the account's days against its medias'), read before the
    # publish: the warehouse's rows are the other medias' days
    found = [f.as_dict() for f in audit.findings(spark, built, wh)]
    timings["quality_gate"] = time.time() - t1

    t2 = time.time()
    base = load.stage_dir(args)
    staged = load.stage(spark, built, base)
    timings["transform"] = time.time() - t2

    if dry_run:
        return {
            "status": "SUCCEEDED",
            "run_id": args["run_id"],
            "dry_run": True,
            "bronze": {e: c.as_dict() for e, c in built.counts.items()},
            "rows": {name: df.count() for name, df in built.frames.items()},
            "quarantined": sum(c.quarantined for c in built.counts.values()),
            "findings": found,
            "staged": staged.prefixes,
            "plan": load.plan(args["run_id"], staged, built.counts),
            "interpreted": interpreted,
            "timings": {k: round(v, 3) for k, v in timings.items()},
        }

    t3 = time.time()
    loaded = load.publish(wh, args["run_id"], staged, built.counts)
    timings["load"] = time.time() - t3
    if args["warehouse"] == "postgres" and not args["tmp_dir"]:
        shutil.rmtree(base, ignore_errors=True)
    return {
        "status": "SUCCEEDED",
        "run_id": args["run_id"],
        "bronze": {e: c.as_dict() for e, c in built.counts.items()},
        "loaded": loaded,
        "quarantined": sum(c.quarantined for c in built.counts.values()),
        "drift": [r.asDict() for r in staged.drift_rows],
        "findings": found,
        "interpreted": interpreted,
        "timings": {k: round(v, 3) for k, v in timings.items()},
    }


def persisted(spark: SparkSession) -> set[int]:
    """The ids of the RDDs the session keeps (cached or locally checkpointed)."""
    return {int(i) for i in spark.sparkContext._jsc.getPersistentRDDs().keySet()}  # type: ignore[attr-defined]


def release(spark: SparkSession, kept_before: set[int] | frozenset[int] = frozenset()) -> None:
    """Frees what a run kept: its local checkpoints (pipeline.truncated), which ``clearCache`` does not know about.
    Only RDDs the run added go: whatever the session kept before the run started (``kept_before``: another caller's
    cached frame or checkpoint) stays, so ``spark.catalog.clearCache()`` is not called (it would drop every cached
    relation of the session; the job caches none itself). A warm worker serves many runs; none may hold the last
    one's data."""
    rdds = spark.sparkContext._jsc.getPersistentRDDs()  # type: ignore[attr-defined]
    for i in list(rdds.keySet()):
        if int(i) not in kept_before:
            rdds.get(i).unpersist(False)


def driver_rss(spark: SparkSession, reset: bool = False) -> float | None:
    """The driver JVM process's peak resident memory (Linux VmHWM), in MiB; ``reset``: start a new peak now (Linux
    clear_refs "5", https://docs.kernel.org/filesystems/proc.html). Locally the driver runs the whole job (executors
    included), so this is the job's memory. None where /proc does not say."""
    pid = spark._jvm.java.lang.ProcessHandle.current().pid()  # type: ignore[attr-defined]
    try:
        if reset:
            with open(f"/proc/{pid}/clear_refs", "w") as f:
                f.write("5")
        with open(f"/proc/{pid}/status") as f:
            kb = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
        return round(kb / 1024, 1)
    except (OSError, StopIteration, ValueError):
        return None


def publish_metrics(pts: list[dict]) -> None:
    """On Glue: the run's metrics to CloudWatch (the VPC's monitoring endpoint; the role may put to this namespace
    alone). A failure to publish is logged, never the run's failure: the data is loaded either way, and a missing
    datapoint shows on the dashboard (the alarms treat missing data deliberately)."""
    import boto3  # ships with Glue 5.0
    from botocore.config import Config  # ships with Glue 5.0

    try:
        # short timeouts: an unreachable endpoint costs the run seconds, not boto3's default minutes
        client = boto3.client(
            "cloudwatch", config=Config(connect_timeout=5, read_timeout=10, retries={"max_attempts": 3})
        )
        run_metrics.publish(client, pts)
    except Exception as e:
        print(f"could not publish the run's metrics to CloudWatch: {type(e).__name__}: {e}", file=sys.stderr)


def execute(argv: list[str], spark: SparkSession | None = None, raise_errors: bool = False) -> tuple[int, dict]:
    """Runs one job; returns (exit code, report). ``spark``: a session to reuse (the local worker).
    ``raise_errors``: after the report is written, re-raise a failure (as Glue shows it: the error's last line)."""
    args = parse_args(argv)
    started = time.time()
    job = None
    error: BaseException | None = None
    try:
        validate_args(args)
        if spark is None:
            spark, job = session(args)
        kept_before = persisted(spark)
        modes = {k: spark.conf.get(k) for k in CODEGEN_CONFS}
        driver_rss(spark, reset=True)
        try:
            report = run(spark, args)
            report["driver_peak_rss_mb"] = driver_rss(spark)
        finally:
            release(spark, kept_before)
            for k, v in modes.items():
                spark.conf.set(k, v)
        code = 0
    except Exception as e:  # the report carries every failure to the runner
        failures = [f.__dict__ for f in e.failures] if isinstance(e, QualityGateError) else []
        report = {
            "status": "FAILED",
            "run_id": args.get("run_id"),
            "error": type(e).__name__,
            "message": str(e)[:2000],
            "failures": failures,
        }
        code = 1
        error = e
    report["elapsed_seconds"] = round(time.time() - started, 3)
    report["metrics"] = run_metrics.points(report)
    if ON_GLUE:  # pragma: no cover - Glue only; publish() is tested against moto's CloudWatch server
        publish_metrics(report["metrics"])
    if args.get("report"):
        with open(args["report"], "w", encoding="utf-8") as f:
            json.dump(report, f, default=str)
    if job is not None and code == 0:  # pragma: no cover
        job.commit()
    if error is not None and raise_errors:
        raise error
    return code, report


def serve() -> int:
    """Local worker: one Spark session for many runs (the JVM warms up once). Reads one JSON argv per line on
    stdin, answers one JSON line per run on stdout."""
    spark, _ = session({})
    for line in sys.stdin:
        if not line.strip():
            continue
        code, report = execute(["glue_job.py", *json.loads(line)], spark)
        sys.stdout.write(json.dumps({"code": code, "status": report["status"]}) + "\n")
        sys.stdout.flush()
    spark.stop()
    return 0


def main(argv: list[str]) -> int:
    if argv[1:2] == ["--serve"]:
        return serve()
    # a failure propagates: Glue (and its twin) report the exception's last line as the run's ErrorMessage
    code, report = execute(argv, raise_errors=True)
    print(
        json.dumps({k: report[k] for k in ("status", "run_id", "elapsed_seconds", "error", "message") if k in report})
    )
    return code


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.exit(main(sys.argv))
