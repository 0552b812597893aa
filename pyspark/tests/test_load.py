"""The load's SQL (pure statement builders). The Redshift Data API flow itself runs end to end against the Data API
stand-in (local/redshift/) in the production-path test; the PostgreSQL flow in test/warehouse.test.ts."""

import os
import re

import pytest

from wistia_pipeline.load import redshift, sql
from wistia_pipeline.model import DIM_DATE, DIM_MEDIA, FCT_MEDIA_ENGAGEMENT, STAGED, STAR, Table
from wistia_pipeline.pipeline import EntityCount

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "sql", "ddl")
PREFIXES = {n: f"s3://bucket/tmp/redshift/r1/{n}/" for n in STAGED}
ROLE = "arn:aws:iam::111111111111:role/copy"


def ddl(name):
    return open(os.path.join(ROOT, name), encoding="utf-8").read()


def statements(text):
    """The DDL as the bootstrap sends it: comment lines dropped, split on ';'."""
    body = "\n".join(line for line in text.splitlines() if not line.strip().startswith("--"))
    return [s.strip() for s in body.split(";") if s.strip()]


def test_merge_uses_the_redshift_compatible_subset():
    m = sql.merge(FCT_MEDIA_ENGAGEMENT)
    assert m.startswith(
        "MERGE INTO analytics.fct_media_engagement USING analytics.stg_fct_media_engagement s ON "
        "fct_media_engagement.media_id = s.media_id AND fct_media_engagement.snapshot_date = s.snapshot_date"
    )
    assert "WHEN MATCHED THEN UPDATE SET load_count = s.load_count" in m
    assert "WHEN NOT MATCHED THEN INSERT (media_id, snapshot_date, load_count" in m
    for forbidden in ("IS DISTINCT", "DO NOTHING", "RETURNING", "WHEN MATCHED AND"):
        assert forbidden not in m


def test_the_guard_drops_unchanged_or_older_stage_rows_so_a_rerun_changes_nothing():
    g = sql.guard(DIM_MEDIA)
    assert g.startswith(
        "DELETE FROM analytics.stg_dim_media USING analytics.dim_media WHERE analytics.stg_dim_media.media_id = "
        "analytics.dim_media.media_id"
    )
    assert "analytics.dim_media._fetched_at >= analytics.stg_dim_media._fetched_at OR (" in g
    assert (
        "(analytics.stg_dim_media.name = analytics.dim_media.name OR (analytics.stg_dim_media.name IS NULL AND "
        "analytics.dim_media.name IS NULL))" in g
    )
    assert (
        sql.guard(DIM_DATE)
        == "DELETE FROM analytics.stg_dim_date USING analytics.dim_date WHERE analytics.stg_dim_date.date_key = "
        "analytics.dim_date.date_key"
    )


def test_the_audit_row_counts_before_the_guard_with_the_guards_own_condition():
    a = sql.audit_row(DIM_MEDIA, "r1", "SYSDATE")
    assert a.startswith(
        "INSERT INTO analytics.load_audit (_run_id, table_name, staged, inserted, updated, unchanged, loaded_at) "
        "SELECT 'r1', 'dim_media', c.staged, c.inserted, c.staged - c.inserted - c.unchanged, c.unchanged, SYSDATE "
        "FROM ("
    )
    guard_condition = sql.guard(DIM_MEDIA).split(" AND (", 1)[1][:-1]  # "… WHERE <key match> AND (<condition>)"
    assert (
        f"WHERE analytics.dim_media.media_id = analytics.stg_dim_media.media_id AND ({guard_condition}))) AS "
        "unchanged) c" in a
    )
    assert (
        "NOT EXISTS (SELECT 1 FROM analytics.dim_media WHERE analytics.dim_media.media_id = "
        "analytics.stg_dim_media.media_id)) AS inserted" in a
    )
    # an unversioned table's guard drops every published key: all of those count as unchanged
    assert (
        "(SELECT COUNT(*) FROM analytics.stg_dim_date WHERE EXISTS (SELECT 1 FROM analytics.dim_date WHERE "
        "analytics.dim_date.date_key = analytics.stg_dim_date.date_key)) AS unchanged"
        in sql.audit_row(DIM_DATE, "r1", "SYSDATE")
    )


def test_staging_clears_then_copies_every_stage_table_in_batches_of_at_most_40():
    stage = redshift.staging_statements(PREFIXES, ROLE)
    assert len(stage) == 2 * len(STAGED) == 22
    assert stage[0] == "DELETE FROM analytics.stg_dim_date"
    assert (
        stage[1]
        == "COPY analytics.stg_dim_date (date_key, year, quarter, month, month_name, day, day_of_week, day_name, "
        "iso_week, is_weekend) FROM 's3://bucket/tmp/redshift/r1/dim_date/' IAM_ROLE "
        "'arn:aws:iam::111111111111:role/copy' FORMAT AS CSV TIMEFORMAT 'auto' EMPTYASNULL"
    )
    assert stage[-2:] == [
        "DELETE FROM analytics.stg_schema_drift",
        "COPY analytics.stg_schema_drift (_run_id, entity, field, kind, records) FROM "
        "'s3://bucket/tmp/redshift/r1/schema_drift/' IAM_ROLE 'arn:aws:iam::111111111111:role/copy' FORMAT AS CSV "
        "TIMEFORMAT 'auto' EMPTYASNULL",
    ]
    assert (
        "COPY analytics.stg_quarantine (source_object, record_index, entity, natural_key, reason, record, _run_id) "
        "FROM 's3://bucket/tmp/redshift/r1/quarantine/'" in " ".join(stage)
    )
    assert not any(
        "TRUNCATECOLUMNS" in s or s.startswith("COPY analytics.quarantine") for s in stage
    )  # values fit (fit.py); audit tables only from stage
    assert [len(b) for b in sql.batches(stage)] == [22]
    assert [len(b) for b in sql.batches(["SELECT 1"] * 81)] == [40, 40, 1]


COUNTS = {
    e: EntityCount(served=10, accepted=8, quarantined=2, deduplicated=1, skipped=0)
    for e in ("medias", "events", "visitors", "media_stats", "media_engagement")
}


def test_the_publish_is_one_transaction_of_audit_guard_merge_per_table_and_the_audit_replace(capsys):
    stmts = sql.publish_statements("r1", "SYSDATE", COUNTS)
    kinds = [s.split(" (")[0].split(" WHERE")[0].split(" SELECT")[0] for s in stmts]
    per_table = []
    for t in STAR:
        per_table += [
            "INSERT INTO analytics.load_audit",
            f"DELETE FROM analytics.stg_{t.name} USING analytics.{t.name}",
            f"MERGE INTO analytics.{t.name} USING analytics.stg_{t.name} s ON {t.name}.{t.keys[0]} = s.{t.keys[0]}",
        ]
    assert [k if not k.startswith("MERGE") else k.split(" AND ")[0].split(" WHEN")[0] for k in kinds] == [
        "DELETE FROM analytics.load_audit",
        *per_table,
        "DELETE FROM analytics.quarantine",
        "DELETE FROM analytics.quarantine USING analytics.stg_quarantine",
        "INSERT INTO analytics.quarantine",
        "DELETE FROM analytics.schema_drift",
        "DELETE FROM analytics.schema_drift USING analytics.stg_schema_drift",
        "INSERT INTO analytics.schema_drift",
        "DELETE FROM analytics.record_audit",
        "INSERT INTO analytics.record_audit",
    ]
    # a row read again from another run's bronze (a replay) replaces that row by its key
    assert (
        "DELETE FROM analytics.quarantine USING analytics.stg_quarantine WHERE analytics.quarantine.source_object = "
        "analytics.stg_quarantine.source_object AND analytics.quarantine.record_index = "
        "analytics.stg_quarantine.record_index" in stmts
    )
    assert (
        "INSERT INTO analytics.schema_drift (_run_id, entity, field, kind, records) SELECT _run_id, entity, field, "
        "kind, records FROM analytics.stg_schema_drift" in stmts
    )
    # the run's accounting per entity, served = loaded + quarantined + deduplicated + skipped, as literals
    assert (
        stmts[-1]
        == "INSERT INTO analytics.record_audit (_run_id, entity, served, loaded, quarantined, deduplicated, skipped, "
        "loaded_at) VALUES " + ", ".join(f"('r1', '{e}', 10, 7, 2, 1, 0, SYSDATE)" for e in sorted(COUNTS))
    )
    assert not any(s.startswith("COPY") for s in stmts)  # staging happens before, outside this transaction
    n = len(stmts)
    largest = max(len(s.encode("utf-8")) for s in stmts)
    with capsys.disabled():
        print(
            f"\n[publish batch] {n} statements for {len(STAR)} star tables (3 each + 1 + 6 + 2): {sql.MAX_BATCH - n} "
            f"under the Data API's {sql.MAX_BATCH}; largest statement {largest} bytes of {sql.MAX_STATEMENT_BYTES}"
        )
    assert n == 1 + 3 * len(STAR) + 6 + 2 == 36
    assert sql.one_batch(stmts, "the publish transaction") == stmts
    assert largest < sql.MAX_STATEMENT_BYTES


def test_a_publish_over_40_statements_is_refused_before_anything_is_sent(monkeypatch):
    class NoCallsExpected:
        def __getattr__(self, name):
            raise AssertionError(f"the Data API was called ({name}) although the publish cannot be sent")

    more = tuple(Table(f"t{i}", ("k",), ("v",)) for i in range(12))  # 1 + 3 * 12 + 6 + 2 = 45 statements
    monkeypatch.setattr(sql, "STAR", more)
    wh = redshift.RedshiftWarehouse(NoCallsExpected(), "wg", "analytics", ROLE, poll_seconds=0)
    with pytest.raises(sql.PublishTooLargeError) as e:
        wh.publish(
            "r1",
            {n: PREFIXES[n] for n in STAGED if n not in ("quarantine", "schema_drift")},
            PREFIXES["quarantine"],
            PREFIXES["schema_drift"],
            COUNTS,
        )
    assert (
        str(e.value)
        == "the publish transaction has 45 statements; one BatchExecuteStatement (one transaction) takes 1 to 40"
    )


def test_a_statement_over_100_kb_is_refused_naming_its_size():
    with pytest.raises(
        sql.PublishTooLargeError, match=r"a statement of 102401 bytes is over the Data API's 102400 bytes"
    ):
        sql.one_batch(["x" * 102401], "a batch")


def test_the_sql_embeds_only_an_execution_name():
    for build in (lambda r: sql.publish_statements(r, "SYSDATE", COUNTS), sql.read_audit):
        with pytest.raises(ValueError, match="not an execution name"):
            build("r1'; DROP TABLE x; --")
    with pytest.raises(ValueError, match="a quote"):
        redshift.copy_statement("dim_date", "s3://b/x'/", ROLE)


def test_the_warehouse_check_names_every_table_the_load_needs_and_the_ddl_creates_them_all():
    created = set(re.findall(r"CREATE TABLE IF NOT EXISTS analytics\.(\w+)", ddl("redshift.sql")))
    assert set(redshift.REQUIRED_TABLES) <= created
    assert {f"stg_{n}" for n in STAGED} <= set(redshift.REQUIRED_TABLES)
    assert redshift.not_ready(created) is None
    err = redshift.not_ready(created - {"stg_quarantine", "load_audit"})
    assert str(err) == (
        "the warehouse lacks 2 of the load's 24 tables (analytics.load_audit, analytics.stg_quarantine): the deploy's "
        "warehouse "
        "bootstrap creates them (the custom resource running sql/ddl/redshift.sql and sql/ddl/redshift-grants.sql as "
        "the "
        "namespace's admin; `cdk deploy` runs it again when the DDL changed); the Glue job runs no DDL"
    )
    assert redshift.TABLES_QUERY == "SELECT tablename FROM pg_tables WHERE schemaname = 'analytics'"


def test_the_redshift_ddl_splits_into_statements_the_bootstrap_can_send():
    stmts = statements(ddl("redshift.sql"))
    assert stmts[0] == "CREATE SCHEMA IF NOT EXISTS analytics"
    assert any(
        s.startswith("CREATE TABLE IF NOT EXISTS analytics.fct_viewing_event")
        and s.endswith("SORTKEY (event_date, media_id)")
        for s in stmts
    )
    assert stmts[-1] == "CREATE TABLE IF NOT EXISTS analytics.stg_schema_drift (LIKE analytics.schema_drift)"
    assert all(s.startswith(("CREATE SCHEMA", "CREATE TABLE")) for s in stmts)  # no ';' inside a comment or literal
    assert len(stmts) <= sql.MAX_BATCH
    # Redshift has no TEXT type worth the name (it becomes VARCHAR(256)): the Redshift DDL never says TEXT
    assert not re.search(r"\bTEXT\b", "\n".join(stmts))


def test_both_ddl_variants_declare_the_same_tables_columns_and_stage_tables():
    def columns(path):
        text = ddl(path)
        out = {}
        for m in re.finditer(r"CREATE TABLE IF NOT EXISTS analytics\.(\w+) \((.*?)\n\)", text, re.S):
            cols = [
                line.split()[0]
                for line in m.group(2).splitlines()
                if line.strip() and not line.strip().startswith(("--", "PRIMARY KEY"))
            ]
            out[m.group(1)] = cols
        return out

    pg, rs = columns("postgres.sql"), columns("redshift.sql")
    assert pg == rs
    for t in STAR:
        assert tuple(c for c in pg[t.name]) == t.all_columns, t.name

    def like(path):
        return dict(
            re.findall(
                r"CREATE (?:UNLOGGED )?TABLE IF NOT EXISTS analytics\.(stg_\w+) \(LIKE analytics\.(\w+)\);", ddl(path)
            )
        )

    assert like("postgres.sql") == like("redshift.sql") == {f"stg_{n}": n for n in STAGED}
