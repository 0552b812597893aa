"""The AWS warehouse: Redshift Serverless through the Data API with IAM credentials (no password in the job).
Spark writes the stage files to S3; one BatchExecuteStatement (a single transaction) COPYs them into the stage
tables, records the load's counts, applies the guard, MERGEs, and replaces the run's quarantine and drift rows."""

from __future__ import annotations

import re
import time
from typing import Any

from ..model import DRIFT_COLUMNS, QUARANTINE_COLUMNS, STAR
from . import sql

RUN_ID = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")


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
                raise RuntimeError(f"Redshift statement {d['Status']}: {d.get('Error', '')}")
            time.sleep(self.poll_seconds)

    def _run(self, statements: list[str]) -> str:
        r = self.client.batch_execute_statement(WorkgroupName=self.workgroup, Database=self.database, Sqls=statements)
        self._wait(r["Id"])
        return r["Id"]

    def ensure_schema(self, ddl: str) -> None:
        body = "\n".join(line for line in ddl.splitlines() if not line.strip().startswith("--"))
        statements = [s.strip() for s in body.split(";") if s.strip()]
        self._run(statements + [sql.create_stage(t) for t in STAR])

    def known_keys(self, table: str, key: str) -> list[str]:
        r = self.client.execute_statement(WorkgroupName=self.workgroup, Database=self.database, Sql=f"SELECT {key} FROM {sql.SCHEMA}.{table}")
        self._wait(r["Id"])
        out: list[str] = []
        token = None
        while True:
            page = self.client.get_statement_result(Id=r["Id"], **({"NextToken": token} if token else {}))
            out += [row[0].get("stringValue") for row in page.get("Records", [])]
            token = page.get("NextToken")
            if not token:
                return out

    def copy(self, table: str, columns: tuple[str, ...], s3_prefix: str) -> str:
        return f"COPY {table} ({', '.join(columns)}) FROM '{s3_prefix}' IAM_ROLE '{self.iam_role}' FORMAT AS CSV TIMEFORMAT 'auto' EMPTYASNULL"

    def publish_statements(self, run_id: str, staged: dict[str, str], quarantine_prefix: str, drift_prefix: str) -> list[str]:
        """The transaction, in order."""
        if not RUN_ID.match(run_id):
            raise ValueError(f"not an execution name: {run_id!r}")
        out: list[str] = [f"DELETE FROM {sql.SCHEMA}.load_audit WHERE _run_id = '{run_id}'"]
        for t in STAR:
            stg, tgt = sql.stage_name(t), sql.target_name(t)
            match = " AND ".join(f"{tgt}.{k} = {stg}.{k}" for k in t.keys)
            out += [
                sql.clear_stage(t),
                self.copy(stg, t.all_columns, staged[t.name]),
                f"INSERT INTO {sql.SCHEMA}.load_audit (_run_id, table_name, staged, inserted, updated, unchanged, loaded_at) SELECT '{run_id}', '{t.name}', COUNT(*), 0, 0, 0, GETDATE() FROM {stg}",
                sql.guard(t),
                f"UPDATE {sql.SCHEMA}.load_audit SET inserted = (SELECT COUNT(*) FROM {stg} WHERE NOT EXISTS (SELECT 1 FROM {tgt} WHERE {match})), "
                f"updated = (SELECT COUNT(*) FROM {stg} WHERE EXISTS (SELECT 1 FROM {tgt} WHERE {match})), "
                f"unchanged = staged - (SELECT COUNT(*) FROM {stg}) WHERE _run_id = '{run_id}' AND table_name = '{t.name}'",
                sql.merge(t),
                sql.clear_stage(t),
            ]
        out += [
            f"DELETE FROM {sql.SCHEMA}.quarantine WHERE _run_id = '{run_id}'",
            self.copy(f"{sql.SCHEMA}.quarantine", QUARANTINE_COLUMNS, quarantine_prefix),
            f"DELETE FROM {sql.SCHEMA}.schema_drift WHERE _run_id = '{run_id}'",
            self.copy(f"{sql.SCHEMA}.schema_drift", DRIFT_COLUMNS, drift_prefix),
        ]
        return out

    def publish(self, run_id: str, staged: dict[str, str], quarantine_prefix: str, drift_prefix: str) -> dict[str, dict[str, int]]:
        self._run(self.publish_statements(run_id, staged, quarantine_prefix, drift_prefix))
        r = self.client.execute_statement(
            WorkgroupName=self.workgroup,
            Database=self.database,
            Sql=f"SELECT table_name, staged, inserted, updated, unchanged FROM {sql.SCHEMA}.load_audit WHERE _run_id = '{run_id}'",
        )
        self._wait(r["Id"])
        rows = self.client.get_statement_result(Id=r["Id"]).get("Records", [])
        return {row[0]["stringValue"]: {k: int(row[i + 1]["longValue"]) for i, k in enumerate(("staged", "inserted", "updated", "unchanged"))} for row in rows}
