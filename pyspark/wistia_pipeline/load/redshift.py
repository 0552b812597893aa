"""The AWS warehouse: Redshift Serverless through the Data API with the job's IAM identity (no password in the job).

The job runs NO DDL here: the deploy's warehouse bootstrap (a CloudFormation custom resource running
sql/ddl/redshift.sql, then sql/ddl/redshift-grants.sql, as the namespace's admin) creates the schema, the tables
and the stage tables and grants them to the role wistia_loader, which the job's database user (IAMR:<its IAM
role>) holds through the role's RedshiftDbRoles tag. The job first checks, read-only, that the tables are there.

A load (load/sql.py): the staged CSV files are COPYed into the stage tables outside the publish transaction, in
BatchExecuteStatement calls of at most 40 statements; then ONE BatchExecuteStatement (one transaction) publishes
(audit rows, guard, MERGE per table; the run's quarantine and drift rows); then the stage tables are cleared.
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from ..model import STAGED, STAR
from . import sql

#: tables the load needs, all created by the bootstrap
REQUIRED_TABLES = (
    tuple(t.name for t in STAR)
    + ("quarantine", "schema_drift", "load_audit", "record_audit")
    + tuple(f"stg_{n}" for n in STAGED)
)

BOOTSTRAP = (
    "the deploy's warehouse bootstrap creates them (the custom resource running sql/ddl/redshift.sql and "
    "sql/ddl/redshift-grants.sql as the namespace's admin; `cdk deploy` runs it again when the DDL changed); "
    "the Glue job runs no DDL"
)
GRANTS = (
    "the job's database user (IAMR:<its IAM role>) gets its privileges from the database role wistia_loader, through "
    "the IAM role's RedshiftDbRoles tag; the deploy's warehouse bootstrap grants them (sql/ddl/redshift-grants.sql)"
)


class WarehouseNotReadyError(Exception):
    """The warehouse lacks what the deploy's bootstrap creates or grants."""


class RedshiftStatementError(Exception):
    """A Data API statement FAILED or was ABORTED."""


#: read-only, and readable by any database user (PG_TABLES: https://docs.aws.amazon.com/redshift/latest/dg/c_join_PG_examples.html)
TABLES_QUERY = f"SELECT tablename FROM pg_tables WHERE schemaname = '{sql.SCHEMA}'"


def not_ready(present: set[str]) -> WarehouseNotReadyError | None:
    """The error naming the bootstrap when tables the load needs are not among ``present``."""
    missing = [t for t in REQUIRED_TABLES if t not in present]
    if not missing:
        return None
    return WarehouseNotReadyError(
        f"the warehouse lacks {len(missing)} of the load's {len(REQUIRED_TABLES)} tables "
        f"({', '.join(f'{sql.SCHEMA}.{t}' for t in missing)}): {BOOTSTRAP}"
    )


def copy_statement(name: str, s3_prefix: str, iam_role: str) -> str:
    """COPY of one stage table from the run's CSV files under ``s3_prefix`` (every object under it), with the
    namespace's IAM role. No TRUNCATECOLUMNS: the transform makes every value fit (transforms/fit.py)."""
    if "'" in s3_prefix or "'" in iam_role:
        raise ValueError(f"a quote in a COPY's prefix or role: {s3_prefix!r}, {iam_role!r}")
    cols = ", ".join(sql.columns_of(name))
    return (
        f"COPY {sql.stage_name(name)} ({cols}) FROM '{s3_prefix}' IAM_ROLE '{iam_role}' "
        "FORMAT AS CSV TIMEFORMAT 'auto' EMPTYASNULL"
    )


def staging_statements(prefixes: dict[str, str], iam_role: str) -> list[str]:
    """Each stage table cleared, then loaded from its prefix (``prefixes``: stage name -> s3 prefix, for every name
    of model.STAGED)."""
    missing = [n for n in STAGED if n not in prefixes]
    if missing:
        raise ValueError(f"no staged files for {', '.join(missing)}")
    out: list[str] = []
    for name in STAGED:
        out += [sql.clear_stage(name), copy_statement(name, prefixes[name], iam_role)]
    return out


class RedshiftWarehouse:
    def __init__(self, client: Any, workgroup: str, database: str, iam_role: str, poll_seconds: float = 1.0):
        self.client = client
        self.workgroup = workgroup
        self.database = database
        self.iam_role = iam_role
        self.poll_seconds = poll_seconds

    def _wait(self, sid: str) -> dict:
        while True:
            d = self.client.describe_statement(Id=sid)
            if d["Status"] == "FINISHED":
                return d
            if d["Status"] in ("FAILED", "ABORTED"):
                error = d.get("Error", "")
                hint = f" ({GRANTS})" if "permission denied" in error.lower() else ""
                raise RedshiftStatementError(f"Redshift statement {d['Status']}: {error}{hint}")
            time.sleep(self.poll_seconds)

    def _batch(self, statements: list[str]) -> None:
        r = self.client.batch_execute_statement(WorkgroupName=self.workgroup, Database=self.database, Sqls=statements)
        self._wait(r["Id"])

    def _query(self, text: str) -> list[list[dict]]:
        r = self.client.execute_statement(WorkgroupName=self.workgroup, Database=self.database, Sql=text)
        self._wait(r["Id"])
        rows: list[list[dict]] = []
        token = None
        while True:
            page = self.client.get_statement_result(Id=r["Id"], **({"NextToken": token} if token else {}))
            rows += page.get("Records", [])
            token = page.get("NextToken")
            if not token:
                return rows

    def check_tables(self) -> None:
        """Read-only: every table the load needs exists, before any work is done."""
        present = {row[0].get("stringValue") for row in self._query(TABLES_QUERY)}
        error = not_ready(present)
        if error:
            raise error

    def known_keys(self, table: str, key: str) -> list[str]:
        return [row[0].get("stringValue") for row in self._query(f"SELECT {key} FROM {sql.SCHEMA}.{table}")]

    def media_daily_plays(self, start: str, end: str) -> list[tuple]:
        """(media_id, day, play_count) of every fct_media_engagement row from ``start`` to ``end`` (issue 17)."""
        rows = self._query(sql.media_daily_plays(start, end))
        return [(r[0]["stringValue"], date.fromisoformat(r[1]["stringValue"]), int(r[2]["longValue"])) for r in rows]

    def publish(
        self, run_id: str, staged: dict[str, str], quarantine_prefix: str, drift_prefix: str, counts: dict | None = None
    ) -> dict[str, dict[str, int]]:
        prefixes = {**staged, "quarantine": quarantine_prefix, "schema_drift": drift_prefix}
        publish = sql.one_batch(
            sql.publish_statements(run_id, "SYSDATE", counts), "the publish transaction"
        )  # raises before anything is sent
        for batch in sql.batches(staging_statements(prefixes, self.iam_role)):
            self._batch(batch)
        self._batch(publish)
        self._batch(sql.clear_statements())
        rows = self._query(sql.read_audit(run_id))
        return {
            row[0]["stringValue"]: {
                k: int(row[i + 1]["longValue"]) for i, k in enumerate(("staged", "inserted", "updated", "unchanged"))
            }
            for row in rows
        }
