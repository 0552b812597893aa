"""The local warehouse: PostgreSQL (embedded, started by the project). Stage files are CSV written by Spark,
loaded with COPY; the whole load — staging, the guard, MERGE, audit rows — is one transaction."""

from __future__ import annotations

import glob
import os
from datetime import datetime, timezone

import psycopg

from ..model import DRIFT_COLUMNS, QUARANTINE_COLUMNS, STAR
from . import sql

DDL = os.path.join(os.path.dirname(__file__), "..", "..", "..", "sql", "ddl", "postgres.sql")


class PostgresWarehouse:
    def __init__(self, dsn: str, ddl_path: str = DDL):
        self.dsn = dsn
        self.ddl_path = ddl_path

    def ensure_schema(self) -> None:
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            with open(self.ddl_path, encoding="utf-8") as f:
                conn.execute(f.read())
            for t in STAR:
                conn.execute(sql.create_stage(t))

    def known_keys(self, table: str, key: str) -> list[str]:
        with psycopg.connect(self.dsn) as conn:
            return [r[0] for r in conn.execute(f"SELECT {key} FROM {sql.SCHEMA}.{table}")]

    def _copy(self, cur: psycopg.Cursor, target: str, columns: tuple[str, ...], csv_dir: str) -> None:
        files = sorted(glob.glob(os.path.join(csv_dir.rstrip("/"), "part-*.csv")))
        with cur.copy(f"COPY {target} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)") as copy:
            for path in files:
                with open(path, "rb") as f:
                    while chunk := f.read(1 << 20):
                        copy.write(chunk)

    def publish(self, run_id: str, staged: dict[str, str], quarantine_dir: str, drift_dir: str) -> dict[str, dict[str, int]]:
        """Loads the staged CSV directories (table -> dir) and publishes them in one transaction."""
        result: dict[str, dict[str, int]] = {}
        now = datetime.now(timezone.utc)
        with psycopg.connect(self.dsn) as conn, conn.transaction(), conn.cursor() as cur:
            for t in STAR:
                cur.execute(sql.clear_stage(t))
                self._copy(cur, sql.stage_name(t), t.all_columns, staged[t.name])
                cur.execute(sql.count_stage(t))
                total = cur.fetchone()[0]
                cur.execute(sql.guard(t))
                cur.execute(sql.count_stage(t))
                applied = cur.fetchone()[0]
                cur.execute(sql.count_inserts(t))
                inserted = cur.fetchone()[0]
                cur.execute(sql.merge(t))
                cur.execute(sql.clear_stage(t))
                result[t.name] = {"staged": total, "inserted": inserted, "updated": applied - inserted, "unchanged": total - applied}
                cur.execute(
                    f"DELETE FROM {sql.SCHEMA}.load_audit WHERE _run_id = %s AND table_name = %s",
                    (run_id, t.name),
                )
                cur.execute(
                    f"INSERT INTO {sql.SCHEMA}.load_audit (_run_id, table_name, staged, inserted, updated, unchanged, loaded_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    (run_id, t.name, total, inserted, applied - inserted, total - applied, now),
                )
            for table, cols, d in (
                ("quarantine", QUARANTINE_COLUMNS, quarantine_dir),
                ("schema_drift", DRIFT_COLUMNS, drift_dir),
            ):
                cur.execute(f"DELETE FROM {sql.SCHEMA}.{table} WHERE _run_id = %s", (run_id,))
                self._copy(cur, f"{sql.SCHEMA}.{table}", cols, d)
        return result
