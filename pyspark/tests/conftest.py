import os
import sys

# before pyspark.pandas is imported (pyspark.testing imports it)
os.environ.setdefault("PYARROW_IGNORE_TIMEZONE", "1")

import pytest
from pyspark.sql import SparkSession


@pytest.fixture(scope="session")
def spark():
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (
        SparkSession.builder.master("local[2]")
        .appName("wistia-pipeline-tests")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


import json as _json

from pyspark.sql import functions as _F


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
