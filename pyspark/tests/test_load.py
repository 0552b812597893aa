from wistia_pipeline.load import sql
from wistia_pipeline.load.redshift import RedshiftWarehouse
from wistia_pipeline.model import DIM_DATE, DIM_MEDIA, FCT_MEDIA_ENGAGEMENT, STAR


def test_merge_uses_the_redshift_compatible_subset():
    m = sql.merge(FCT_MEDIA_ENGAGEMENT)
    assert m.startswith("MERGE INTO analytics.fct_media_engagement USING analytics.stg_fct_media_engagement s ON fct_media_engagement.media_id = s.media_id AND fct_media_engagement.snapshot_date = s.snapshot_date")
    assert "WHEN MATCHED THEN UPDATE SET load_count = s.load_count" in m
    assert "WHEN NOT MATCHED THEN INSERT (media_id, snapshot_date, load_count" in m
    for forbidden in ("IS DISTINCT", "DO NOTHING", "RETURNING", "WHEN MATCHED AND"):
        assert forbidden not in m


def test_the_guard_drops_unchanged_or_older_stage_rows_so_a_rerun_changes_nothing():
    g = sql.guard(DIM_MEDIA)
    assert g.startswith("DELETE FROM analytics.stg_dim_media USING analytics.dim_media WHERE analytics.stg_dim_media.media_id = analytics.dim_media.media_id")
    assert "analytics.dim_media._fetched_at >= analytics.stg_dim_media._fetched_at OR (" in g
    assert "(analytics.stg_dim_media.name = analytics.dim_media.name OR (analytics.stg_dim_media.name IS NULL AND analytics.dim_media.name IS NULL))" in g
    assert sql.guard(DIM_DATE) == "DELETE FROM analytics.stg_dim_date USING analytics.dim_date WHERE analytics.stg_dim_date.date_key = analytics.dim_date.date_key"


class FakeDataApi:
    """Stands in for the Redshift Data API (AWS): records what it is asked and answers like the service."""

    def __init__(self, statuses=None, pages=None):
        self.batches = []
        self.statements = []
        self.statuses = list(statuses or [])
        self.pages = list(pages or [])

    def batch_execute_statement(self, **kw):
        self.batches.append(kw)
        return {"Id": f"b{len(self.batches)}"}

    def execute_statement(self, **kw):
        self.statements.append(kw)
        return {"Id": f"s{len(self.statements)}"}

    def describe_statement(self, Id):
        return {"Status": self.statuses.pop(0) if self.statuses else "FINISHED", "Error": "boom"}

    def get_statement_result(self, Id, NextToken=None):
        return self.pages.pop(0) if self.pages else {"Records": []}


def test_redshift_publish_is_one_batch_copy_count_guard_merge_per_table():
    api = FakeDataApi(statuses=["STARTED", "FINISHED"], pages=[{"Records": [[{"stringValue": "dim_media"}, {"longValue": 3}, {"longValue": 1}, {"longValue": 1}, {"longValue": 1}]]}])
    wh = RedshiftWarehouse(api, "wistia-analytics", "analytics", "arn:aws:iam::1:role/copy", poll_seconds=0)
    staged = {t.name: f"s3://bucket/tmp/redshift/r1/{t.name}/" for t in STAR}
    loaded = wh.publish("r1", staged, "s3://bucket/tmp/redshift/r1/quarantine/", "s3://bucket/tmp/redshift/r1/schema_drift/")
    assert loaded == {"dim_media": {"staged": 3, "inserted": 1, "updated": 1, "unchanged": 1}}
    [batch] = api.batches
    assert batch["WorkgroupName"] == "wistia-analytics" and batch["Database"] == "analytics"
    stmts = batch["Sqls"]
    assert stmts[0] == "DELETE FROM analytics.load_audit WHERE _run_id = 'r1'"
    first = stmts[1:8]
    assert first[0] == "DELETE FROM analytics.stg_dim_date"
    assert first[1] == "COPY analytics.stg_dim_date (date_key, year, quarter, month, month_name, day, day_of_week, day_name, iso_week, is_weekend) FROM 's3://bucket/tmp/redshift/r1/dim_date/' IAM_ROLE 'arn:aws:iam::1:role/copy' FORMAT AS CSV TIMEFORMAT 'auto' EMPTYASNULL"
    assert first[2].startswith("INSERT INTO analytics.load_audit") and "COUNT(*)" in first[2]
    assert first[3].startswith("DELETE FROM analytics.stg_dim_date USING analytics.dim_date")
    assert first[4].startswith("UPDATE analytics.load_audit SET inserted = ")
    assert first[5].startswith("MERGE INTO analytics.dim_date")
    assert len([s for s in stmts if s.startswith("MERGE INTO")]) == len(STAR)
    assert stmts[-1].startswith("COPY analytics.schema_drift (_run_id, entity, field, kind, records) FROM 's3://bucket/tmp/redshift/r1/schema_drift/'")


def test_redshift_refuses_a_run_id_that_could_break_the_sql():
    wh = RedshiftWarehouse(FakeDataApi(), "wg", "analytics", "role", poll_seconds=0)
    try:
        wh.publish_statements("r1'; DROP TABLE x; --", {t.name: "s3://b/" for t in STAR}, "s3://b/q/", "s3://b/d/")
    except ValueError as e:
        assert "not an execution name" in str(e)
    else:
        raise AssertionError("expected a refusal")


def test_redshift_known_keys_reads_every_result_page():
    api = FakeDataApi(pages=[{"Records": [[{"stringValue": "a"}], [{"stringValue": "b"}]], "NextToken": "t"}, {"Records": [[{"stringValue": "c"}]]}])
    wh = RedshiftWarehouse(api, "wg", "analytics", "role", poll_seconds=0)
    assert wh.known_keys("dim_media", "media_id") == ["a", "b", "c"]
    assert api.statements[0]["Sql"] == "SELECT media_id FROM analytics.dim_media"


def test_a_failed_redshift_statement_raises_with_its_error():
    wh = RedshiftWarehouse(FakeDataApi(statuses=["FAILED"]), "wg", "analytics", "role", poll_seconds=0)
    try:
        wh.publish("r1", {t.name: "s3://b/p/" for t in STAR}, "s3://b/q/", "s3://b/d/")
    except RuntimeError as e:
        assert str(e) == "Redshift statement FAILED: boom"
    else:
        raise AssertionError("expected a failure")


def test_redshift_ddl_applies_statement_by_statement():
    import os

    api = FakeDataApi()
    wh = RedshiftWarehouse(api, "wg", "analytics", "role", poll_seconds=0)
    ddl = open(os.path.join(os.path.dirname(__file__), "..", "..", "sql", "ddl", "redshift.sql"), encoding="utf-8").read()
    wh.ensure_schema(ddl)
    sqls = api.batches[0]["Sqls"]
    assert sqls[0] == "CREATE SCHEMA IF NOT EXISTS analytics"
    assert any(s.startswith("CREATE TABLE IF NOT EXISTS analytics.fct_viewing_event") and s.endswith("SORTKEY (event_date, media_id)") for s in sqls)
    assert sqls[-1] == "CREATE TABLE IF NOT EXISTS analytics.stg_media_engagement_curve (LIKE analytics.media_engagement_curve)"


def test_both_ddl_variants_declare_the_same_tables_and_columns():
    import os
    import re

    root = os.path.join(os.path.dirname(__file__), "..", "..", "sql", "ddl")

    def columns(path):
        text = open(os.path.join(root, path), encoding="utf-8").read()
        out = {}
        for m in re.finditer(r"CREATE TABLE IF NOT EXISTS analytics\.(\w+) \((.*?)\n\)", text, re.S):
            cols = [line.split()[0] for line in m.group(2).splitlines() if line.strip() and not line.strip().startswith(("--", "PRIMARY KEY"))]
            out[m.group(1)] = cols
        return out

    pg, rs = columns("postgres.sql"), columns("redshift.sql")
    assert pg == rs
    for t in STAR:
        assert tuple(c for c in pg[t.name]) == t.all_columns, t.name
