"""Finding 8 (issue 11): every staged value fits its Redshift column's BYTE length, in both paths alike.

Redshift's VARCHAR(n) counts bytes (https://docs.aws.amazon.com/redshift/latest/dg/r_Character_types.html) and the
COPY has no TRUNCATECOLUMNS, so one value over its column aborts the publish; PostgreSQL counts characters (or
has TEXT) and never shows it. The transform (shared by both warehouses) quarantines such records and cuts the
quarantine row's own long texts (wistia_pipeline/transforms/fit.py).
"""

import json
import os
import re

from pyspark.sql import functions as F
from pyspark.sql import types as T

from wistia_pipeline.model import MAX_VARCHAR, STAR, VARCHAR_BYTES
from wistia_pipeline.pipeline import build
from wistia_pipeline.transforms import fit

EVENT = {
    "event_key": "e1",
    "received_at": "2026-11-20T05:00:00Z",
    "visitor_key": "v1",
    "media_id": "m1",
    "percent_viewed": 0.5,
    "embed_url": "https://www.facebook.com/x",
}
MEDIA = {"hashed_id": "m1", "id": 1, "name": "Teaser", "type": "Video", "updated": "2026-11-19T00:00:00Z"}


def j(record):
    """A record as bronze holds it: JSON text with its characters as UTF-8 (Node's JSON.stringify escapes none)."""
    return json.dumps(record, ensure_ascii=False)


def _keys(spark, name):
    return spark.createDataFrame([], T.StructType([T.StructField(name, T.StringType())]))


def _build(spark, envelopes, *objects, hash_pii=False):
    return build(
        envelopes(*objects), "r1", ["example.com"], hash_pii, _keys(spark, "media_id"), _keys(spark, "visitor_key")
    )


def _quarantine(built):
    return {(r.entity, r.natural_key): r for r in built.quarantine.collect()}


def test_a_multibyte_value_over_a_short_column_is_quarantined_naming_column_bytes_and_limit(spark, envelopes):
    # 40 characters, 80 bytes: fits PostgreSQL's VARCHAR(64), not Redshift's
    long_type = "\u00e9" * 40
    built = _build(
        spark,
        envelopes,
        {
            "entity": "events",
            "records": [
                j({**EVENT, "event_key": "fits", "conversion_type": "\u00e9" * 32}),  # 64 bytes: exactly fits
                j({**EVENT, "event_key": "too-long", "conversion_type": long_type}),
                j(
                    {**EVENT, "event_key": "country", "country": "\u65e5\u672c\u56fd"}
                ),  # 3 characters, 9 bytes > VARCHAR(8)
            ],
        },
        {"entity": "medias", "records": [MEDIA]},
    )
    events = {r.event_key: r for r in built.frames["fct_viewing_event"].collect()}
    assert set(events) == {"fits"}
    q = _quarantine(built)
    assert (
        q[("events", "too-long")].reason
        == "fct_viewing_event.conversion_type: 80 bytes, over its VARCHAR(64) (Redshift counts bytes)"
    )
    assert (
        q[("events", "country")].reason
        == "fct_viewing_event.country: 9 bytes, over its VARCHAR(8) (Redshift counts bytes)"
    )
    assert long_type in q[("events", "too-long")].record  # kept whole: it is short
    c = built.counts["events"]  # served = loaded + quarantined: the gate's reconciliation holds
    assert (c.served, c.loaded, c.quarantined, c.deduplicated, c.skipped) == (3, 1, 2, 0, 0)
    assert (c.top_rule, c.top_rule_count) == ("fct_viewing_event: a value over its column's bytes", 2)


def test_the_check_sees_the_value_as_staged_not_as_received(spark, envelopes):
    # an IPv6 address is 39 bytes; with PII hashing it is staged as 64 hex digits: both fit VARCHAR(64)
    ev = {**EVENT, "ip": "2001:0db8:0000:0000:0000:ff00:0042:8329"}
    assert (
        _build(spark, envelopes, {"entity": "events", "records": [ev]}, hash_pii=True)
        .frames["fct_viewing_event"]
        .count()
        == 1
    )
    # tags are staged joined with commas: 3 tags of 22,000 bytes join to 66,002 bytes > 65,535
    tags = [{"name": "t" * 22000} for _ in range(3)]
    built = _build(spark, envelopes, {"entity": "medias", "records": [{**MEDIA, "tags": tags}]})
    assert built.frames["dim_media"].where(F.col("is_inferred") == F.lit(False)).count() == 0
    assert _quarantine(built)[("medias", "m1")].reason.startswith(
        "dim_media.tags: 66002 bytes, over its VARCHAR(65535)"
    )


def test_a_quarantined_record_over_64_kb_is_cut_to_fit_whole_characters_and_says_so(spark, envelopes):
    name = "\u00e9" * 40000  # 80,000 bytes of UTF-8
    raw_missing_key = {**MEDIA, "hashed_id": None, "name": name}  # quarantined for its key; the record is the big part
    raw_too_long = {**MEDIA, "hashed_id": "m2", "name": name}  # quarantined for its name: over VARCHAR(65535)
    built = _build(
        spark,
        envelopes,
        {
            "entity": "medias",
            "source": "bronze/medias/x/page-00001.json",
            "records": [j(raw_missing_key), j(raw_too_long)],
        },
    )
    rows = {r.record_index: r for r in built.quarantine.collect()}
    assert rows[0].reason.startswith("hashed_id: required field is missing or null (record cut from 80")
    assert rows[0].reason.endswith(" bytes to fit VARCHAR(65535); whole in the bronze object)")
    assert rows[1].reason.startswith(
        "dim_media.name: 80000 bytes, over its VARCHAR(65535) (Redshift counts bytes) (record cut from 80"
    )
    for r in rows.values():
        data = r.record.encode("utf-8")
        assert MAX_VARCHAR - 1 <= len(data) <= MAX_VARCHAR  # a 2-byte character never straddles the cut
        assert "\ufffd" not in r.record
        assert r.source_object == "bronze/medias/x/page-00001.json"  # where the whole record still is
    assert rows[1].record.startswith('{"hashed_id": "m2"')
    # the quarantine table's other texts fit too
    sizes = (
        built.quarantine.select(
            *[
                F.max(F.octet_length(c)).alias(c)
                for c in ("source_object", "entity", "natural_key", "reason", "record", "_run_id")
            ]
        )
        .first()
        .asDict()
    )
    assert all(sizes[c] <= VARCHAR_BYTES["quarantine"][c] for c in sizes)


def test_cut_to_bytes_keeps_whole_characters_of_any_width(spark):
    df = spark.createDataFrame([("a\U0001f600\U0001f600b",)], "s string")  # 1 + 4 + 4 + 1 bytes

    def cut(n):
        return df.select(fit.cut_to_bytes(F.col("s"), n).alias("c")).first().c

    assert [cut(n) for n in (10, 9, 8, 5, 4, 1)] == [
        "a\U0001f600\U0001f600b",
        "a\U0001f600\U0001f600",
        "a\U0001f600",
        "a\U0001f600",
        "a",
        "a",
    ]


def test_a_drift_field_name_over_128_bytes_is_shortened_and_stays_distinct(spark, envelopes):
    a, b = "x" * 200 + "_a", "x" * 200 + "_b"
    built = _build(spark, envelopes, {"entity": "events", "records": [{**EVENT, a: 1, b: 2}]})
    fields = [r.field for r in built.drift.collect()]
    assert len(fields) == 2 and len(set(fields)) == 2
    assert all(len(f.encode("utf-8")) == 128 and f.startswith("x" * 116 + "\u2026") for f in fields)
    assert built.frames["fct_viewing_event"].count() == 1  # drift never costs the record


def test_a_record_whose_envelope_names_no_execution_is_quarantined_under_the_jobs_run(spark, envelopes):
    built = _build(spark, envelopes, {"entity": "events", "run": "r" * 81, "records": [EVENT]})
    [row] = built.quarantine.collect()
    assert row.reason == "runId: " + "r" * 81 + " is not an execution name"
    assert row._run_id == "r1"
    assert built.frames["fct_viewing_event"].count() == 0


def _ddl_varchars(name):
    with open(os.path.join(os.path.dirname(__file__), "..", "..", "sql", "ddl", name), encoding="utf-8") as f:
        text = f.read()
    out = {}
    for m in re.finditer(r"CREATE TABLE IF NOT EXISTS analytics\.(\w+) \((.*?)\n\)", text, re.S):
        out[m.group(1)] = {c: int(n) for c, n in re.findall(r"^\s*(\w+)\s+VARCHAR\((\d+)\)", m.group(2), re.M)}
    return out


def test_the_byte_limits_the_transform_enforces_are_the_redshift_ddls():
    assert _ddl_varchars("redshift.sql") == VARCHAR_BYTES


def test_a_facts_reference_has_its_dimensions_key_limit_so_inferred_members_fit():
    limits = VARCHAR_BYTES
    assert limits["fct_viewing_event"]["media_id"] == limits["dim_media"]["media_id"]
    assert limits["fct_media_engagement"]["media_id"] == limits["dim_media"]["media_id"]
    assert limits["media_engagement_curve"]["media_id"] == limits["dim_media"]["media_id"]
    assert limits["fct_viewing_event"]["visitor_key"] == limits["dim_visitor"]["visitor_key"]
    # and every star table's run id column takes any execution name (1-80 ASCII characters)
    assert {limits[t.name]["_run_id"] for t in STAR if t.versioned} == {80}


def test_empty_text_is_staged_as_null_in_every_table_so_both_warehouses_read_it_alike(spark, envelopes):
    # a media named "" and an event whose media_name is "": NULL in the frames the load stages (fit.py, rule 4)
    built = _build(
        spark,
        envelopes,
        {"entity": "medias", "records": [j({**MEDIA, "name": "", "section": "Launch"})]},
        {"entity": "events", "records": [j({**EVENT, "media_name": "", "org": "  "})]},
    )
    media = built.frames["dim_media"].where(F.col("media_id") == "m1").collect()
    assert [(r.name, r.section) for r in media] == [(None, "Launch")]
    event = built.frames["fct_viewing_event"].collect()
    assert [(r.media_name, r.org) for r in event] == [(None, "  ")]  # blanks are text: only "" is empty
    for name, df in built.frames.items():
        strings = [f.name for f in df.schema.fields if isinstance(f.dataType, T.StringType)]
        if strings:
            assert (
                df.where(
                    F.greatest(*[F.col(c) == "" for c in strings]) if len(strings) > 1 else F.col(strings[0]) == ""
                ).count()
                == 0
            ), name
