"""The load's SQL, the same for Redshift and PostgreSQL (the common subset: MERGE without aliases on the
target, AND conditions or DO NOTHING; DELETE … USING; no IS DISTINCT FROM). Pure functions: statements in, the
warehouses (load/redshift.py, load/postgres.py) only send them.

The load, as ADR D2 of issue 11 sets it (the Data API's BatchExecuteStatement takes 1..40 statements, each
≤ 100 KB):
1. staging: each stage table (analytics.stg_<table>, created by the deploy's bootstrap) cleared, then COPYed from
   the run's files; on Redshift outside the publish transaction, in batches of ≤ 40;
2. the publish, ONE transaction: the run's audit rows deleted; per star table its audit row (counts taken
   before the guard), the guard (drop stage rows that would change nothing or are older than what is published:
   a re-run changes no row) and the MERGE; the run's quarantine and drift rows replaced from their stage tables;
3. the stage tables cleared again.
"""

from __future__ import annotations

import re

from ..model import DRIFT_COLUMNS, QUARANTINE_COLUMNS, RUN_ID_PATTERN, STAGED, STAR, Table

SCHEMA = "analytics"

#: BatchExecuteStatement's Sqls: "Array Members: Minimum number of 1 item. Maximum number of 40 items."
#: https://docs.aws.amazon.com/redshift-data/latest/APIReference/API_BatchExecuteStatement.html (botocore's model:
#: SqlList min 1, max 40; the SDK checks only the minimum client-side)
MAX_BATCH = 40
#: "The maximum query statement size is 100 KB." https://docs.aws.amazon.com/redshift/latest/mgmt/data-api.html
MAX_STATEMENT_BYTES = 100 * 1024
#: an execution name: the only value the load's SQL embeds as a literal
RUN_ID = re.compile(RUN_ID_PATTERN)

#: the audit tables the publish replaces from their own stage tables, with their columns in file order
AUDIT_TABLES = {"quarantine": QUARANTINE_COLUMNS, "schema_drift": DRIFT_COLUMNS}
#: each audit table's key (its PRIMARY KEY in the DDL): a row of another run read again (a replay reads the bronze
#: of the run it replays) replaces that run's row instead of duplicating it
AUDIT_KEYS = {"quarantine": ("source_object", "record_index"), "schema_drift": ("_run_id", "entity", "field", "kind")}


class PublishTooLargeError(Exception):
    """The publish transaction would not fit one BatchExecuteStatement."""


def _run_literal(run_id: str) -> str:
    if not RUN_ID.match(run_id):
        raise ValueError(f"not an execution name: {run_id!r}")
    return f"'{run_id}'"


def stage_name(t: Table | str) -> str:
    return f"{SCHEMA}.stg_{t if isinstance(t, str) else t.name}"


def columns_of(name: str) -> tuple[str, ...]:
    """The staged file's columns, in order, of a stage table."""
    return AUDIT_TABLES[name] if name in AUDIT_TABLES else next(t for t in STAR if t.name == name).all_columns


def target_name(t: Table) -> str:
    return f"{SCHEMA}.{t.name}"


def _keys_match(t: Table, left: str, right: str) -> str:
    return " AND ".join(f"{left}.{k} = {right}.{k}" for k in t.keys)


def _same(c: str, a: str, b: str) -> str:
    return f"({a}.{c} = {b}.{c} OR ({a}.{c} IS NULL AND {b}.{c} IS NULL))"


def clear_stage(t: Table | str) -> str:
    # DELETE, not TRUNCATE: TRUNCATE commits the open transaction on Redshift
    # (https://docs.aws.amazon.com/redshift/latest/dg/r_TRUNCATE.html)
    return f"DELETE FROM {stage_name(t)}"


def _guard_condition(t: Table) -> str | None:
    """Beyond the key match, when a stage row must not be applied (None: whenever its key is published)."""
    if not t.versioned:
        return None
    stg, tgt = stage_name(t), target_name(t)
    unchanged = " AND ".join(_same(c, stg, tgt) for c in t.columns)
    return f"{tgt}._fetched_at >= {stg}._fetched_at OR ({unchanged})"


def guard(t: Table) -> str:
    """Stage rows that must not be applied: unchanged, or no newer than the published row."""
    stg, tgt = stage_name(t), target_name(t)
    cond = _guard_condition(t)
    return f"DELETE FROM {stg} USING {tgt} WHERE {_keys_match(t, stg, tgt)}" + (f" AND ({cond})" if cond else "")


def merge(t: Table) -> str:
    stg, tgt = stage_name(t), target_name(t)
    cols = t.all_columns
    on = " AND ".join(f"{t.name}.{k} = s.{k}" for k in t.keys)
    updates = ", ".join(f"{c} = s.{c}" for c in cols if c not in t.keys)
    insert_cols = ", ".join(cols)
    values = ", ".join(f"s.{c}" for c in cols)
    return (
        f"MERGE INTO {tgt} USING {stg} s ON {on} WHEN MATCHED THEN UPDATE SET {updates} "
        f"WHEN NOT MATCHED THEN INSERT ({insert_cols}) VALUES ({values})"
    )


def audit_row(t: Table, run_id: str, now: str) -> str:
    """The run's load_audit row for ``t``, counted before the guard: staged rows, those new to the table
    (inserted), those the guard drops (unchanged) and the rest (updated). ``now``: the warehouse's transaction
    timestamp (Redshift SYSDATE, PostgreSQL CURRENT_TIMESTAMP)."""
    stg, tgt = stage_name(t), target_name(t)
    match = _keys_match(t, tgt, stg)
    cond = _guard_condition(t)
    guarded = f"{match} AND ({cond})" if cond else match
    counts = (
        f"SELECT (SELECT COUNT(*) FROM {stg}) AS staged, "
        f"(SELECT COUNT(*) FROM {stg} WHERE NOT EXISTS (SELECT 1 FROM {tgt} WHERE {match})) AS inserted, "
        f"(SELECT COUNT(*) FROM {stg} WHERE EXISTS (SELECT 1 FROM {tgt} WHERE {guarded})) AS unchanged"
    )
    return (
        f"INSERT INTO {SCHEMA}.load_audit (_run_id, table_name, staged, inserted, updated, unchanged, loaded_at) "
        f"SELECT {_run_literal(run_id)}, '{t.name}', c.staged, c.inserted, c.staged - c.inserted - c.unchanged, "
        f"c.unchanged, {now} FROM ({counts}) c"
    )


def replace_audit(name: str, run_id: str) -> list[str]:
    """The run's quarantine or drift rows, and any row its stage table holds again by key, replaced by the stage's."""
    cols = ", ".join(AUDIT_TABLES[name])
    tgt, stg = f"{SCHEMA}.{name}", stage_name(name)
    match = " AND ".join(f"{tgt}.{k} = {stg}.{k}" for k in AUDIT_KEYS[name])
    return [
        f"DELETE FROM {tgt} WHERE _run_id = {_run_literal(run_id)}",
        f"DELETE FROM {tgt} USING {stg} WHERE {match}",
        f"INSERT INTO {tgt} ({cols}) SELECT {cols} FROM {stg}",
    ]


#: record_audit's columns after _run_id and entity: what each entity's records became in the run (issue 12)
RECORD_AUDIT_COLUMNS = ("served", "loaded", "quarantined", "deduplicated", "skipped")


def record_audit(run_id: str, now: str, counts: dict) -> list[str]:
    """The run's record_audit rows replaced: per entity, served = loaded + quarantined + deduplicated + skipped.
    ``counts``: entity -> pipeline.EntityCount; every value is an int the job computed, embedded as a literal."""
    out = [f"DELETE FROM {SCHEMA}.record_audit WHERE _run_id = {_run_literal(run_id)}"]
    rows = []
    for entity in sorted(counts):
        if not re.fullmatch(r"[a-z_]{1,32}", entity):
            raise ValueError(f"not an entity name: {entity!r}")
        values = counts[entity].as_dict()
        rows.append(
            f"({_run_literal(run_id)}, '{entity}', "
            + ", ".join(str(int(values[c])) for c in RECORD_AUDIT_COLUMNS)
            + f", {now})"
        )
    if rows:
        out.append(
            f"INSERT INTO {SCHEMA}.record_audit (_run_id, entity, {', '.join(RECORD_AUDIT_COLUMNS)}, loaded_at) VALUES "
            + ", ".join(rows)
        )
    return out


def publish_statements(run_id: str, now: str, counts: dict | None = None) -> list[str]:
    """The publish transaction, in order (staged data in, published tables out)."""
    out = [f"DELETE FROM {SCHEMA}.load_audit WHERE _run_id = {_run_literal(run_id)}"]
    for t in STAR:  # dimensions before the facts that refer to them
        out += [audit_row(t, run_id, now), guard(t), merge(t)]
    for name in AUDIT_TABLES:
        out += replace_audit(name, run_id)
    return out + record_audit(run_id, now, counts or {})


def clear_statements() -> list[str]:
    return [clear_stage(name) for name in STAGED]


def read_audit(run_id: str) -> str:
    return (
        f"SELECT table_name, staged, inserted, updated, unchanged FROM {SCHEMA}.load_audit "
        f"WHERE _run_id = {_run_literal(run_id)} ORDER BY table_name"
    )


def one_batch(statements: list[str], what: str) -> list[str]:
    """``statements`` as ONE BatchExecuteStatement (one transaction), or PublishTooLargeError naming the count
    before anything is sent."""
    if not 1 <= len(statements) <= MAX_BATCH:
        raise PublishTooLargeError(
            f"{what} has {len(statements)} statements; one BatchExecuteStatement (one transaction) takes 1 to "
            f"{MAX_BATCH}"
        )
    check_sizes(statements)
    return statements


def batches(statements: list[str]) -> list[list[str]]:
    """``statements`` in order, in batches of at most MAX_BATCH (for what need not be one transaction)."""
    check_sizes(statements)
    return [statements[i : i + MAX_BATCH] for i in range(0, len(statements), MAX_BATCH)]


def check_sizes(statements: list[str]) -> None:
    for s in statements:
        if len(s.encode("utf-8")) > MAX_STATEMENT_BYTES:
            raise PublishTooLargeError(
                f"a statement of {len(s.encode('utf-8'))} bytes is over the Data API's {MAX_STATEMENT_BYTES} bytes: "
                f"{s[:80]}…"
            )


DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def media_daily_plays(start: str | None = None, end: str | None = None) -> str:
    """Every media's plays per day from ``start`` to ``end`` (the reconciliation's, issue 17): with the days as
    literals (the Data API statement; checked to be dates), else with psycopg's two placeholders."""
    if start is None or end is None:
        between = "%s AND %s"
    else:
        for d in (start, end):
            if not DAY.match(d):
                raise ValueError(f"not a day: {d!r}")
        between = f"'{start}' AND '{end}'"
    return (
        f"SELECT media_id, CAST(snapshot_date AS VARCHAR(10)), play_count FROM {SCHEMA}.fct_media_engagement "
        f"WHERE snapshot_date BETWEEN {between}"
    )
