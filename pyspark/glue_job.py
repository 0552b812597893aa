"""Glue 5.x job entry: bronze JSON -> the analytics star schema -> Redshift Serverless.

Only this file knows about GlueContext, job arguments and paths; transforms in wistia_pipeline/ are pure.
The same file runs locally under plain pyspark (arguments parsed with argparse).

Status: the transform and the warehouse load land with the issue "The star schema and the warehouse";
until then the job validates its arguments and reports what it would read.
"""

from __future__ import annotations

import argparse
import json
import sys

try:  # pragma: no cover - only on Glue
    from awsglue.context import GlueContext  # type: ignore[import-not-found]
    from awsglue.job import Job  # type: ignore[import-not-found]
    from awsglue.utils import getResolvedOptions  # type: ignore[import-not-found]

    ON_GLUE = True
except ImportError:
    ON_GLUE = False

REQUIRED = ["run_id", "ingest_date", "bucket"]


def parse_args(argv: list[str]) -> dict[str, str]:
    if ON_GLUE:  # pragma: no cover
        names = ["JOB_NAME", *REQUIRED]
        return getResolvedOptions(argv, names)
    p = argparse.ArgumentParser(description=__doc__)
    for name in REQUIRED:
        p.add_argument(f"--{name}", required=True)
    known, _ = p.parse_known_args(argv[1:])
    return vars(known)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    job = None
    if ON_GLUE:  # pragma: no cover
        from pyspark.context import SparkContext

        glue_context = GlueContext(SparkContext.getOrCreate())
        job = Job(glue_context)
        job.init(args["JOB_NAME"], args)
    bronze = f"s3://{args['bucket']}/bronze/*/ingest_date={args['ingest_date']}/run={args['run_id']}/"
    print(json.dumps({"job": "wistia-transform", "run_id": args["run_id"], "bronze": bronze, "status": "no transform yet"}))
    if job is not None:  # pragma: no cover
        job.commit()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
