import json as _json
import os
import socket as _socket
import subprocess as _subprocess
import sys
import time as _time
import urllib.request as _urllib

# before pyspark.pandas is imported (pyspark.testing imports it)
os.environ.setdefault("PYARROW_IGNORE_TIMEZONE", "1")

import pytest
from pyspark.sql import SparkSession
from pyspark.sql import functions as _F

from wistia_pipeline.jvm import driver_java_options
from wistia_pipeline.reflection import remember_lookups


@pytest.fixture(scope="session")
def spark():
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    remember_lookups()  # as the job's local session does (glue_job.session)
    session = (
        SparkSession.builder.master("local[2]")
        .appName("wistia-pipeline-tests")
        .config("spark.sql.shuffle.partitions", "1")
        # as the job's local session: every generated class kept, so a test compiles nothing an earlier one compiled
        .config("spark.sql.codegen.cache.maxEntries", "4000")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.extraJavaOptions", driver_java_options())
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture
def envelopes(spark):
    """Builds bronze envelopes (as the job reads them) from literal records."""
    from wistia_pipeline.schemas import ENVELOPE

    def make(*objects):
        rows = []
        for i, o in enumerate(objects):
            env = {
                "entity": o["entity"],
                "runId": o.get("run", "r1"),
                "ingestDate": "2026-11-20",
                "scope": o.get("scope", {}),
                "page": 1,
                "fetchedAt": o.get("fetched", "2026-11-20T06:00:00.000Z"),
                "count": len(o["records"]),
                "records": [_json.dumps(r) if not isinstance(r, str) else r for r in o["records"]],
            }
            rows.append((_json.dumps(env), o.get("source", f"bronze/{o['entity']}/obj-{i}.json")))
        df = spark.createDataFrame(rows, "json string, source_object string")
        return df.select(_F.from_json("json", ENVELOPE).alias("e"), "source_object").select("e.*", "source_object")

    return make


@pytest.fixture
def records(envelopes):
    from wistia_pipeline.transforms.records import explode_records

    return lambda *objects: explode_records(envelopes(*objects))


ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
JARS = [os.path.join(ROOT, ".tools", "jars", n) for n in ("hadoop-aws-3.3.4.jar", "aws-java-sdk-bundle-1.12.262.jar")]


@pytest.fixture(scope="session")
def moto_s3():
    """moto's S3-compatible server on loopback (as test/helpers/moto.ts starts it): its endpoint URL."""
    with _socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = _subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=_subprocess.DEVNULL,
        stderr=_subprocess.PIPE,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = _time.time() + 30
    while True:
        try:
            _urllib.urlopen(f"{endpoint}/moto-api/", timeout=2)
            break
        except Exception as e:  # not up yet
            if proc.poll() is not None or _time.time() > deadline:
                raise RuntimeError(
                    f"moto server did not start: {proc.stderr.read().decode()[-500:] if proc.stderr else ''}"
                ) from e
            _time.sleep(0.2)
    yield endpoint
    proc.terminate()
    proc.wait(timeout=30)


def s3a_env(endpoint: str) -> dict[str, str]:
    """The environment a Spark process needs to read s3:// and s3a:// from ``endpoint`` through S3A (hadoop-aws
    3.3.4, as local/glue/launcher.ts gives the Glue twin), credentials from the environment only."""
    missing = [j for j in JARS if not os.path.exists(j)]
    if missing:
        raise RuntimeError(
            f"the S3A jars are missing ({', '.join(missing)}): run `npm run setup` (npm test installs them too)"
        )
    conf = {
        "spark.hadoop.fs.s3.impl": "org.apache.hadoop.fs.s3a.S3AFileSystem",
        "spark.hadoop.fs.s3a.impl": "org.apache.hadoop.fs.s3a.S3AFileSystem",
        "spark.hadoop.fs.s3a.endpoint": endpoint,
        "spark.hadoop.fs.s3a.path.style.access": "true",
        "spark.hadoop.fs.s3a.connection.ssl.enabled": "false",
        "spark.hadoop.fs.s3a.aws.credentials.provider": "com.amazonaws.auth.EnvironmentVariableCredentialsProvider",
    }
    args = ["--jars", ",".join(JARS)] + [a for k, v in conf.items() for a in ("--conf", f"{k}={v}")] + ["pyspark-shell"]
    return {
        **os.environ,
        "PYSPARK_SUBMIT_ARGS": " ".join(args),
        "PYSPARK_PYTHON": sys.executable,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
