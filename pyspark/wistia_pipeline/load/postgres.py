"""The local warehouse: PostgreSQL (embedded, started by the project). Stage files are CSV written by Spark,
loaded with COPY; the whole load (staging, the publish statements of load/sql.py, the stage cleared again) is
ONE transaction. The schema, tables and stage tables come from sql/ddl/postgres.sql."""

from __future__ import annotations

import glob
import os
from datetime import date

import psycopg

from ..model import STAGED
from . import sql

DDL = os.path.join(os.path.dirname(__file__), "..", "..", "..", "sql", "ddl", "postgres.sql")


class PostgresWarehouse:
    def __init__(self, dsn: str, ddl_path: str = DDL):
        self.dsn = dsn
        self.ddl_path = ddl_path

    def ensure_schema(self) -> None:
        with psycopg.connect(self.dsn, autocommit=True) as conn, open(self.ddl_path, encoding="utf-8") as f:
            conn.execute(f.read())

    def known_keys(self, table: str, key: str) -> list[str]:
        with psycopg.connect(self.dsn) as conn:
            return [r[0] for r in conn.execute(f"SELECT {key} FROM {sql.SCHEMA}.{table}")]

    def media_daily_plays(self, start: str, end: str) -> list[tuple]:
        """(media_id, day, play_count) of every fct_media_engagement row from ``start`` to ``end`` (issue 17)."""
        with psycopg.connect(self.dsn) as conn:
            rows = conn.execute(sql.media_daily_plays(), (start, end)).fetchall()
        return [(m, date.fromisoformat(d), int(n)) for m, d, n in rows]

    def _copy(self, cur: psycopg.Cursor, target: str, columns: tuple[str, ...], csv_dir: str) -> None:
        files = sorted(glob.glob(os.path.join(csv_dir.rstrip("/"), "part-*.csv")))
        with cur.copy(f"COPY {target} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)") as copy:
            for path in files:
                with open(path, "rb") as f:
                    while chunk := f.read(1 << 20):
                        copy.write(chunk)

    def publish(
        self, run_id: str, staged: dict[str, str], quarantine_dir: str, drift_dir: str, counts: dict | None = None
    ) -> dict[str, dict[str, int]]:
        """Loads the staged CSV directories (table -> dir) and publishes them in one transaction."""
        dirs = {**staged, "quarantine": quarantine_dir, "schema_drift": drift_dir}
        with psycopg.connect(self.dsn) as conn, conn.transaction(), conn.cursor() as cur:
            for name in STAGED:
                cur.execute(sql.clear_stage(name))
                self._copy(cur, sql.stage_name(name), sql.columns_of(name), dirs[name])
            for statement in sql.publish_statements(run_id, "CURRENT_TIMESTAMP", counts):
                cur.execute(statement)
            for statement in sql.clear_statements():
                cur.execute(statement)
            cur.execute(sql.read_audit(run_id))
            return {
                r[0]: {"staged": r[1], "inserted": r[2], "updated": r[3], "unchanged": r[4]} for r in cur.fetchall()
            }
