"""The AWS warehouse: Redshift Serverless through the Data API with IAM credentials (no password in the job).
Spark writes the stage files to S3; one BatchExecuteStatement (a single transaction) COPYs them into the stage
tables, applies the guard, MERGEs and writes the audit rows. Counts come from a statement run before it."""

from __future__ import annotations

import time
from typing import Any

from ..model import STAR
from . import sql


class RedshiftWarehouse:
    def __init__(self, client: Any, workgroup: str, database: str, iam_role: str):
        self.client = client
        self.workgroup = workgroup
        self.database = database
        self.iam_role = iam_role

    def _run(self, statements: list[str]) -> str:
        r = self.client.batch_execute_statement(WorkgroupName=self.workgroup, Database=self.database, Sqls=statements)
        sid = r["Id"]
        while True:
            d = self.client.describe_statement(Id=sid)
            if d["Status"] == "FINISHED":
                return sid
            if d["Status"] in ("FAILED", "ABORTED"):
                raise RuntimeError(f"Redshift statement {d['Status']}: {d.get('Error', '')}")
            time.sleep(1)

    def ensure_schema(self, ddl: str) -> None:
        statements = [s.strip() for s in ddl.split(";") if s.strip() and not s.strip().startswith("--")]
        self._run(statements + [sql.create_stage(t) for t in STAR])

    def copy(self, table: str, columns: tuple[str, ...], s3_prefix: str) -> str:
        return f"COPY {table} ({', '.join(columns)}) FROM '{s3_prefix}' IAM_ROLE '{self.iam_role}' FORMAT AS CSV TIMEFORMAT 'auto' EMPTYASNULL"

    def publish_statements(self, run_id: str, staged: dict[str, str]) -> list[str]:
        """The transaction, in order (run_id is validated by the caller: [A-Za-z0-9_.-])."""
        out: list[str] = []
        for t in STAR:
            out += [sql.clear_stage(t), self.copy(sql.stage_name(t), t.all_columns, staged[t.name]), sql.guard(t), sql.merge(t), sql.clear_stage(t)]
        out.append(f"DELETE FROM {sql.SCHEMA}.load_audit WHERE _run_id = '{run_id}'")
        return out

    def publish(self, run_id: str, staged: dict[str, str]) -> None:
        self._run(self.publish_statements(run_id, staged))
