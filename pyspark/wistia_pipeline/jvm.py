"""Local only: the driver JVM's options, and the class-data-sharing archive local Spark sessions start from.

Every local command, test process and bench size starts a JVM that loads the same ~15,000 classes of Spark, Scala and
Catalyst from jars before it does any work. Java 17 can dump the classes a JVM loaded into an archive at exit
(``-XX:ArchiveClassesAtExit``) and map it at the next start (``-XX:SharedArchiveFile``): measured here, a cold
session with a small query went 6.2 -> 4.0 s (issue 13, ADR 17). The archive belongs to one virtualenv (one pyspark's
jars: the JVM checks the class path recorded in it and ignores an archive that does not match, with the warning
silenced) and is built once by ``scripts/bootstrap.mjs`` (``python -m wistia_pipeline.jvm ARCHIVE``). Glue starts
its own JVMs: nothing here runs there.
https://docs.oracle.com/en/java/javase/17/vm/class-data-sharing.html
"""

from __future__ import annotations

import os
import sys

#: where the archive of this virtualenv's Spark lives (``.venv/wistia-spark-classes.jsa``)
ARCHIVE = os.path.join(sys.prefix, "wistia-spark-classes.jsa")


def driver_java_options(archive: str | None = ARCHIVE) -> str:
    """``spark.driver.extraJavaOptions`` for a local session: the throughput collector (2-3 s less per cold run than
    G1 here), and the class archive when there is one (``WISTIA_SPARK_CDS=0`` leaves it out)."""
    opts = ["-XX:+UseParallelGC"]
    if archive and os.environ.get("WISTIA_SPARK_CDS", "1") != "0" and os.path.isfile(archive):
        # a mismatched or damaged archive is not an error: the JVM loads from the jars as without one
        opts += [f"-XX:SharedArchiveFile={archive}", "-Xshare:auto", "-Xlog:cds=off", "-Xlog:cds+dynamic=off"]
    return " ".join(opts)


def warm_up(spark) -> int:
    """A small workload over the classes the job uses (JSON parsing, structs, windows, joins, aggregates, Parquet
    and CSV), in both execution modes the job runs in. Returns the rows it counted."""
    import tempfile

    from pyspark.sql import Window
    from pyspark.sql import functions as F

    line = '{{"id": {0}, "media": "m{1}", "at": "2026-11-0{2}T10:00:00Z", "p": {3}}}'
    rows = [(line.format(i, i % 7, 1 + i % 9, i / 3),) for i in range(200)]
    total = 0
    confs = ("spark.sql.codegen.wholeStage", "spark.sql.codegen.factoryMode")
    before = {k: spark.conf.get(k) for k in confs}
    for modes in (("true", "FALLBACK"), ("false", "NO_CODEGEN")):
        for k, v in zip(confs, modes, strict=True):
            spark.conf.set(k, v)
        raw = spark.createDataFrame(rows, "value string")
        parsed = raw.select(
            F.from_json("value", "id long, media string, at string, p double").alias("r"),
            F.get_json_object("value", "$.media").alias("m"),
        ).select("r.*", "m")
        typed = parsed.withColumn("at", F.to_timestamp("at")).withColumn("day", F.to_date("at"))
        w = Window.partitionBy("media").orderBy(F.col("at").desc(), "id")
        latest = typed.withColumn("n", F.row_number().over(w)).filter("n = 1")
        daily = typed.groupBy("media", "day").agg(F.count("*").alias("c"), F.sum("p").alias("p"), F.max("at"))
        joined = daily.join(latest.select("media", "id"), "media", "left").withColumn("h", F.sha2(F.col("media"), 256))
        with tempfile.TemporaryDirectory() as d:
            joined.write.mode("overwrite").parquet(os.path.join(d, "p"))
            joined.write.mode("overwrite").option("header", "true").csv(os.path.join(d, "c"))
            total += spark.read.parquet(os.path.join(d, "p")).count()
            total += spark.read.json(spark.sparkContext.parallelize([r[0] for r in rows[:20]])).count()
        total += len(joined.collect())
    for k, v in before.items():
        spark.conf.set(k, v)
    return total


def main(argv: list[str]) -> int:
    """Builds the archive at ``argv[1]``: runs the warm-up in a JVM that dumps its classes there when it exits, and
    prints that JVM's pid (the dump happens after this process ends: the caller waits for the pid)."""
    if len(argv) != 2:
        print("usage: python -m wistia_pipeline.jvm ARCHIVE", file=sys.stderr)
        return 2
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[*]")
        .appName("wistia-class-archive")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .config(
            "spark.driver.extraJavaOptions",
            f"-XX:+UseParallelGC -XX:ArchiveClassesAtExit={argv[1]} -Xlog:cds=off -Xlog:cds+dynamic=off",
        )
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    warm_up(spark)
    pid = spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid()
    spark.stop()
    print(pid)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
