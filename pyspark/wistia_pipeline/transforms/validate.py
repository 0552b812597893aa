"""Parse raw records with the entity's explicit schema; quarantine what cannot be used; report drift.

A record is quarantined (kept, with the reason and its source object) when it is not a JSON object, when its
natural key is missing, when a required field is missing or of the wrong type, when its envelope names no
execution, or (fit.py) when a value it stages would not fit its Redshift column. A known optional field of the
wrong type becomes NULL and is reported as drift; an unknown field is reported as drift. Nothing is dropped
silently. The quarantine and drift rows themselves fit their Redshift columns (fit.py, rules 2 and 3).
"""

from __future__ import annotations

from functools import reduce

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from ..model import MAX_VARCHAR, RUN_ID_PATTERN, VARCHAR_BYTES
from ..schemas import EntitySpec
from . import fit

#: an execution name, as the job's --run_id (Step Functions: 1-80 characters; we allow these)

def _present(raw: Column, name: str) -> Column:
    # get_json_object returns NULL for a missing key and for a JSON null
    return F.get_json_object(raw, f"$.{name}").isNotNull()


def parse(records: DataFrame, spec: EntitySpec) -> DataFrame:
    """Adds ``p`` (the parsed struct), ``keys`` (top-level JSON keys) and ``reason`` (NULL when usable)."""
    df = records.withColumn("p", F.from_json("raw", spec.schema, {"mode": "PERMISSIVE"}))
    df = df.withColumn("keys", F.when(F.col("raw").startswith("{"), F.json_object_keys("raw")))
    checks: list[tuple[Column, Column]] = [
        (~F.coalesce(F.col("run_id").rlike(RUN_ID_PATTERN), F.lit(False)), F.concat(F.lit("runId: "), F.coalesce(F.substring("run_id", 1, 90), F.lit("null")), F.lit(" is not an execution name"))),
        (F.col("keys").isNull(), F.lit("not a JSON object")),
    ]
    for name in spec.required:
        missing = ~_present(F.col("raw"), name)
        mistyped = _present(F.col("raw"), name) & F.col(f"p.{name}").isNull()
        what = spec.schema[name].dataType.simpleString()
        checks.append((missing, F.lit(f"{name}: required field is missing or null")))
        checks.append((mistyped, F.concat(F.lit(f"{name}: expected {what}, got "), F.substring(F.get_json_object("raw", f"$.{name}"), 1, 60))))
    for name, lo, hi in spec.ranges:
        value = F.col(f"p.{name}")
        checks.append((value.isNotNull() & ((value < F.lit(lo)) | (value > F.lit(hi))), F.concat(F.lit(f"{name}: "), value.cast("string"), F.lit(f" is outside [{lo:g}, {hi:g}]"))))
    reason = reduce(lambda acc, c: acc.when(c[0], c[1]), checks[1:], F.when(checks[0][0], checks[0][1]))
    return df.withColumn("reason", reason)


def _lineage_run(fallback_run_id: str) -> Column:
    """The record's run, or the job's when its envelope names none (such records are quarantined)."""
    return F.when(F.coalesce(F.col("run_id").rlike(RUN_ID_PATTERN), F.lit(False)), F.col("run_id")).otherwise(F.lit(fallback_run_id))


def quarantined(parsed: DataFrame, spec: EntitySpec, fallback_run_id: str = "unknown") -> DataFrame:
    """The quarantine rows, each fitting its Redshift column (fit.py, rule 2)."""
    bad = parsed.where(F.col("reason").isNotNull())
    key = F.get_json_object("raw", f"$.{spec.key}") if spec.key else F.col("scope_media")
    limit = VARCHAR_BYTES["quarantine"]
    record_bytes = F.octet_length("raw")
    note = F.concat(F.lit(f" (record cut from "), record_bytes.cast("string"), F.lit(f" bytes to fit VARCHAR({MAX_VARCHAR}); whole in the bronze object)"))
    reason = F.when(record_bytes > limit["record"], F.concat(F.col("reason"), note)).otherwise(F.col("reason"))
    return bad.select(
        "source_object",
        F.col("record_index").cast("int").alias("record_index"),
        "entity",
        fit.cut_to_bytes(key, limit["natural_key"]).alias("natural_key"),
        fit.cut_to_bytes(reason, limit["reason"]).alias("reason"),
        fit.cut_to_bytes(F.col("raw"), limit["record"]).alias("record"),
        _lineage_run(fallback_run_id).alias("_run_id"),
    )


def usable(parsed: DataFrame) -> DataFrame:
    return parsed.where(F.col("reason").isNull())


def drift(parsed: DataFrame, spec: EntitySpec, entity: str, fallback_run_id: str = "unknown") -> DataFrame:
    """Unknown top-level fields and mistyped optional fields, counted per run: (_run_id, entity, field, kind, records).
    A field name over schema_drift.field's bytes is shortened (fit.py, rule 3)."""
    known = sorted(spec.known)
    optional = [n for n in spec.schema.fieldNames() if n not in spec.required]
    mistyped = F.array_compact(F.array(*[F.when(_present(F.col("raw"), n) & F.col(f"p.{n}").isNull(), F.lit(n)) for n in optional])) if optional else F.array().cast("array<string>")
    unknown = F.filter(F.coalesce(F.col("keys"), F.array().cast("array<string>")), lambda k: ~k.isin(known))
    found = parsed.select(
        _lineage_run(fallback_run_id).alias("run_id"),
        F.concat(
            F.transform(unknown, lambda k: F.struct(k.alias("field"), F.lit("new-field").alias("kind"))),
            F.transform(mistyped, lambda k: F.struct(k.alias("field"), F.lit("type").alias("kind"))),
        ).alias("found"),
    ).select("run_id", F.explode("found").alias("f"))
    return (
        found.groupBy(F.col("run_id").alias("_run_id"), fit.shorten_name(F.col("f.field"), VARCHAR_BYTES["schema_drift"]["field"]).alias("field"), F.col("f.kind").alias("kind"))
        .agg(F.count(F.lit(1)).alias("records"))
        .withColumn("entity", F.lit(entity))
        .select("_run_id", "entity", "field", "kind", "records")
    )
