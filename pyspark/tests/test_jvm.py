from wistia_pipeline import jvm


def test_options_name_the_archive_only_when_it_exists(tmp_path, monkeypatch):
    monkeypatch.delenv("WISTIA_SPARK_CDS", raising=False)
    archive = tmp_path / "spark.jsa"
    assert jvm.driver_java_options(str(archive)) == "-XX:+UseParallelGC"
    archive.write_bytes(b"not an archive: the JVM ignores it")
    assert jvm.driver_java_options(str(archive)).split() == [
        "-XX:+UseParallelGC",
        f"-XX:SharedArchiveFile={archive}",
        "-Xshare:auto",
        "-Xlog:cds=off",
        "-Xlog:cds+dynamic=off",
    ]
    monkeypatch.setenv("WISTIA_SPARK_CDS", "0")
    assert jvm.driver_java_options(str(archive)) == "-XX:+UseParallelGC"
    assert jvm.driver_java_options(None) == "-XX:+UseParallelGC"


def test_the_archive_belongs_to_the_virtualenv():
    import sys

    assert jvm.ARCHIVE.startswith(sys.prefix)
    assert jvm.ARCHIVE.endswith("wistia-spark-classes.jsa")


def test_warm_up_runs_both_execution_modes_and_puts_them_back_as_it_found_them(spark):
    before = {k: spark.conf.get(k) for k in ("spark.sql.codegen.wholeStage", "spark.sql.codegen.factoryMode")}
    n = jvm.warm_up(spark)  # per mode: the Parquet rows read back, 20 JSON rows, the rows collected
    daily = 7 * 9  # (media, day) pairs of 200 rows: i % 7 and i % 9 are independent over 63 consecutive ids
    assert n == 2 * (daily + 20 + daily)
    assert {k: spark.conf.get(k) for k in before} == before
