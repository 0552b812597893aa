"""The publish SQL, the same for Redshift and PostgreSQL (the common subset: MERGE without aliases on the
target, AND conditions or DO NOTHING; DELETE … USING; no IS DISTINCT FROM).

Per table, inside one transaction: drop stage rows that would change nothing or are older than what is
published (a re-run changes no row), count inserts and updates, MERGE, empty the stage.
"""

from __future__ import annotations

from ..model import Table

SCHEMA = "analytics"


def stage_name(t: Table) -> str:
    return f"{SCHEMA}.stg_{t.name}"


def target_name(t: Table) -> str:
    return f"{SCHEMA}.{t.name}"


def _keys_match(t: Table, left: str, right: str) -> str:
    return " AND ".join(f"{left}.{k} = {right}.{k}" for k in t.keys)


def _same(c: str, a: str, b: str) -> str:
    return f"({a}.{c} = {b}.{c} OR ({a}.{c} IS NULL AND {b}.{c} IS NULL))"


def create_stage(t: Table) -> str:
    return f"CREATE TABLE IF NOT EXISTS {stage_name(t)} (LIKE {target_name(t)})"


def clear_stage(t: Table) -> str:
    return f"DELETE FROM {stage_name(t)}"


def guard(t: Table) -> str:
    """Stage rows that must not be applied: unchanged, or no newer than the published row."""
    stg, tgt = stage_name(t), target_name(t)
    if not t.versioned:
        return f"DELETE FROM {stg} USING {tgt} WHERE {_keys_match(t, stg, tgt)}"
    unchanged = " AND ".join(_same(c, stg, tgt) for c in t.columns)
    return f"DELETE FROM {stg} USING {tgt} WHERE {_keys_match(t, stg, tgt)} AND ({tgt}._fetched_at >= {stg}._fetched_at OR ({unchanged}))"


def count_inserts(t: Table) -> str:
    stg, tgt = stage_name(t), target_name(t)
    return f"SELECT COUNT(*) FROM {stg} WHERE NOT EXISTS (SELECT 1 FROM {tgt} WHERE {_keys_match(t, tgt, stg)})"


def count_stage(t: Table) -> str:
    return f"SELECT COUNT(*) FROM {stage_name(t)}"


def merge(t: Table) -> str:
    stg, tgt = stage_name(t), target_name(t)
    cols = t.all_columns
    on = " AND ".join(f"{t.name}.{k} = s.{k}" for k in t.keys)
    updates = ", ".join(f"{c} = s.{c}" for c in cols if c not in t.keys)
    insert_cols = ", ".join(cols)
    values = ", ".join(f"s.{c}" for c in cols)
    return f"MERGE INTO {tgt} USING {stg} s ON {on} WHEN MATCHED THEN UPDATE SET {updates} WHEN NOT MATCHED THEN INSERT ({insert_cols}) VALUES ({values})"
