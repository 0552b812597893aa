"""The job entry (glue_job.py): what it imports on the Redshift path (finding 1) and how it finds bronze (finding 6)."""

import json
import os
import subprocess
import sys
import textwrap

import boto3
import pytest

from conftest import ROOT, s3a_env

PYSPARK = os.path.join(ROOT, "pyspark")
REDSHIFT_ARGS = [
    "--run_id",
    "r1",
    "--ingest_date",
    "2026-11-20",
    "--bucket",
    "b",
    "--warehouse",
    "redshift",
    "--redshift_workgroup",
    "wistia-analytics",
    "--redshift_iam_role",
    "arn:aws:iam::111111111111:role/copy",
    "--redshift_tmp_dir",
    "s3://b/tmp/redshift/",
]


def test_the_redshift_path_never_imports_psycopg(tmp_path):
    # Glue 5.0 ships no psycopg (aws-glue-libs, branch glue-5.0, base-requirements.txt) and the job's VPC has no
    # route to PyPI: with psycopg made unimportable, the Redshift path must get as far as the Data API.
    code = textwrap.dedent(
        f"""
        import json, sys
        sys.modules["psycopg"] = None  # "import psycopg" now raises ImportError
        sys.path.insert(0, {PYSPARK!r})
        import glue_job
        args = glue_job.parse_args(["glue_job.py", *{REDSHIFT_ARGS!r}])
        glue_job.validate_args(args)
        try:
            glue_job.warehouse_for(args)
        except Exception as e:
            loaded = sorted(m for m in sys.modules if m.startswith("psycopg") and sys.modules[m])
            print(json.dumps([type(e).__name__, str(e), loaded]))
        """
    )
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL_REDSHIFT_DATA": "http://127.0.0.1:9",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    name, message, loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert (name, loaded) == ("EndpointConnectionError", [])  # not ImportError: the first Data API call was made
    assert 'Could not connect to the endpoint URL: "http://127.0.0.1:9/"' in message


def _put(s3, bucket, key, records, entity="medias"):
    body = {
        "entity": entity,
        "runId": key.split("run=")[1].split("/")[0],
        "ingestDate": "2026-11-20",
        "scope": {},
        "page": 1,
        "fetchedAt": "2026-11-20T06:00:00.000Z",
        "count": len(records),
        "records": records,
    }
    s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(body).encode())


READ = textwrap.dedent(
    """
    import json, sys
    sys.path.insert(0, sys.argv[1])
    from pyspark.sql import SparkSession
    import glue_job
    from wistia_pipeline.job import extract
    spark = SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false").getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    out = {}
    for label, runs in (("one", "r1,r2"), ("none", "r3")):
        argv = ["glue_job.py", "--run_id", "r9", "--ingest_date", "2026-11-20", "--bucket", sys.argv[2]]
        args = glue_job.parse_args([*argv, "--bronze_runs", runs])
        frames = extract.read_bronze(spark, args)  # one frame per entity, each by its own glob
        out[label] = sorted(r.source_object for df in frames.values() for r in df.select("source_object").collect())
    try:  # what the job did before: hand Spark the glob that matches nothing
        spark.read.json("s3://" + sys.argv[2] + "/bronze/*/ingest_date=2026-11-20/run=r3/*/*.json").count()
        out["plain"] = "read"
    except Exception as e:
        out["plain"] = str(e).splitlines()[0]
    print("RESULT " + json.dumps(out))
    """
)


def test_on_s3_a_run_that_fetched_nothing_reads_as_empty_and_only_matching_globs_are_read(moto_s3):
    # finding 6: Spark fails a read with PATH_NOT_FOUND for a glob that matches nothing on S3; read_bronze checks
    # each pattern with Hadoop's globStatus first (the same code for file://), over s3:// through S3A here
    s3 = boto3.client(
        "s3", endpoint_url=moto_s3, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
    )
    s3.create_bucket(Bucket="wistia-bronze")
    _put(s3, "wistia-bronze", "bronze/medias/ingest_date=2026-11-20/run=r1/all/page-00001.json", ["{}"])
    _put(
        s3, "wistia-bronze", "bronze/events/ingest_date=2026-11-20/run=r1/window=a_b/page-00001.json", ["{}"], "events"
    )
    out = subprocess.run(
        [sys.executable, "-c", READ, PYSPARK, "wistia-bronze"],
        env=s3a_env(moto_s3),
        capture_output=True,
        text=True,
        timeout=600,
    )
    lines = [line for line in out.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, out.stderr[-3000:]
    result = json.loads(lines[-1][len("RESULT ") :])
    assert result["one"] == [
        "bronze/events/ingest_date=2026-11-20/run=r1/window=a_b/page-00001.json",
        "bronze/medias/ingest_date=2026-11-20/run=r1/all/page-00001.json",
    ]
    assert result["none"] == []
    assert (
        "[PATH_NOT_FOUND] Path does not exist: s3://wistia-bronze/bronze/*/ingest_date=2026-11-20/run=r3/*/*.json"
        in result["plain"]
    )


def test_locally_the_same_globstatus_reads_bronze_relative_to_its_root(spark, tmp_path):
    sys.path.insert(0, PYSPARK)
    import glue_job
    from wistia_pipeline.job import extract

    key = "bronze/medias/ingest_date=2026-11-20/run=r1/all/page-00001.json"
    (tmp_path / key).parent.mkdir(parents=True)
    (tmp_path / key).write_text(
        json.dumps({"entity": "medias", "runId": "r1", "count": 1, "records": [{"hashed_id": "m1"}]})
    )

    def read(runs):
        return extract.read_bronze(
            spark,
            glue_job.parse_args(
                [
                    "glue_job.py",
                    "--run_id",
                    "r9",
                    "--ingest_date",
                    "2026-11-20",
                    "--bucket",
                    "local",
                    "--bronze_root",
                    str(tmp_path),
                    "--bronze_runs",
                    runs,
                ]
            ),
        )

    assert [r.source_object for df in read("r1,r2").values() for r in df.collect()] == [key]
    assert read("r1,r2")["medias"].first().entity == "medias"
    assert sum(df.count() for df in read("r2").values()) == 0
    assert extract.matching(
        spark,
        [f"file://{tmp_path}/bronze/*/ingest_date=2026-11-20/run=r1/*/*.json", f"file://{tmp_path}/nothing/here.json"],
    ) == [f"file://{tmp_path}/bronze/*/ingest_date=2026-11-20/run=r1/*/*.json"]


@pytest.mark.parametrize("bad", [["--dry_run", "yes"], ["--redshift_workgroup", ""]])
def test_a_bad_redshift_argument_is_refused_before_any_work(bad):
    sys.path.insert(0, PYSPARK)
    import glue_job

    args = glue_job.parse_args(["glue_job.py", *REDSHIFT_ARGS, *bad])
    with pytest.raises(
        glue_job.JobError,
        match=r"--dry_run: 'yes' is not true or false|--redshift_workgroup is required with --warehouse redshift",
    ):
        glue_job.validate_args(args)


@pytest.mark.parametrize("value", ["5%", "1.5", "-0.1", "nan", ""])
def test_a_quarantine_threshold_that_is_not_a_share_is_refused_before_any_work(value):
    sys.path.insert(0, PYSPARK)
    import glue_job

    args = glue_job.parse_args(["glue_job.py", *REDSHIFT_ARGS, "--quarantine_threshold", value])
    with pytest.raises(
        glue_job.JobError, match=r"^--quarantine_threshold: .* is not a share between 0 and 1 \(e\.g\. 0\.05\)$"
    ):
        glue_job.validate_args(args)
    assert glue_job.parse_args(["glue_job.py", *REDSHIFT_ARGS])["quarantine_threshold"] == "0.05"


def test_a_warm_worker_keeps_nothing_of_a_run_and_a_second_run_reports_the_same(spark, tmp_path):
    # issue 13 / ADR 18: the job keeps its parse and star frames as local checkpoints, which spark.catalog.clearCache()
    # does not free; execute() releases them, so that a warm worker's next run starts from nothing
    sys.path.insert(0, PYSPARK)
    import glue_job

    media = {
        "hashed_id": "m1",
        "id": 1,
        "name": "Launch FB",
        "type": "Video",
        "created": "2026-11-01T00:00:00Z",
        "updated": "2026-11-19T00:00:00Z",
        "duration": 60.5,
    }
    event = {
        "event_key": "e1",
        "media_id": "m1",
        "visitor_key": "v1",
        "received_at": "2026-11-19T10:00:00Z",
        "percent_viewed": 0.5,
    }
    for entity, scope, records in (("medias", "all", [media, {"name": "no key"}]), ("events", "window=all", [event])):
        key = f"bronze/{entity}/ingest_date=2026-11-20/run=r1/{scope}/page-00001.json"
        (tmp_path / key).parent.mkdir(parents=True)
        body = {
            "entity": entity,
            "runId": "r1",
            "ingestDate": "2026-11-20",
            "scope": {},
            "page": 1,
            "fetchedAt": "2026-11-20T06:00:00.000Z",
            "count": len(records),
            "records": [json.dumps(r) for r in records],
        }
        (tmp_path / key).write_text(json.dumps(body))
    argv = [
        "glue_job.py",
        "--run_id",
        "r1",
        "--ingest_date",
        "2026-11-20",
        "--bucket",
        "local",
        "--bronze_root",
        str(tmp_path),
        "--warehouse",
        "postgres",
        "--dsn",
        "unused",
        "--dry_run",
        "true",
        "--quarantine_threshold",
        "1",
    ]
    # frames kept before the run, as other tests' frames in this session: a checkpoint and a cached relation (which
    # clearCache would drop). Only these are compared: RDDs that earlier tests left unreferenced may be unpersisted by
    # Spark's ContextCleaner at any garbage collection, during the run too
    pre = glue_job.persisted(spark)
    other = spark.range(3).localCheckpoint()
    cached = spark.range(4).cache()
    assert cached.count() == 4
    mine = glue_job.persisted(spark) - pre
    assert len(mine) == 2, mine
    reports = []
    for i in range(2):
        code, report = glue_job.execute([*argv, "--tmp_dir", str(tmp_path / f"stage{i}")], spark)
        assert code == 0, report
        reports.append({k: report[k] for k in ("bronze", "rows", "quarantined")})
        kept = glue_job.persisted(spark)
        assert mine <= kept, mine - kept  # nothing kept before is dropped
        assert kept <= pre | mine, kept - pre - mine  # nothing of the run is kept
    assert other.count() == 3  # what was kept before is still readable, and still kept
    assert cached.storageLevel.useMemory and cached.count() == 4
    assert reports[0] == reports[1]
    # the driver's peak memory during the run, as the bench reports it: the JVM's resident memory, at least its heap
    # in use now and less than the machine has
    rss = report["driver_peak_rss_mb"]
    runtime = spark._jvm.java.lang.Runtime.getRuntime()
    assert (
        (runtime.totalMemory() - runtime.freeMemory()) / 2**20
        < rss
        < os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20
    ), rss
    assert reports[0]["rows"] == {
        "dim_date": 1,
        "dim_project": 0,  # the run's media names no project, and no projects were listed
        "dim_media": 1,
        "dim_visitor": 1,
        "fct_viewing_event": 1,
        "fct_media_engagement": 0,
        "media_engagement_curve": 0,
        "fct_account_daily": 0,
        "fct_media_snapshot": 0,
    }
    assert reports[0]["bronze"]["medias"] == {
        "served": 2,
        "loaded": 1,
        "quarantined": 1,
        "deduplicated": 0,
        "skipped": 0,
    }
    assert reports[0]["quarantined"] == 1
    # the stage writes ran at once and each landed its one CSV part (the job names them for the local COPY)
    stage = tmp_path / "stage1"
    assert sorted(p.name for p in stage.iterdir()) == [
        "dim_date",
        "dim_media",
        "dim_project",
        "dim_visitor",
        "fct_account_daily",
        "fct_media_engagement",
        "fct_media_snapshot",
        "fct_viewing_event",
        "media_engagement_curve",
        "quarantine",
        "schema_drift",
    ]
    assert {p.name: len(list(p.glob("part-*.csv"))) for p in stage.iterdir()} == {p.name: 1 for p in stage.iterdir()}
    with open(next((stage / "quarantine").glob("part-*.csv")), encoding="utf-8") as f:
        assert sum(1 for _ in f) == 1  # the keyless media


def test_a_run_stages_the_same_rows_interpreted_as_with_code_generation(spark, tmp_path, monkeypatch):
    # issue 13 / ADR 18: locally a small run is executed without code generation (glue_job.execution_mode); both are
    # Spark's own paths and must stage the same rows, quarantine and drift included, from records that take every
    # branch of the parse: coercions, an unknown field, a mistyped optional field, a bad time, an out-of-range value
    sys.path.insert(0, PYSPARK)
    import glue_job

    def m(h, **kw):
        return {
            "hashed_id": h,
            "id": 7,
            "name": f"Launch {h}",
            "type": "Video",
            "created": "2026-11-01T00:00:00Z",
            "updated": "2026-11-19T00:00:00.250+01:00",
            "duration": 60.5,
            "project": {"id": 3, "name": "FB", "hashed_id": "p3"},
            "tags": [{"name": "fb"}],
            **kw,
        }

    def e(k, **kw):
        return {
            "event_key": k,
            "media_id": "m1",
            "visitor_key": "v1",
            "received_at": "2026-11-19T10:00:00Z",
            "percent_viewed": 0.5,
            "embed_url": "https://www.example.com/p",
            "country": "US",
            "user_agent_details": {"browser": "Chrome", "mobile": False},
            **kw,
        }

    objects = {
        ("medias", "all", None): [
            m("m1"),
            m("m2", id="8", duration="12.5e0", archived="no"),
            m("m3", updated="yesterday"),
            {"name": "no key"},
            m("m4", extra_field=1),
        ],
        ("events", "window=all", None): [
            e("e1"),
            e("e2", percent_viewed="0.25"),
            e("e3", received_at="2026-11-19 11:00:00"),
            e("e4", percent_viewed=1.5),
            e("e5", lat="north"),
            e("e1"),
        ],
        ("visitors", "all", None): [
            {
                "visitor_key": "v1",
                "created_at": "2026-11-01T00:00:00Z",
                "load_count": 3,
                "play_count": "2",
                "visitor_identity": {"name": "A", "email": "a@example.com", "org": {"name": "X"}},
            },
            {"visitor_key": "v2", "load_count": -1},
        ],
        ("media_stats", "media=m1", "m1"): [
            {"date": "2026-11-19", "load_count": 10, "play_count": 4, "hours_watched": 0.5},
            {"date": "2026-11-18", "load_count": "9", "play_count": 3, "hours_watched": 0.25},
        ],
        ("media_engagement", "media=m1", "m1"): [
            {"engagement": 0.4, "engagement_data": [10, 8, 5], "rewatch_data": [0, 1, 0]}
        ],
    }
    for (entity, scope, media), records in objects.items():
        key = f"bronze/{entity}/ingest_date=2026-11-20/run=r1/{scope}/page-00001.json"
        (tmp_path / key).parent.mkdir(parents=True)
        body = {
            "entity": entity,
            "runId": "r1",
            "ingestDate": "2026-11-20",
            "scope": {"media": media} if media else {},
            "page": 1,
            "fetchedAt": "2026-11-20T06:00:00.000Z",
            "count": len(records),
            "records": [json.dumps(r) for r in records],
        }
        (tmp_path / key).write_text(json.dumps(body))
    argv = [
        "glue_job.py",
        "--run_id",
        "r1",
        "--ingest_date",
        "2026-11-20",
        "--bucket",
        "local",
        "--bronze_root",
        str(tmp_path),
        "--warehouse",
        "postgres",
        "--dsn",
        "unused",
        "--dry_run",
        "true",
        "--quarantine_threshold",
        "1",
    ]
    out = {}
    default = spark.conf.get("spark.sql.codegen.wholeStage")
    for label, below in (("interpreted", "1000000"), ("codegen", "0")):
        monkeypatch.setenv("WISTIA_SPARK_INTERPRETED_BELOW", below)
        stage = tmp_path / f"stage-{label}"
        code, report = glue_job.execute([*argv, "--tmp_dir", str(stage)], spark)
        assert code == 0, report
        assert report["interpreted"] is (label == "interpreted")
        assert spark.conf.get("spark.sql.codegen.wholeStage") == default  # the session's setting is put back
        staged = {
            d.name: sorted(line for f in sorted(d.glob("part-*")) for line in f.read_text().splitlines())
            for d in stage.iterdir()
        }
        out[label] = ({k: report[k] for k in ("bronze", "rows", "quarantined")}, staged)
    assert out["interpreted"] == out["codegen"]
    report, staged = out["codegen"]
    # the fixture takes the branches it means to: rows of each table, quarantine and drift of each kind
    assert (
        report["rows"]["fct_viewing_event"] == 4
        and report["rows"]["fct_media_engagement"] == 2
        and report["rows"]["media_engagement_curve"] == 1
    )
    assert report["bronze"]["medias"]["quarantined"] == 2 and report["bronze"]["events"] == {
        "served": 6,
        "loaded": 4,
        "quarantined": 1,
        "deduplicated": 1,
        "skipped": 0,
    }
    assert len(staged["quarantine"]) == report["quarantined"] == 4
    kinds = {tuple(line.split(",")[1:4]) for line in staged["schema_drift"]}
    assert {
        ("medias", "extra_field", "new-field"),
        ("medias", "archived", "type"),
        ("medias", "id", "coerced"),
        ("events", "lat", "type"),
        ("events", "received_at", "coerced"),
    } <= kinds, kinds
