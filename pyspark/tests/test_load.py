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
    """Stands in for the Redshift Data API (AWS): records the batch and reports it finished."""

    def __init__(self, statuses=("STARTED", "FINISHED")):
        self.batches = []
        self.statuses = list(statuses)

    def batch_execute_statement(self, **kw):
        self.batches.append(kw)
        return {"Id": "stmt-1"}

    def describe_statement(self, Id):
        return {"Status": self.statuses.pop(0), "Error": "boom"}


def test_redshift_publish_is_one_batch_copy_guard_merge_per_table(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda s: None)
    api = FakeDataApi()
    wh = RedshiftWarehouse(api, "wistia-analytics", "analytics", "arn:aws:iam::1:role/copy")
    staged = {t.name: f"s3://bucket/tmp/redshift/r1/{t.name}/" for t in STAR}
    wh.publish("r1", staged)
    [batch] = api.batches
    assert batch["WorkgroupName"] == "wistia-analytics" and batch["Database"] == "analytics"
    stmts = batch["Sqls"]
    first = stmts[:5]
    assert first[0] == "DELETE FROM analytics.stg_dim_date"
    assert first[1] == "COPY analytics.stg_dim_date (date_key, year, quarter, month, month_name, day, day_of_week, day_name, iso_week, is_weekend) FROM 's3://bucket/tmp/redshift/r1/dim_date/' IAM_ROLE 'arn:aws:iam::1:role/copy' FORMAT AS CSV TIMEFORMAT 'auto' EMPTYASNULL"
    assert first[2].startswith("DELETE FROM analytics.stg_dim_date USING analytics.dim_date")
    assert first[3].startswith("MERGE INTO analytics.dim_date")
    assert len([s for s in stmts if s.startswith("MERGE INTO")]) == len(STAR)


def test_a_failed_redshift_statement_raises_with_its_error(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda s: None)
    wh = RedshiftWarehouse(FakeDataApi(("FAILED",)), "wg", "analytics", "role")
    try:
        wh.publish("r1", {t.name: "s3://b/p/" for t in STAR})
    except RuntimeError as e:
        assert str(e) == "Redshift statement FAILED: boom"
    else:
        raise AssertionError("expected a failure")


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
