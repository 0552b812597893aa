"""Every staged value fits its Redshift column (ADR: "Redshift byte lengths", finding 8 of issue 11).

Redshift's VARCHAR(n) holds n BYTES of UTF-8, not n characters
(https://docs.aws.amazon.com/redshift/latest/dg/r_Character_types.html), and the load's COPY has no
TRUNCATECOLUMNS (https://docs.aws.amazon.com/redshift/latest/dg/copy-parameters-data-conversion.html), so one value
over its column fails the whole COPY, and with it the run. PostgreSQL (the local warehouse) counts characters or
has TEXT, so it never shows this. The rule, applied in the transform so both warehouses get identical tables:

1. A record that would put a value over its column's byte length into a star table is quarantined, with the
   reason naming the column, the value's bytes and the limit:
   ``fct_viewing_event.country: 9 bytes, over its VARCHAR(8) (Redshift counts bytes)``.
   The check runs on the same column expressions the star builders use (the value as staged, e.g. a hashed e-mail
   or the tags joined with commas), before deduplication, so it names the bronze record.
2. The quarantine row itself must fit too: ``record``, ``reason`` and ``natural_key`` are cut to the longest
   prefix of whole characters that fits VARCHAR(65535); a cut ``record`` says so in its ``reason``. The whole record
   stays in its bronze object (``source_object``, ``record_index``).
3. A drift field name over schema_drift.field's 128 bytes is shortened to a prefix and a hash of the whole name
   (distinct names stay distinct).
4. Text is never empty: an empty string is staged as NULL. COPY's EMPTYASNULL loads an empty CSV field as NULL,
   and whether it reads a quoted empty field ("") as NULL or as '' is not documented
   (https://docs.aws.amazon.com/redshift/latest/dg/copy-parameters-data-conversion.html#copy-emptyasnull), while
   PostgreSQL's CSV COPY reads "" as ''; staging NULL for both keeps the two warehouses equal either way.
5. Everything else fits by construction: keys of dimensions and facts share their limits (inferred members come
   from facts already checked), run ids are execution names (1-80 of [A-Za-z0-9_.-], records whose envelope names
   none are quarantined), entities, channels and kinds are fixed words, bronze keys are S3 keys (at most 1,024
   bytes: https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html).
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from ..model import VARCHAR_BYTES

REPLACEMENT = "\ufffd"


def overflow(table: str, columns: dict[str, Column]) -> Column:
    """The first value of ``columns`` (name -> the expression the star builder stages) over its VARCHAR byte
    length in ``table``, as a reason; NULL when all fit."""
    limits = VARCHAR_BYTES[table]
    out: Column | None = None
    for name, expr in columns.items():
        limit = limits.get(name)
        if limit is None:
            continue
        n = F.octet_length(expr)
        reason = F.concat(
            F.lit(f"{table}.{name}: "),
            n.cast("string"),
            F.lit(f" bytes, over its VARCHAR({limit}) (Redshift counts bytes)"),
        )
        out = F.when(n > limit, reason) if out is None else out.when(n > limit, reason)
    return out if out is not None else F.lit(None).cast("string")


def cut_to_bytes(col: Column, limit: int) -> Column:
    """``col`` when its UTF-8 fits ``limit`` bytes, else its longest prefix of whole characters that does.

    The bytes are cut, decoded (a split character becomes U+FFFD) and trailing replacement characters dropped, so
    the result is valid UTF-8 and never longer than ``limit`` bytes."""
    cut = F.decode(F.substring(F.encode(col, "UTF-8"), 1, limit), "UTF-8")
    return F.when(F.octet_length(col) <= limit, col).otherwise(F.regexp_replace(cut, REPLACEMENT + "+$", ""))


def shorten_name(col: Column, limit: int) -> Column:
    """A name that fits ``limit`` bytes: itself, or a prefix, an ellipsis and 9 hex digits of its SHA-256."""
    tail = F.concat(F.lit("\u2026"), F.substring(F.sha2(col, 256), 1, 9))  # 3 + 9 bytes
    return F.when(F.octet_length(col) <= limit, col).otherwise(F.concat(cut_to_bytes(col, limit - 12), tail))


def blank_to_null(df: DataFrame) -> DataFrame:
    """``df`` with every empty string column value as NULL (rule 4)."""
    strings = {f.name for f in df.schema.fields if isinstance(f.dataType, T.StringType)}
    return df.select(*[F.when(F.col(c) != "", F.col(c)).alias(c) if c in strings else F.col(c) for c in df.columns])
