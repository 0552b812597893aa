"""Parse raw records with the entity's explicit schema; quarantine what cannot be used; report drift.

A record is quarantined (kept, with the reason and its source object) when it is not a JSON object, when its
natural key is missing, when a required field is missing or of the wrong type, when a required time does not
parse, when a value is outside its domain, when its envelope names no execution, or (fit.py) when a value it
stages would not fit its Redshift column. A number sent as a string, and a time in a form Spark parses to the same
instant, are coerced without loss, loaded, and reported as drift (kind "coerced"). A known optional field of the
wrong type (or an optional time that does not parse) becomes NULL and is reported as drift ("type"); an unknown
field is reported as drift ("new-field"). Nothing is dropped silently. The quarantine and drift rows themselves fit
their Redshift columns (fit.py, rules 2 and 3).
"""

from __future__ import annotations

from functools import reduce

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from ..model import MAX_VARCHAR, RUN_ID_PATTERN, VARCHAR_BYTES
from ..schemas import EntitySpec
from . import fit

#: an execution name, as the job's --run_id (Step Functions: 1-80 characters; we allow these)

#: every top-level field of a record as its JSON text (a string unquoted, a number or an object as written; a JSON
#: null is NULL): the second and last parse of a record (issue 13), from which presence, numeric text and drift are
#: read instead of one get_json_object pass per field
TEXT = T.MapType(T.StringType(), T.StringType())


def _text(name: str) -> Column:
    return F.col("t").getItem(name)


def _present(name: str) -> Column:
    # NULL for a missing key and for a JSON null
    return _text(name).isNotNull()


#: a number sent as a JSON string is coerced when the text is the number, loss-free (issue 12): a whole number for a
#: bigint, a decimal or exponent form for a double (exponents of two digits at most: the value stays finite)
NUMERIC_TEXT = {"bigint": r"^-?[0-9]{1,18}$", "double": r"^-?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]{1,2})?$"}
#: the forms the API documents (../shared/wistia-api README 1.7): with or without milliseconds, Z or an offset;
#: another form Spark parses the same way (a space for the T, no zone = UTC) is loaded and reported as coerced
DOCUMENTED_TIME = {
    "timestamp": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]{1,9})?(Z|[+-][0-9]{2}:?[0-9]{2})$",
    "date": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
}


def parse(records: DataFrame, spec: EntitySpec) -> DataFrame:
    """Adds ``p`` (the parsed struct, coerced where loss-free), ``t`` (each top-level field's JSON text), ``keys``
    (top-level JSON keys), ``coerced`` (the fields coerced), ``reason`` (NULL when usable), ``rule`` (the reason
    without its values, to count by), ``natural_key`` (as text) and ``found`` (the record's drift: field, kind).
    Each record is parsed twice, once typed and once as text (issue 13: it was 20-40 times)."""
    # a few steps, each adding every column it can at once: the driver analyses the whole plan at each step (issue 13)
    df = records.withColumns(
        {
            "p": F.from_json("raw", spec.schema, {"mode": "PERMISSIVE"}),
            "t": F.when(F.col("raw").startswith("{"), F.from_json("raw", TEXT, {"mode": "PERMISSIVE"})),
        }
    )
    coerced: list[Column] = []
    fixes: list[tuple[str, Column, Column]] = []
    for name in spec.schema.fieldNames():
        data_type = spec.schema[name].dataType
        pattern = NUMERIC_TEXT.get(data_type.simpleString())
        if pattern is None:
            continue
        text = _text(name)
        value = text.cast(data_type)
        # NULL in the struct but present as a numeric text: a number sent as a string (a JSON number parsed already)
        fix = F.col(f"p.{name}").isNull() & F.coalesce(text.rlike(pattern), F.lit(False)) & value.isNotNull()
        fixes.append((name, fix, value))
        coerced.append(F.when(fix, F.lit(name)))
    # the flags are taken from the struct as parsed, before any fix replaces a field in it
    df = df.withColumns(
        {
            "keys": F.map_keys("t"),
            "coerced_numbers": F.array_compact(F.array(*coerced)) if coerced else F.array().cast("array<string>"),
        }
    )
    # every fix in one expression over the struct as parsed: each reads and replaces only its own field
    p = F.col("p")
    for name, fix, value in fixes:
        p = p.withField(name, F.when(fix, value).otherwise(F.col(f"p.{name}")))
    coerced = []
    unparseable: list[str] = []
    for name, kind in spec.times:
        text = F.col(f"p.{name}")
        parsed = text.cast(kind)
        documented = F.coalesce(text.rlike(DOCUMENTED_TIME[kind]), F.lit(False))
        coerced.append(F.when(text.isNotNull() & parsed.isNotNull() & ~documented, F.lit(name)))
        if name not in spec.required:
            # an optional time that does not parse: NULL, reported as drift of its type (drift() below); a time is
            # text, which no numeric fix above touches
            p = p.withField(name, F.when(parsed.isNull(), F.lit(None).cast("string")).otherwise(text))
        else:
            unparseable.append(name)
    # the time flags read the struct as parsed: a time that does not parse is flagged by neither form
    times = F.array_compact(F.array(*coerced)) if coerced else F.array().cast("array<string>")
    df = df.withColumns({"p": p, "coerced": F.concat(F.col("coerced_numbers"), times)}).drop("coerced_numbers")
    checks: list[tuple[Column, Column, str]] = [
        (
            ~F.coalesce(F.col("run_id").rlike(RUN_ID_PATTERN), F.lit(False)),
            F.concat(
                F.lit("runId: "),
                F.coalesce(F.substring("run_id", 1, 90), F.lit("null")),
                F.lit(" is not an execution name"),
            ),
            "runId: not an execution name",
        ),
        (F.col("keys").isNull(), F.lit("not a JSON object"), "not a JSON object"),
    ]
    for name in spec.required:
        missing = ~_present(name)
        mistyped = _present(name) & F.col(f"p.{name}").isNull()
        what = spec.schema[name].dataType.simpleString()
        checks.append(
            (missing, F.lit(f"{name}: required field is missing or null"), f"{name}: required field is missing or null")
        )
        checks.append(
            (
                mistyped,
                F.concat(F.lit(f"{name}: expected {what}, got "), F.substring(_text(name), 1, 60)),
                f"{name}: expected {what}",
            )
        )
    for name in unparseable:
        kind = dict(spec.times)[name]
        checks.append(
            (
                F.col(f"p.{name}").cast(kind).isNull(),
                F.concat(F.lit(f"{name}: not a {kind}: "), F.substring(F.col(f"p.{name}"), 1, 60)),
                f"{name}: not a {kind}",
            )
        )
    for name, lo, hi in spec.ranges:
        value = F.col(f"p.{name}")
        checks.append(
            (
                value.isNotNull() & ((value < F.lit(lo)) | (value > F.lit(hi))),
                F.concat(F.lit(f"{name}: "), value.cast("string"), F.lit(f" is outside [{lo:g}, {hi:g}]")),
                f"{name}: outside [{lo:g}, {hi:g}]",
            )
        )
    reason = reduce(lambda acc, c: acc.when(c[0], c[1]), checks[1:], F.when(checks[0][0], checks[0][1]))
    rule = reduce(lambda acc, c: acc.when(c[0], F.lit(c[2])), checks[1:], F.when(checks[0][0], F.lit(checks[0][2])))
    df = df.withColumns(
        {"reason": reason, "rule": rule, "natural_key": _text(spec.key) if spec.key else F.col("scope_media")}
    )
    return df.withColumn("found", _found(spec))


def _found(spec: EntitySpec) -> Column:
    """The record's drift: unknown top-level fields (new-field), mistyped optional fields (type: loaded as NULL) and
    loss-free coercions (coerced: loaded with the value)."""
    known = sorted(spec.known)
    optional = [n for n in spec.schema.fieldNames() if n not in spec.required]
    empty = F.array().cast("array<string>")
    mistyped = (
        F.array_compact(F.array(*[F.when(_present(n) & F.col(f"p.{n}").isNull(), F.lit(n)) for n in optional]))
        if optional
        else empty
    )
    unknown = F.filter(F.coalesce(F.col("keys"), empty), lambda k: ~k.isin(known))
    return F.concat(
        F.transform(unknown, lambda k: F.struct(k.alias("field"), F.lit("new-field").alias("kind"))),
        F.transform(mistyped, lambda k: F.struct(k.alias("field"), F.lit("type").alias("kind"))),
        # loaded with the value it was sent as, converted without loss (a numeric string, another time form)
        F.transform(
            F.coalesce(F.col("coerced"), empty), lambda k: F.struct(k.alias("field"), F.lit("coerced").alias("kind"))
        ),
    )


def _lineage_run(fallback_run_id: str) -> Column:
    """The record's run, or the job's when its envelope names none (such records are quarantined)."""
    return F.when(F.coalesce(F.col("run_id").rlike(RUN_ID_PATTERN), F.lit(False)), F.col("run_id")).otherwise(
        F.lit(fallback_run_id)
    )


def quarantined(parsed: DataFrame, spec: EntitySpec, fallback_run_id: str = "unknown") -> DataFrame:
    """The quarantine rows, each fitting its Redshift column (fit.py, rule 2)."""
    bad = parsed.where(F.col("reason").isNotNull())
    key = F.col("natural_key")
    limit = VARCHAR_BYTES["quarantine"]
    record_bytes = F.octet_length("raw")
    note = F.concat(
        F.lit(" (record cut from "),
        record_bytes.cast("string"),
        F.lit(f" bytes to fit VARCHAR({MAX_VARCHAR}); whole in the bronze object)"),
    )
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
    """Each record's drift (``found``, from parse) counted per run: (_run_id, entity, field, kind, records).
    A field name over schema_drift.field's bytes is shortened (fit.py, rule 3)."""
    found = parsed.select(_lineage_run(fallback_run_id).alias("run_id"), F.explode("found").alias("f"))
    return (
        found.groupBy(
            F.col("run_id").alias("_run_id"),
            fit.shorten_name(F.col("f.field"), VARCHAR_BYTES["schema_drift"]["field"]).alias("field"),
            F.col("f.kind").alias("kind"),
        )
        .agg(F.count(F.lit(1)).alias("records"))
        .withColumn("entity", F.lit(entity))
        .select("_run_id", "entity", "field", "kind", "records")
    )
