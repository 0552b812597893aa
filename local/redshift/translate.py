"""Redshift SQL -> PostgreSQL 17, for the Redshift Data API stand-in (local/redshift/server.ts).

A long-lived helper: one JSON object per line on stdin, one answer per line on stdout.
  in:  {"id": 1, "sql": "<one Redshift statement>", "params": ["name", ...] | null}
  out: {"id": 1, "ok": true, "statement": {...}} or {"id": 1, "ok": false, "error": "...", "code": "..."}

It parses with sqlglot's redshift dialect and refuses, before anything runs, what Redshift refuses but
PostgreSQL would accept, each rule with the page that documents it (RULES below). Where the documentation is
silent the stricter behaviour is chosen and the rule says "[unconfirmed]". Error codes: "syntax" (the SQL
does not parse), "unsupported" (Redshift refuses it), "not_emulated" (Redshift accepts it, the stand-in
cannot reproduce it faithfully, so it refuses rather than guess).

Statement kinds returned:
  {"kind": "sql", "sql": "<PostgreSQL>", "params": [names in $n order], "command": "SELECT" | ..., ...}
  {"kind": "copy", "table": ..., "columns": [...] | null, "source": "s3://...", "iamRole": ..., "options": {...}}
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import sys
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.dialects.redshift import Redshift
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import TokenType

logging.getLogger("sqlglot").setLevel(logging.ERROR)

DG = "https://docs.aws.amazon.com/redshift/latest/dg/"
RULES = {
    "merge": DG + "r_MERGE.html",
    "unsupported_features": DG + "c_unsupported-postgresql-features.html",
    "unsupported_types": DG + "c_unsupported-postgresql-datatypes.html",
    "unsupported_functions": DG + "c_unsupported-postgresql-functions.html",
    "insert": DG + "r_INSERT_30.html",
    "update": DG + "r_UPDATE.html",
    "delete": DG + "r_DELETE.html",
    "select": DG + "r_SELECT_synopsis.html",
    "window": DG + "c_Window_functions.html",
    "character": DG + "r_Character_types.html",
    "numeric": DG + "r_Numeric_types201.html",
    "create_table": DG + "r_CREATE_TABLE_NEW.html",
    "names": DG + "r_names.html",
    "grant": DG + "r_GRANT.html",
    "revoke": DG + "r_REVOKE.html",
    "create_role": DG + "r_CREATE_ROLE.html",
    "drop_role": DG + "r_DROP_ROLE.html",
    "create_schema": DG + "r_CREATE_SCHEMA.html",
    "truncate": DG + "r_TRUNCATE.html",
    "copy": DG + "r_COPY.html",
    "copy_format": DG + "copy-parameters-data-format.html",
    "copy_conversion": DG + "copy-parameters-data-conversion.html",
    "copy_auth": DG + "copy-parameters-authorization.html",
    "copy_s3": DG + "copy-parameters-data-source-s3.html",
    "copy_compression": DG + "copy-parameters-file-compression.html",
    "copy_load": DG + "copy-parameters-data-load.html",
    "getdate": DG + "r_GETDATE.html",
    "sysdate": DG + "r_SYSDATE.html",
    "set": DG + "r_SET.html",
    "data_api": "https://docs.aws.amazon.com/redshift/latest/mgmt/data-api.html",
    "aggregate": DG + "c_Aggregate_Functions.html",
}


class Refusal(Exception):
    def __init__(self, message: str, rule: str | None = None, code: str = "unsupported"):
        url = RULES.get(rule or "", rule or "")
        super().__init__(f"{message} (see {url})" if url else message)
        self.code = code


def not_emulated(message: str, rule: str | None = None) -> Refusal:
    return Refusal(f"{message} [not emulated by the Redshift stand-in]", rule, "not_emulated")


DIALECT = Redshift()

# c_unsupported-postgresql-functions: functions PostgreSQL has and Redshift refuses (by name, as written).
DENY_FUNCTIONS = {
    "STRING_AGG", "ARRAY_AGG", "EVERY", "XMLAGG", "XML_AGG", "CORR", "COVAR_POP", "COVAR_SAMP",
    "REGR_AVGX", "REGR_AVGY", "REGR_COUNT", "REGR_INTERCEPT", "REGR_R2", "REGR_SLOPE", "REGR_SXX",
    "REGR_SXY", "REGR_SYY", "CLOCK_TIMESTAMP", "JUSTIFY_DAYS", "JUSTIFY_HOURS", "JUSTIFY_INTERVAL",
    "PG_SLEEP", "TRANSACTION_TIMESTAMP", "DIV", "SETSEED", "WIDTH_BUCKET", "GENERATE_SERIES",
    "GENERATE_SUBSCRIPTS", "BIT_LENGTH", "OVERLAY", "CONVERT", "CONVERT_FROM", "CONVERT_TO", "ENCODE",
    "FORMAT", "QUOTE_NULLABLE", "REGEXP_MATCHES", "REGEXP_SPLIT_TO_ARRAY", "REGEXP_SPLIT_TO_TABLE",
    "CURRENT_QUERY", "INET_CLIENT_ADDR", "INET_CLIENT_PORT", "INET_SERVER_ADDR", "INET_SERVER_PORT",
    "PG_CONF_LOAD_TIME", "PG_IS_OTHER_TEMP_SCHEMA", "PG_LISTENING_CHANNELS", "PG_MY_TEMP_SCHEMA",
    "PG_POSTMASTER_START_TIME", "PG_TRIGGER_DEPTH", "ARRAY_LENGTH", "ARRAY_TO_STRING", "UNNEST",
    "JSONB_BUILD_OBJECT", "JSON_BUILD_OBJECT", "JSONB_AGG", "JSON_AGG", "TO_JSONB", "TO_JSON",
    "ROW_TO_JSON", "JSONB_ARRAY_LENGTH", "JSONB_EXTRACT_PATH", "JSONB_EXTRACT_PATH_TEXT",
}
# PostgreSQL functions that would let a statement leave the caller's identity or reach the server
# (they are PostgreSQL's, not Redshift's): refused outright.
ESCAPE_FUNCTIONS = {
    "SET_CONFIG", "PG_READ_FILE", "PG_READ_BINARY_FILE", "PG_LS_DIR", "PG_STAT_FILE", "LO_IMPORT",
    "LO_EXPORT", "DBLINK", "PG_RELOAD_CONF", "PG_ROTATE_LOGFILE", "PG_PROMOTE",
}
# c_Window_functions: "If an ORDER BY clause is used for an aggregate function, an explicit frame clause
# is required" (also FIRST_VALUE, LAST_VALUE, NTH_VALUE, per their pages); frames are ROWS only.
FRAMED = (exp.Sum, exp.Avg, exp.Count, exp.Min, exp.Max, exp.Stddev, exp.StddevPop, exp.StddevSamp,
          exp.Variance, exp.VariancePop, exp.FirstValue, exp.LastValue, exp.NthValue)

SUPPORTED_TYPES = {
    exp.DataType.Type.SMALLINT: "SMALLINT", exp.DataType.Type.INT: "INTEGER", exp.DataType.Type.BIGINT: "BIGINT",
    exp.DataType.Type.FLOAT: "REAL", exp.DataType.Type.DOUBLE: "DOUBLE PRECISION",
    exp.DataType.Type.BOOLEAN: "BOOLEAN", exp.DataType.Type.DATE: "DATE", exp.DataType.Type.TIME: "TIME",
    exp.DataType.Type.TIMETZ: "TIME WITH TIME ZONE", exp.DataType.Type.TIMESTAMP: "TIMESTAMP",
    exp.DataType.Type.TIMESTAMPTZ: "TIMESTAMP WITH TIME ZONE",
}
VARCHARS = {exp.DataType.Type.VARCHAR, exp.DataType.Type.NVARCHAR, exp.DataType.Type.TEXT}
CHARS = {exp.DataType.Type.CHAR, exp.DataType.Type.NCHAR, exp.DataType.Type.BPCHAR}
REDSHIFT_ONLY_TYPES = {exp.DataType.Type.SUPER, exp.DataType.Type.GEOMETRY, exp.DataType.Type.GEOGRAPHY,
                       exp.DataType.Type.HLLSKETCH}
ENCODINGS = {"RAW", "AZ64", "BYTEDICT", "DELTA", "DELTA32K", "LZO", "MOSTLY8", "MOSTLY16", "MOSTLY32",
             "RUNLENGTH", "TEXT255", "TEXT32K", "ZSTD"}
# PostgreSQL system column names: "cannot be used as names of user-defined columns" (unsupported features).
SYSTEM_COLUMNS = {"oid", "tableoid", "xmin", "cmin", "xmax", "cmax", "ctid"}
MAX_IDENTIFIER_BYTES = 127  # r_names
PG_IDENTIFIER_BYTES = 63  # PostgreSQL's NAMEDATALEN - 1: longer names would be truncated there


def q(name: str) -> str:
    """A PostgreSQL identifier, always quoted (names are already folded the Redshift way)."""
    return '"' + name.replace('"', '""') + '"'


def fold(name: str, quoted: bool) -> str:
    """r_names: ASCII letters in standard and delimited identifiers are folded to lowercase.
    Database user names derived from IAM identities ("IAM:alice", "IAMR:MyRole") keep their case: the
    stand-in creates them as the Data API names them [unconfirmed: whether Redshift folds them]."""
    if quoted and re.match(r"(?i)^iamr?:", name):
        return name
    return re.sub(r"[A-Z]+", lambda m: m.group(0).lower(), name)


def check_identifier(name: str) -> None:
    size = len(name.encode("utf-8"))
    if size > MAX_IDENTIFIER_BYTES:
        raise Refusal(f'identifier "{name[:40]}…" is {size} bytes; Redshift allows 1 to 127', "names")
    if size > PG_IDENTIFIER_BYTES:
        raise not_emulated(f'identifier "{name[:40]}…" is {size} bytes (the stand-in\'s PostgreSQL keeps 63)')


# ---- tokens -------------------------------------------------------------------------------------------


def tokenize(sql: str):
    try:
        return DIALECT.tokenize(sql)
    except TokenError as e:
        raise Refusal(f"syntax error: {e}", None, "syntax") from e


def split_statements(sql: str) -> list[str]:
    """The statement texts of one Sql string (semicolons outside literals and comments)."""
    toks = tokenize(sql)
    out, start = [], 0
    for t in toks:
        if t.token_type == TokenType.SEMICOLON:
            out.append(sql[start:t.start])
            start = t.end + 1
    out.append(sql[start:])
    return [s for s in out if tokenize(s)]


def rewrite_time_functions(sql: str) -> str:
    """GETDATE() and SYSDATE are Redshift's own (sqlglot reads both as CURRENT_TIMESTAMP): mark them so
    that they translate to what their pages say (statement start, seconds / transaction start)."""
    toks = tokenize(sql)
    edits = []
    for i, t in enumerate(toks):
        word = t.text.upper()
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if word == "GETDATE" and nxt is not None and nxt.token_type == TokenType.L_PAREN:
            edits.append((t.start, t.end, "RS_GETDATE"))
        elif word == "SYSDATE" and (nxt is None or nxt.token_type != TokenType.L_PAREN):
            edits.append((t.start, t.end, "RS_SYSDATE()"))
    for start, end, text in reversed(edits):
        sql = sql[:start] + text + sql[end + 1:]
    return sql


def check_function_names(sql: str) -> None:
    toks = tokenize(sql)
    for i, t in enumerate(toks[:-1]):
        if toks[i + 1].token_type != TokenType.L_PAREN:
            continue
        if i > 0 and toks[i - 1].token_type == TokenType.DOT and t.text.upper() != "SET_CONFIG":
            continue  # schema-qualified user function
        name = t.text.upper()
        if name in DENY_FUNCTIONS:
            raise Refusal(f"function {name}() is not supported by Redshift", "unsupported_functions")
        if name in ESCAPE_FUNCTIONS:
            raise Refusal(f"function {name}() is not supported by Redshift", "unsupported_functions")


# ---- expressions --------------------------------------------------------------------------------------


def pg_type(dt: exp.DataType, column: bool) -> tuple[str, tuple[str, int] | None]:
    """The PostgreSQL type for a Redshift type, and the byte rule the column needs (VARCHAR(n) counts bytes;
    CHAR holds single-byte characters only: r_Character_types)."""
    t = dt.this
    params = [p.this if isinstance(p, exp.DataTypeParam) else p for p in dt.expressions]
    if t in SUPPORTED_TYPES:
        if t == exp.DataType.Type.DOUBLE and params:  # FLOAT(p)
            p = int(params[0].name)
            return ("REAL" if p <= 24 else "DOUBLE PRECISION"), None
        return SUPPORTED_TYPES[t], None
    if t in VARCHARS:
        if not params:
            if t == exp.DataType.Type.TEXT and not column:
                return "TEXT", None
            if not column:
                return "VARCHAR", None  # in an expression the size follows the input (r_Character_types)
            n = 256  # "TEXT ... is converted to a VARCHAR(256) column"; VARCHAR without length: 256
        elif params[0].name.upper() == "MAX":
            n = 65535  # "The MAX setting defines the width of the column as ... 65535 bytes for VARCHAR"
        else:
            n = int(params[0].name)
        if n < 1 or n > 65535:
            raise Refusal(f"length for type varchar must be between 1 and 65535, not {n}", "character")
        return f"VARCHAR({n})", ("varchar", n)
    if t in CHARS:
        if not params:
            n = 256 if t == exp.DataType.Type.BPCHAR else 1  # BPCHAR -> CHAR(256); CHAR -> CHAR(1)
        elif params[0].name.upper() == "MAX":
            n = 4096
        else:
            n = int(params[0].name)
        if n < 1 or n > 4096:
            raise Refusal(f"length for type char must be between 1 and 4096, not {n}", "character")
        return f"CHAR({n})", ("char", n)
    if t == exp.DataType.Type.DECIMAL:
        p = int(params[0].name) if params else 18  # r_Numeric_types201: default DECIMAL(18,0)
        s = int(params[1].name) if len(params) > 1 else 0
        if p < 1 or p > 38:
            raise Refusal(f"DECIMAL precision {p} must be between 1 and 38", "numeric")
        if s < 0 or s > min(p, 37):
            raise Refusal(f"DECIMAL scale {s} must be between 0 and {min(p, 37)}", "numeric")
        return f"NUMERIC({p},{s})", None
    if t in REDSHIFT_ONLY_TYPES:
        raise not_emulated(f"type {t.name}")
    if t == exp.DataType.Type.VARBINARY:
        raise not_emulated("binary types (Redshift's VARBYTE; PostgreSQL's BYTEA is not supported by Redshift)",
                           "unsupported_types")
    raise Refusal(f"type {dt.sql('redshift')} is not supported by Redshift", "unsupported_types")


def transform_expression(node: exp.Expression, params: list[str] | None, order: list[str]) -> exp.Expression:
    """Checks and rewrites one expression tree in place (returns the new root)."""

    def walk(n: exp.Expression) -> exp.Expression:
        if isinstance(n, exp.Identifier):
            name = fold(n.name, n.quoted)
            check_identifier(name)
            return exp.Identifier(this=name, quoted=True)
        if isinstance(n, exp.Placeholder):
            name = n.name
            if params is None or name not in params:
                # Without a value the Data API sends ":name" as written, which Redshift cannot parse.
                raise Refusal('syntax error at or near ":"', None, "syntax")
            if name not in order:
                order.append(name)
            return exp.var(f"${order.index(name) + 1}")
        if isinstance(n, exp.Anonymous) and n.name.upper() == "RS_GETDATE":
            if n.expressions:
                raise Refusal("GETDATE takes no arguments", "getdate")
            # r_GETDATE: TIMESTAMP, the start of the current statement, in the session time zone
            return sqlglot.parse_one("CAST(DATE_TRUNC('second', STATEMENT_TIMESTAMP()) AS TIMESTAMP)", read="postgres")
        if isinstance(n, exp.Anonymous) and n.name.upper() == "RS_SYSDATE":
            # r_SYSDATE: TIMESTAMP, the start of the current transaction
            return sqlglot.parse_one("CAST(NOW() AS TIMESTAMP)", read="postgres")
        if isinstance(n, (exp.Array, exp.ArrayAgg, exp.Unnest, exp.Explode)):
            raise Refusal("arrays are not supported by Redshift", "unsupported_types")
        if isinstance(n, exp.Bracket):
            raise Refusal("subscripted expressions are not supported by Redshift", "unsupported_features")
        if isinstance(n, exp.Anonymous) and n.name.upper() == "ROW":
            raise Refusal("row constructors are not supported by Redshift", "unsupported_features")
        if isinstance(n, exp.Filter):
            raise Refusal("aggregate FILTER (WHERE ...) is not Redshift syntax", "aggregate")
        if isinstance(n, (exp.NullSafeEQ, exp.NullSafeNEQ)):
            raise Refusal("IS [NOT] DISTINCT FROM is not supported by Redshift", "unsupported_functions")
        if isinstance(n, (exp.JSONExtract, exp.JSONExtractScalar, exp.JSONBExtract, exp.JSONBExtractScalar,
                          exp.JSONBContains)):
            raise Refusal("JSON operators are not supported by Redshift", "unsupported_types")
        if isinstance(n, exp.Lateral):
            raise Refusal("LATERAL is not supported by Redshift", "select")
        if isinstance(n, exp.Distinct) and n.args.get("on"):
            raise Refusal("DISTINCT ON is not supported by Redshift", "select")
        if isinstance(n, exp.Values) and not isinstance(n.parent, exp.Insert):
            raise Refusal("a VALUES list used as a constant table is not supported by Redshift",
                          "unsupported_features")
        if isinstance(n, exp.Returning):
            raise Refusal("RETURNING is not supported by Redshift", "insert")
        if isinstance(n, exp.Window) and n.args.get("over") is not None:
            spec = n.args.get("spec")
            if spec is not None and str(spec.args.get("kind") or "").upper() == "RANGE":
                raise Refusal("window frames are ROWS only in Redshift (no RANGE)", "window")
            if isinstance(n.this, FRAMED) and n.args.get("order") is not None and spec is None:
                raise Refusal(
                    f"{n.this.sql_name()} ... OVER (ORDER BY ...) needs an explicit frame clause (ROWS ...) in Redshift",
                    "window",
                )
        if isinstance(n, exp.Cast):
            to = n.args["to"]
            if isinstance(to, exp.DataType):
                pgt, _ = pg_type(to, column=False)
                n.set("to", exp.DataType.build(pgt, dialect="postgres"))
        if isinstance(n, exp.Select) and n.args.get("into"):
            raise not_emulated("SELECT ... INTO")
        if isinstance(n, exp.Select) and n.args.get("locks"):
            raise Refusal("SELECT ... FOR UPDATE is not supported by Redshift", "select")
        if isinstance(n, exp.Insert) and n.args.get("conflict") is not None:
            raise Refusal("INSERT ... ON CONFLICT is not supported by Redshift", "insert")
        return n

    return node.transform(walk, copy=False)


def pg(node: exp.Expression) -> str:
    return node.sql(dialect="postgres")


# ---- statements ---------------------------------------------------------------------------------------


def table_of(t: exp.Table) -> str:
    parts = [p for p in (t.args.get("catalog"), t.args.get("db"), t.this) if p is not None]
    if len(parts) == 3:
        raise not_emulated("three-part names (cross-database queries)")
    return ".".join(q(fold(p.name, p.quoted)) for p in parts)


def plain_table(t: exp.Table) -> str:
    return ".".join(fold(p.name, p.quoted) for p in (t.args.get("db"), t.this) if p is not None)


def translate_merge(e: exp.Merge, params, order) -> dict:
    if e.args.get("with_"):
        raise Refusal("MERGE cannot have a WITH clause", "merge")
    target, source = e.this, e.args["using"]
    if not isinstance(target, exp.Table):
        raise Refusal("the MERGE target must be a table", "merge")
    if target.args.get("alias"):
        raise Refusal("MERGE INTO takes no alias for the target table (only the source may have one)", "merge")
    if not isinstance(source, exp.Table):
        raise Refusal("the MERGE source must be a table (not a view or a subquery)", "merge")
    if plain_table(target) == plain_table(source):
        raise Refusal("the MERGE source and target can't be the same table", "merge")
    if e.args.get("returning"):
        raise Refusal("RETURNING is not supported by Redshift", "merge")
    on = e.args["on"]
    conjuncts = list(on.flatten()) if isinstance(on, exp.And) else [on]
    if not all(isinstance(c, exp.EQ) for c in conjuncts):
        raise Refusal("the MERGE match condition must be equal predicates (a = b AND ...)", "merge")
    whens = e.args["whens"].expressions
    matched = [w for w in whens if w.args.get("matched")]
    not_matched = [w for w in whens if not w.args.get("matched")]
    if len(matched) != 1 or len(not_matched) != 1 or len(whens) != 2:
        raise Refusal(
            "MERGE needs exactly one WHEN MATCHED and one WHEN NOT MATCHED clause (REMOVE DUPLICATES is not emulated)",
            "merge",
        )
    for w in whens:
        if w.args.get("condition") is not None:
            raise Refusal("WHEN [NOT] MATCHED AND <condition> is not supported by Redshift", "merge")
        if w.args.get("source"):
            raise Refusal("WHEN NOT MATCHED BY SOURCE is not supported by Redshift", "merge")
    m, nm = matched[0].args["then"], not_matched[0].args["then"]
    target_sql = table_of(target)
    alias = source.args.get("alias")
    source_sql = table_of(source) + (f" AS {q(fold(alias.name, alias.this.quoted))}" if alias else "")
    expr = lambda x: pg(transform_expression(x, params, order))  # noqa: E731
    if isinstance(m, exp.Var) and m.name.upper() == "DELETE":
        matched_sql = "DELETE"
    elif isinstance(m, exp.Update):
        sets = []
        for s in m.expressions:
            col = s.this
            if not isinstance(col, exp.Column) or col.args.get("table") is not None:
                raise Refusal("MERGE ... UPDATE SET names columns without their table", "merge")
            sets.append(f"{q(fold(col.name, col.this.quoted))} = {expr(s.expression)}")
        matched_sql = "UPDATE SET " + ", ".join(sets)
    else:
        raise Refusal("WHEN MATCHED takes UPDATE SET ... or DELETE (not DO NOTHING)", "merge")
    if not isinstance(nm, exp.Insert):
        raise Refusal("WHEN NOT MATCHED takes INSERT ... VALUES (...) (not DO NOTHING)", "merge")
    cols_node, values_node = nm.this, nm.args.get("expression")
    if isinstance(values_node, exp.Tuple):
        cols = [q(fold(c.name, c.this.quoted)) for c in cols_node.expressions]
        values = values_node.expressions
    else:  # INSERT VALUES (...) without a column list: sqlglot reads it as a VALUES(...) call
        inner = cols_node.expressions[0] if isinstance(cols_node, exp.Tuple) and cols_node.expressions else None
        if not (isinstance(inner, exp.Anonymous) and inner.name.upper() == "VALUES"):
            raise Refusal("WHEN NOT MATCHED takes INSERT [(columns)] VALUES (...)", "merge")
        cols, values = [], inner.expressions
    insert_sql = "INSERT " + (f"({', '.join(cols)}) " if cols else "") + "VALUES (" + ", ".join(expr(v) for v in values) + ")"
    on_sql = expr(on)
    sql = f"MERGE INTO {target_sql} USING {source_sql} ON {on_sql} WHEN MATCHED THEN {matched_sql} WHEN NOT MATCHED THEN {insert_sql}"
    return {"kind": "sql", "sql": sql, "command": "MERGE", "merge": {"target": plain_table(target), "source": plain_table(source)}}


def strip_redshift_table_attributes(sql: str) -> tuple[str, dict]:
    """Cuts the Redshift-only parts out of CREATE TABLE (column ENCODE / DISTKEY / SORTKEY / COLLATE, table
    BACKUP / DISTSTYLE / DISTKEY / SORTKEY / ENCODE AUTO), returning the rest and what was cut."""
    toks = tokenize(sql)
    attrs: dict[str, Any] = {"column_distkey": [], "column_sortkey": [], "collate": []}
    cuts: list[tuple[int, int]] = []
    depth, i, col_start, close = 0, 0, None, None
    while i < len(toks):
        t = toks[i]
        if t.token_type == TokenType.L_PAREN:
            depth += 1
            if depth == 1:
                col_start = i + 1
        elif t.token_type == TokenType.R_PAREN:
            depth -= 1
            if depth == 0:
                close = i
                break
        elif depth == 1 and t.token_type == TokenType.COMMA:
            col_start = i + 1
        elif depth == 1:
            word = t.text.upper()
            colname = toks[col_start].text if col_start is not None else ""
            if word == "ENCODE" and i + 1 < len(toks):
                enc = toks[i + 1].text.upper()
                if enc not in ENCODINGS:
                    raise Refusal(f"unknown column encoding {enc}", "create_table")
                cuts.append((t.start, toks[i + 1].end))
                i += 2
                continue
            if word in ("DISTKEY", "SORTKEY") and t.token_type == TokenType.VAR and i != col_start:
                attrs["column_distkey" if word == "DISTKEY" else "column_sortkey"].append(colname)
                cuts.append((t.start, t.end))
            elif word == "COLLATE" and i + 1 < len(toks):
                coll = toks[i + 1].text.upper()
                if coll == "CASE_INSENSITIVE":
                    raise not_emulated("COLLATE CASE_INSENSITIVE", "create_table")
                if coll != "CASE_SENSITIVE":
                    raise Refusal(f"unknown collation {coll}", "create_table")
                cuts.append((t.start, toks[i + 1].end))
                i += 2
                continue
        i += 1
    if close is not None:
        rest = toks[close + 1:]
        j = 0
        while j < len(rest):
            w = rest[j].text.upper()
            nxt = rest[j + 1].text.upper() if j + 1 < len(rest) else ""
            if w == "BACKUP" and nxt in ("YES", "NO"):
                j += 2
            elif w == "DISTSTYLE" and nxt in ("AUTO", "EVEN", "KEY", "ALL"):
                attrs["diststyle"] = nxt
                j += 2
            elif w == "ENCODE" and nxt == "AUTO":
                j += 2
            elif w in ("DISTKEY", "SORTKEY", "COMPOUND", "INTERLEAVED"):
                kind = w
                if w in ("COMPOUND", "INTERLEAVED"):
                    if nxt != "SORTKEY":
                        raise Refusal(f"{w} must be followed by SORTKEY", "create_table")
                    j += 1
                j += 1
                if kind == "SORTKEY" and j < len(rest) and rest[j].text.upper() == "AUTO":
                    j += 1
                    continue
                if j >= len(rest) or rest[j].token_type != TokenType.L_PAREN:
                    raise Refusal(f"{kind} needs a column list", "create_table")
                cols = []
                j += 1
                while j < len(rest) and rest[j].token_type != TokenType.R_PAREN:
                    if rest[j].token_type != TokenType.COMMA:
                        cols.append(fold(rest[j].text, rest[j].token_type == TokenType.IDENTIFIER))
                    j += 1
                j += 1
                attrs["distkey" if kind == "DISTKEY" else "sortkey"] = cols
                attrs["sortkind"] = kind
            else:
                break
        end = rest[j - 1].end if j > 0 else toks[close].end
        tail = sql[end + 1:]
        if tokenize(tail):
            raise Refusal(f"unexpected table attribute near {tail.strip()[:40]!r}", "create_table")
        sql = sql[: toks[close].end + 1]
    for start, end in reversed(cuts):
        sql = sql[:start] + sql[end + 1:]
    return sql, attrs


def byte_checks(col: str, rule: tuple[str, int] | None) -> str:
    if rule is None:
        return ""
    kind, n = rule
    digest = hashlib.sha1(col.encode()).hexdigest()[:6]
    name = f"rs_{kind}_{n}_{col}"
    if len(name.encode()) > PG_IDENTIFIER_BYTES:
        name = f"rs_{kind}_{n}_{digest}"
    if kind == "varchar":
        return f" CONSTRAINT {q(name)} CHECK (octet_length({q(col)}) <= {n})"
    return f" CONSTRAINT {q(name)} CHECK (octet_length({q(col)}) = char_length({q(col)}))"


def column_sql(cd: exp.ColumnDef, params, order, pk_columns: set[str]) -> tuple[str, str]:
    name = fold(cd.name, cd.this.quoted)
    check_identifier(name)
    if name in SYSTEM_COLUMNS:
        raise Refusal(f'column name "{name}" is a PostgreSQL system column name, which Redshift reserves',
                      "unsupported_features")
    kind = cd.args.get("kind")
    if not isinstance(kind, exp.DataType):
        raise Refusal(f'column "{name}" needs a data type', "create_table")
    typ, rule = pg_type(kind, column=True)
    parts = [q(name), typ]
    not_null = name in pk_columns
    for c in cd.args.get("constraints") or []:
        k = c.args.get("kind")
        if isinstance(k, exp.NotNullColumnConstraint):
            if k.args.get("allow_null"):
                continue
            not_null = True
        elif isinstance(k, exp.DefaultColumnConstraint):
            parts.append("DEFAULT " + pg(transform_expression(k.this, params, order)))
        elif isinstance(k, exp.PrimaryKeyColumnConstraint):
            not_null = True  # informational only (unsupported features); its column is NOT NULL [unconfirmed]
        elif isinstance(k, (exp.UniqueColumnConstraint, exp.Reference)):
            pass  # UNIQUE, REFERENCES: informational only, not enforced (c_unsupported-postgresql-features)
        elif isinstance(k, exp.GeneratedAsIdentityColumnConstraint):
            if k.args.get("expression") is not None:
                raise Refusal("generated columns are not supported by Redshift", "create_table")
            if typ not in ("INTEGER", "BIGINT"):
                raise Refusal("an IDENTITY column must be INT or BIGINT", "create_table")
            start = pg(k.args["start"]) if k.args.get("start") else "1"
            step = pg(k.args["increment"]) if k.args.get("increment") else "1"
            always = "BY DEFAULT" if k.this is False else "ALWAYS"
            parts.append(f"GENERATED {always} AS IDENTITY (START WITH {start} INCREMENT BY {step})")
        elif isinstance(k, exp.CheckColumnConstraint):
            raise Refusal("CHECK constraints are not supported by Redshift", "unsupported_features")
        elif isinstance(k, exp.CollateColumnConstraint):
            raise not_emulated("COLLATE", "create_table")
        else:
            raise Refusal(f"column attribute {c.sql('redshift')} is not Redshift syntax", "create_table")
    if not_null:
        parts.append("NOT NULL")
    return name, " ".join(parts) + byte_checks(name, rule)


def translate_create_table(sql: str, params, order) -> dict:
    stripped, attrs = strip_redshift_table_attributes(sql)
    try:
        e = sqlglot.parse_one(stripped, read="redshift")
    except ParseError as err:
        raise Refusal(f"syntax error: {str(err).splitlines()[0]}", None, "syntax") from err
    if not isinstance(e, exp.Create) or e.kind != "TABLE":
        raise not_emulated("this form of CREATE TABLE", "create_table")
    if e.args.get("expression") is not None:
        raise not_emulated("CREATE TABLE ... AS SELECT (its column types follow PostgreSQL's rules here)",
                           "create_table")
    temp = False
    for p in (e.args.get("properties").expressions if e.args.get("properties") else []):
        if isinstance(p, exp.TemporaryProperty):
            temp = True
        else:
            raise Refusal(f"table property {p.sql('redshift')} is not Redshift syntax", "create_table")
    schema = e.this
    table = schema.this
    if table.name.startswith("#"):
        raise not_emulated("#temporary table names")
    head = "CREATE " + ("TEMPORARY " if temp else "") + "TABLE " + ("IF NOT EXISTS " if e.args.get("exists") else "")
    head += table_of(table)
    items = schema.expressions
    likes = [x for x in items if isinstance(x, exp.LikeProperty)]
    if likes:
        if len(items) != 1:
            raise Refusal("CREATE TABLE ... (LIKE parent) takes no other columns", "create_table")
        like = likes[0]
        opts = []
        for o in like.expressions:
            word = f"{o.name} {o.args['value'].name}".upper()
            if word not in ("INCLUDING DEFAULTS", "EXCLUDING DEFAULTS"):
                raise Refusal(f"LIKE ... {word} is not Redshift syntax", "create_table")
            opts.append(word)
        # The copy keeps NOT NULL (PostgreSQL always) and the byte-length CHECKs the stand-in adds for
        # VARCHAR(n) (INCLUDING CONSTRAINTS: Redshift has no CHECK constraints of its own).
        body = f"LIKE {table_of(like.this)} INCLUDING CONSTRAINTS" + "".join(f" {o}" for o in opts)
        return {"kind": "sql", "sql": f"{head} ({body})", "command": "CREATE TABLE"}
    pk_columns: set[str] = set()
    for x in items:
        if isinstance(x, exp.PrimaryKey):
            pk_columns |= {fold(c.name, getattr(c, "quoted", False)) for c in x.expressions}
    columns, defs = [], []
    for x in items:
        if isinstance(x, exp.ColumnDef):
            name, d = column_sql(x, params, order, pk_columns)
            if name in columns:
                raise Refusal(f'column "{name}" specified more than once', "create_table")
            columns.append(name)
            defs.append(d)
        elif isinstance(x, (exp.PrimaryKey, exp.UniqueColumnConstraint, exp.ForeignKey)):
            pass  # informational only in Redshift: not enforced
        elif isinstance(x, (exp.CheckColumnConstraint, exp.Check)):
            raise Refusal("CHECK constraints are not supported by Redshift", "unsupported_features")
        else:
            raise Refusal(f"{x.sql('redshift')[:60]} is not Redshift CREATE TABLE syntax", "create_table")
    for col in pk_columns:
        if col not in columns:
            raise Refusal(f'column "{col}" named in the key does not exist', "create_table")
    keyed = attrs.get("distkey", []) + attrs.get("sortkey", []) + attrs["column_distkey"] + attrs["column_sortkey"]
    for col in keyed:
        col = fold(col, False)
        if col not in columns:
            raise Refusal(f'column "{col}" named in DISTKEY/SORTKEY does not exist', "create_table")
    if attrs.get("diststyle") == "KEY" and not (attrs.get("distkey") or attrs["column_distkey"]):
        raise Refusal("DISTSTYLE KEY needs a DISTKEY column", "create_table")
    if attrs.get("diststyle") not in (None, "KEY") and (attrs.get("distkey") or attrs["column_distkey"]):
        raise Refusal(f"DISTKEY conflicts with DISTSTYLE {attrs['diststyle']}", "create_table")
    if len(attrs.get("distkey", [])) > 1 or len(attrs["column_distkey"]) + len(attrs.get("distkey", [])) > 1:
        raise Refusal("a table has at most one DISTKEY column", "create_table")
    if attrs.get("sortkind") == "INTERLEAVED" and len(attrs.get("sortkey", [])) > 8:
        raise Refusal("an INTERLEAVED SORTKEY has at most 8 columns", "create_table")
    return {"kind": "sql", "sql": f"{head} ({', '.join(defs)})", "command": "CREATE TABLE"}


def translate_alter(e: exp.Alter, params, order) -> dict:
    if str(e.args.get("kind") or "").upper() != "TABLE":
        raise not_emulated(f"ALTER {e.args.get('kind')}")
    actions = e.args.get("actions") or []
    if len(actions) != 1:
        raise Refusal("ALTER TABLE takes one action in Redshift", "create_table")
    a = actions[0]
    head = f"ALTER TABLE {table_of(e.this)}"
    if isinstance(a, exp.ColumnDef):
        _, d = column_sql(a, params, order, set())
        return {"kind": "sql", "sql": f"{head} ADD COLUMN {d}", "command": "ALTER TABLE"}
    if isinstance(a, exp.AlterRename):
        return {"kind": "sql", "sql": f"{head} RENAME TO {q(fold(a.this.name, a.this.this.quoted))}", "command": "ALTER TABLE"}
    if isinstance(a, exp.RenameColumn):
        old, new = a.this, a.args["to"]
        return {"kind": "sql", "sql": f"{head} RENAME COLUMN {q(fold(old.name, old.this.quoted if hasattr(old, 'this') else False))} TO {q(fold(new.name, new.this.quoted if hasattr(new, 'this') else False))}", "command": "ALTER TABLE"}
    if isinstance(a, exp.Drop) and str(a.args.get("kind") or "").upper() == "COLUMN":
        col = a.this
        return {"kind": "sql", "sql": f"{head} DROP COLUMN {q(fold(col.name, False))}", "command": "ALTER TABLE"}
    raise not_emulated(f"ALTER TABLE {a.sql('redshift')[:40]}")


# ---- statements sqlglot keeps as commands: GRANT / REVOKE, roles, SET ----------------------------------

TABLE_PRIVS = {"SELECT", "INSERT", "UPDATE", "DELETE", "REFERENCES", "TRUNCATE"}


class Tokens:
    def __init__(self, sql: str):
        self.sql = sql
        self.toks = tokenize(sql)
        self.i = 0

    def peek(self, k: int = 0) -> str:
        j = self.i + k
        return self.toks[j].text.upper() if j < len(self.toks) else ""

    def tok(self):
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> str:
        t = self.tok()
        if t is None:
            raise Refusal("syntax error at end of input", None, "syntax")
        self.i += 1
        return t.text

    def accept(self, *words: str) -> bool:
        if self.peek() in words:
            self.i += 1
            return True
        return False

    def expect(self, word: str, rule: str) -> None:
        if not self.accept(word):
            raise Refusal(f"syntax error at or near {self.peek() or 'end of input'!r} (expected {word})", rule, "syntax")

    def name(self) -> str:
        t = self.tok()
        if t is None or t.token_type in (TokenType.COMMA, TokenType.L_PAREN, TokenType.R_PAREN, TokenType.SEMICOLON):
            raise Refusal("syntax error: a name is missing", None, "syntax")
        self.i += 1
        n = fold(t.text, t.token_type == TokenType.IDENTIFIER)
        check_identifier(n)
        return n

    def qualified(self) -> str:
        parts = [self.name()]
        while self.peek() == ".":
            self.i += 1
            parts.append(self.name())
        return ".".join(q(p) for p in parts)

    def done(self) -> bool:
        return self.i >= len(self.toks)


def translate_grant(sql: str, database: str) -> dict:
    """r_GRANT / r_REVOKE, the parts the pipeline uses: privileges on tables, schemas, the database; roles."""
    t = Tokens(sql)
    verb = t.take().upper()
    rule = "grant" if verb == "GRANT" else "revoke"
    grant_option = False
    if verb == "REVOKE" and t.peek() == "GRANT" and t.peek(1) == "OPTION":
        t.i += 3  # GRANT OPTION FOR
        grant_option = True
    if t.peek() == "ROLE":  # GRANT ROLE r [, ...] TO {user | ROLE r2}
        roles = []
        while t.accept("ROLE"):
            roles.append(q(t.name()))
            if not t.accept(","):
                break
        t.expect("TO" if verb == "GRANT" else "FROM", rule)
        grantees = grantees_of(t, rule)
        admin = " WITH ADMIN OPTION" if t.accept("WITH") and t.accept("ADMIN") and t.accept("OPTION") else ""
        if not t.done():
            raise Refusal(f"syntax error at or near {t.peek()!r}", rule, "syntax")
        word = "TO" if verb == "GRANT" else "FROM"
        return {"kind": "sql", "sql": f"{verb} {', '.join(roles)} {word} {', '.join(grantees)}{admin}", "command": verb}
    privs = []
    while True:
        w = t.take().upper()
        if w == "ALL":
            t.accept("PRIVILEGES")
            privs.append("ALL")
        elif w in TABLE_PRIVS | {"CREATE", "USAGE", "TEMPORARY", "TEMP", "EXECUTE"}:
            privs.append("TEMPORARY" if w == "TEMP" else w)
        elif w in ("DROP", "ALTER"):
            raise not_emulated(f"the {w} privilege (PostgreSQL lets only the owner drop or alter)", rule)
        elif w in ("ASSUMEROLE", "SHARE"):
            raise not_emulated(f"{w} permissions", rule)
        else:
            raise Refusal(f"unknown privilege {w}", rule, "syntax")
        if t.peek() == "(":
            raise not_emulated("column-level privileges", rule)
        if not t.accept(","):
            break
    t.expect("ON", rule)
    if t.accept("ALL"):
        t.expect("TABLES", rule)
        t.expect("IN", rule)
        t.expect("SCHEMA", rule)
        objs = [t.qualified()]
        while t.accept(","):
            objs.append(t.qualified())
        target, kind = "ALL TABLES IN SCHEMA " + ", ".join(objs), "table"
    elif t.accept("SCHEMA"):
        objs = [t.qualified()]
        while t.accept(","):
            objs.append(t.qualified())
        target, kind = "SCHEMA " + ", ".join(objs), "schema"
    elif t.accept("DATABASE"):
        dbs = [t.name()]
        while t.accept(","):
            dbs.append(t.name())
        for d in dbs:
            if d != database:
                raise Refusal(f'database "{d}" does not exist', rule)
        target, kind = "DATABASE {db}", "database"  # the engine fills in its PostgreSQL database
    elif t.peek() in ("FUNCTION", "PROCEDURE", "LANGUAGE", "EXTERNAL", "DATASHARE", "MODEL"):
        raise not_emulated(f"privileges ON {t.peek()}", rule)
    else:
        t.accept("TABLE")
        objs = [t.qualified()]
        while t.accept(","):
            objs.append(t.qualified())
        target, kind = "TABLE " + ", ".join(objs), "table"
    allowed = {"table": TABLE_PRIVS, "schema": {"CREATE", "USAGE"}, "database": {"CREATE", "TEMPORARY"}}[kind]
    for p in privs:
        if p != "ALL" and p not in allowed:
            raise Refusal(f"privilege {p} does not apply to a {kind}", rule)
    if kind == "table" and "ALL" in privs:
        # ALL on a table in Redshift: its table privileges (DROP and ALTER are not emulated: see above)
        privs = sorted(TABLE_PRIVS)
    t.expect("TO" if verb == "GRANT" else "FROM", rule)
    grantees = grantees_of(t, rule)
    option = ""
    if verb == "GRANT" and t.accept("WITH"):
        t.expect("GRANT", rule)
        t.expect("OPTION", rule)
        option = " WITH GRANT OPTION"
    tail = ""
    if verb == "REVOKE" and t.peek() in ("CASCADE", "RESTRICT"):
        tail = " " + t.take().upper()
    if not t.done():
        raise Refusal(f"syntax error at or near {t.peek()!r}", rule, "syntax")
    word = "TO" if verb == "GRANT" else "FROM"
    head = f"{verb} GRANT OPTION FOR" if grant_option else verb
    return {"kind": "sql", "sql": f"{head} {', '.join(privs)} ON {target} {word} {', '.join(grantees)}{option}{tail}",
            "command": verb, "database": kind == "database"}


def grantees_of(t: Tokens, rule: str) -> list[str]:
    out = []
    while True:
        if t.accept("ROLE"):
            out.append(q(t.name()))
        elif t.accept("GROUP"):
            raise not_emulated("user groups", rule)
        elif t.peek() == "PUBLIC":
            t.i += 1
            out.append("PUBLIC")
        else:
            out.append(q(t.name()))
        if not t.accept(","):
            return out


def translate_command(sql: str, database: str) -> dict:
    t = Tokens(sql)
    w0, w1 = t.peek(), t.peek(1)
    if w0 in ("GRANT", "REVOKE"):
        return translate_grant(sql, database)
    if w0 == "CREATE" and w1 == "ROLE":
        t.i += 2
        name = t.name()
        if t.accept("EXTERNALID"):
            raise not_emulated("CREATE ROLE ... EXTERNALID", "create_role")
        if not t.done():
            raise Refusal(f"syntax error at or near {t.peek()!r}", "create_role", "syntax")
        # A Redshift role is a collection of permissions, not a login (NOLOGIN); the engine tells roles
        # from users by that.
        return {"kind": "sql", "sql": f"CREATE ROLE {q(name)} NOLOGIN", "command": "CREATE ROLE"}
    if w0 == "DROP" and w1 == "ROLE":
        t.i += 2
        name = t.name()
        if t.peek() in ("FORCE", "RESTRICT"):
            t.i += 1
        if not t.done():
            raise Refusal(f"syntax error at or near {t.peek()!r}", "drop_role", "syntax")
        return {"kind": "sql", "sql": f"DROP ROLE {q(name)}", "command": "DROP ROLE"}
    if w0 == "CREATE" and w1 == "SCHEMA":
        t.i += 2
        exists = ""
        if t.accept("IF"):
            t.expect("NOT", "create_schema")
            t.expect("EXISTS", "create_schema")
            exists = "IF NOT EXISTS "
        name = t.name()
        auth = ""
        if t.accept("AUTHORIZATION"):
            auth = f" AUTHORIZATION {q(t.name())}"
        if t.peek() == "QUOTA":
            raise not_emulated("schema quotas", "create_schema")
        if not t.done():
            raise Refusal(f"syntax error at or near {t.peek()!r}", "create_schema", "syntax")
        return {"kind": "sql", "sql": f"CREATE SCHEMA {exists}{q(name)}{auth}", "command": "CREATE SCHEMA"}
    if w0 in ("SET", "RESET"):
        t.i += 1
        t.accept("SESSION")
        t.accept("LOCAL")
        var = t.peek()
        if var in ("SESSION", "AUTHORIZATION", "ROLE", "ALL") or (var == "SESSION" and t.peek(1) == "AUTHORIZATION"):
            raise not_emulated(
                f"{w0} {var}: the Data API runs each statement as the caller's database user", "set"
            )
        if var not in ("SEARCH_PATH", "TIMEZONE", "TIME", "DATESTYLE", "STATEMENT_TIMEOUT"):
            raise not_emulated(f"{w0} {var}", "set")
        return {"kind": "sql", "sql": sql.strip(), "command": w0}
    if w0 == "SHOW":
        return {"kind": "sql", "sql": sql.strip(), "command": "SHOW", "readonly": True}
    if w0 in ("CREATE", "ALTER", "DROP") and w1 in ("USER", "GROUP"):
        raise not_emulated(f"{w0} {w1} (database users come from IAM identities here)")
    if w0 in ("VACUUM", "UNLOAD", "CALL", "EXPLAIN", "ANALYZE", "LOCK", "PREPARE", "EXECUTE", "DEALLOCATE",
              "CANCEL", "DECLARE", "FETCH", "CLOSE", "COMMENT", "CREATE", "ALTER", "DROP", "DO"):
        raise not_emulated(f"{w0} {w1}".strip())
    raise not_emulated(f"statement {w0}")


# ---- COPY ---------------------------------------------------------------------------------------------

# Parameters the emulation implements (local/redshift/copy.ts); the others are refused by name.
COPY_FLAGS = {"EMPTYASNULL", "BLANKSASNULL", "TRUNCATECOLUMNS", "TRIMBLANKS", "FILLRECORD", "IGNOREBLANKLINES",
              "ROUNDEC", "GZIP"}
COPY_STATS = {"COMPUPDATE", "STATUPDATE"}  # storage statistics only: they change no loaded value
COPY_REFUSED = {
    "MANIFEST": "copy_s3", "ENCRYPTED": "copy_s3", "SSH": "copy", "JSON": "copy_format", "AVRO": "copy_format",
    "PARQUET": "copy_format", "ORC": "copy_format", "FIXEDWIDTH": "copy_format", "SHAPEFILE": "copy_format",
    "ESCAPE": "copy_conversion", "REMOVEQUOTES": "copy_conversion", "ACCEPTANYDATE": "copy_conversion",
    "EXPLICIT_IDS": "copy_conversion", "MAXERROR": "copy_load", "NOLOAD": "copy_load", "LZOP": "copy_compression",
    "BZIP2": "copy_compression", "ZSTD": "copy_compression", "READRATIO": "copy_load", "CREDENTIALS": "copy_auth",
    "ACCESS_KEY_ID": "copy_auth", "SECRET_ACCESS_KEY": "copy_auth", "SESSION_TOKEN": "copy_auth",
    "MASTER_SYMMETRIC_KEY": "copy_s3", "SERIALIZETOJSON": "copy_format", "JOB": "copy",
}


def translate_copy(sql: str) -> dict:
    t = Tokens(sql)
    t.expect("COPY", "copy")
    parts = [t.name()]
    while t.peek() == ".":
        t.i += 1
        parts.append(t.name())
    if len(parts) > 2:
        raise not_emulated("three-part names (cross-database COPY)")
    columns = None
    if t.peek() == "(":
        t.i += 1
        columns = []
        while True:
            columns.append(t.name())
            if t.accept(","):
                continue
            t.expect(")", "copy")
            break
    if not t.accept("FROM"):
        if t.peek() == "TO":
            raise Refusal("COPY ... TO is not supported by Redshift (use UNLOAD)", "copy")
        raise Refusal(f"syntax error at or near {t.peek()!r} (expected FROM)", "copy", "syntax")
    src = t.tok()
    if src is None or src.token_type != TokenType.STRING:
        raise Refusal("COPY FROM takes a quoted 's3://bucket/prefix' (STDIN and files are PostgreSQL's)", "copy")
    t.i += 1
    source = src.text
    if not source.startswith("s3://"):
        raise not_emulated(f"COPY from {source.split(':')[0]} (only Amazon S3)", "copy")
    opts: dict[str, Any] = {}

    def string_arg(name: str) -> str:
        t.accept("AS")
        tk = t.tok()
        if tk is None or tk.token_type != TokenType.STRING:
            raise Refusal(f"{name} takes a quoted string", "copy", "syntax")
        t.i += 1
        return tk.text

    while not t.done():
        if t.accept(","):
            continue
        w = t.take().upper()
        if w in opts or (w == "NULL" and "NULL" in opts):
            raise Refusal(f"conflicting or redundant options: {w}", "copy", "syntax")
        if w == "IAM_ROLE":
            if t.peek() == "DEFAULT":
                raise not_emulated("IAM_ROLE default", "copy_auth")
            opts["IAM_ROLE"] = string_arg(w)
        elif w == "FORMAT":
            t.accept("AS")
            fmt = t.take().upper()
            if fmt != "CSV":
                raise not_emulated(f"FORMAT AS {fmt} (only CSV)", "copy_format")
            opts["CSV"] = True
        elif w == "CSV":
            opts["CSV"] = True
        elif w == "QUOTE":
            opts["QUOTE"] = string_arg(w)
        elif w == "DELIMITER":
            opts["DELIMITER"] = string_arg(w)
        elif w == "NULL":
            opts["NULL"] = string_arg("NULL AS")
        elif w in ("TIMEFORMAT", "DATEFORMAT"):
            opts[w] = string_arg(w)
        elif w == "IGNOREHEADER":
            t.accept("AS")
            n = t.take()
            if not n.isdigit():
                raise Refusal("IGNOREHEADER takes a number of rows", "copy_conversion", "syntax")
            opts[w] = int(n)
        elif w == "ACCEPTINVCHARS":
            tk = t.tok()
            if t.peek() == "AS" or (tk is not None and tk.token_type == TokenType.STRING):
                opts[w] = string_arg(w)
            else:
                opts[w] = "?"
        elif w == "ENCODING":
            t.accept("AS")
            enc = t.take().upper()
            if enc not in ("UTF8", "UTF-8"):
                raise not_emulated(f"ENCODING {enc} (only UTF8)", "copy_conversion")
        elif w == "REGION":
            opts[w] = string_arg(w)
        elif w in COPY_FLAGS:
            opts[w] = True
        elif w in COPY_STATS:
            if t.peek() in ("ON", "OFF", "TRUE", "FALSE", "PRESET"):
                t.i += 1
        elif w in COPY_REFUSED:
            raise not_emulated(f"COPY parameter {w}", COPY_REFUSED[w])
        else:
            raise Refusal(f"syntax error at or near {w!r}: not a COPY parameter", "copy", "syntax")
    if "IAM_ROLE" not in opts:
        raise Refusal("COPY needs an authorization (IAM_ROLE 'arn:...')", "copy_auth")
    if not opts.get("CSV"):
        raise not_emulated("COPY without FORMAT AS CSV (the pipe-delimited text format)", "copy_format")
    if "QUOTE" in opts and len(opts["QUOTE"]) != 1:
        raise Refusal("QUOTE must be a single character", "copy_format")
    if "DELIMITER" in opts and len(opts["DELIMITER"]) != 1:
        raise Refusal("DELIMITER must be a single ASCII character", "copy_format")
    if "ACCEPTINVCHARS" in opts and (len(opts["ACCEPTINVCHARS"]) != 1 or ord(opts["ACCEPTINVCHARS"]) > 127 or opts["ACCEPTINVCHARS"] == "\0"):
        raise Refusal("the ACCEPTINVCHARS replacement is one ASCII character other than NUL", "copy_conversion")
    table = ".".join(parts)
    return {"kind": "copy", "table": table, "schema": parts[0] if len(parts) == 2 else None, "name": parts[-1],
            "columns": columns, "source": source, "iamRole": opts.pop("IAM_ROLE"), "options": opts, "command": "COPY"}


# ---- entry --------------------------------------------------------------------------------------------


def translate(sql: str, params: list[str] | None, database: str) -> dict:
    texts = split_statements(sql)
    if not texts:
        raise Refusal("the statement is empty", "data_api", "syntax")
    if len(texts) > 1:
        # [unconfirmed] ExecuteStatement's Sql is "the SQL statement text to run": one statement a string
        # here; several run together with BatchExecuteStatement.
        raise Refusal(f"{len(texts)} statements in one Sql string: send one statement per ExecuteStatement, "
                      "or use BatchExecuteStatement", "data_api")
    text = texts[0]
    check_function_names(text)
    first = Tokens(text)
    w0, w1 = first.peek(), first.peek(1)
    if w0 == "COPY":
        if params:
            raise Refusal("COPY takes no statement parameters", "data_api")
        return translate_copy(text)
    if w0 in ("BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE"):
        # The Data API runs an ExecuteStatement as one transaction and a BatchExecuteStatement as one.
        raise not_emulated(f"transaction control ({w0}) inside Data API calls", "data_api")
    if (w0 in ("GRANT", "REVOKE", "SET", "RESET", "SHOW") or (w0 in ("CREATE", "DROP") and w1 == "ROLE")
            or (w0 == "CREATE" and w1 == "SCHEMA") or (w0 in ("CREATE", "ALTER", "DROP") and w1 in ("USER", "GROUP"))):
        if params:
            raise Refusal(f"{w0} takes no statement parameters", "data_api")
        out = translate_command(text, database)
        out["params"] = []
        return out
    if w0 == "CREATE" and (w1 == "TABLE" or w1 in ("TEMP", "TEMPORARY", "LOCAL")):
        order: list[str] = []
        out = translate_create_table(rewrite_time_functions(text), params, order)
        out["params"] = order
        return finish(out, params)
    if w0 == "TRUNCATE":
        t = Tokens(text)
        t.i += 1
        t.accept("TABLE")
        name = t.qualified()
        if not t.done():
            raise Refusal("TRUNCATE takes one table (no CASCADE, RESTART IDENTITY or list)", "truncate")
        # r_TRUNCATE: "TRUNCATE commits the transaction in which it is run" (the engine does that)
        return {"kind": "sql", "sql": f"TRUNCATE TABLE {name}", "command": "TRUNCATE", "truncate": True, "params": []}
    try:
        parsed = sqlglot.parse(rewrite_time_functions(text), read="redshift")
    except ParseError as err:
        raise Refusal(f"syntax error: {str(err).splitlines()[0]}", None, "syntax") from err
    e = parsed[0]
    order = []
    if isinstance(e, exp.Command):
        out = translate_command(text, database)
    elif isinstance(e, exp.Merge):
        out = translate_merge(e, params, order)
    elif isinstance(e, (exp.Select, exp.Union, exp.Intersect, exp.Except)):
        out = {"kind": "sql", "sql": pg(transform_expression(e, params, order)), "command": "SELECT", "readonly": True}
    elif isinstance(e, exp.Insert):
        if e.this.args.get("alias") if isinstance(e.this, exp.Table) else False:
            raise Refusal("INSERT INTO takes no table alias", "insert")
        if isinstance(e.this, exp.Schema) and e.this.this.args.get("alias"):
            raise Refusal("INSERT INTO takes no table alias", "insert")
        out = {"kind": "sql", "sql": pg(transform_expression(e, params, order)), "command": "INSERT"}
    elif isinstance(e, exp.Update):
        if isinstance(e.this, exp.Table) and e.this.args.get("alias"):
            raise Refusal("UPDATE takes no alias for its target table (an alias goes in FROM)", "update")
        out = {"kind": "sql", "sql": pg(transform_expression(e, params, order)), "command": "UPDATE"}
    elif isinstance(e, exp.Delete):
        if isinstance(e.this, exp.Table) and e.this.args.get("alias"):
            raise Refusal("DELETE takes no alias for its target table", "delete")
        out = {"kind": "sql", "sql": pg(transform_expression(e, params, order)), "command": "DELETE"}
    elif isinstance(e, exp.Create) and str(e.kind).upper() == "VIEW":
        if "NO SCHEMA BINDING" in text.upper():
            raise not_emulated("late-binding views (WITH NO SCHEMA BINDING)")
        body = transform_expression(e.expression, params, order)
        head = "CREATE OR REPLACE VIEW " if e.args.get("replace") else "CREATE VIEW "
        out = {"kind": "sql", "sql": f"{head}{table_of(e.this)} AS {pg(body)}", "command": "CREATE VIEW"}
    elif isinstance(e, exp.Create) and str(e.kind).upper() == "SCHEMA":
        out = translate_command(text, database)
    elif isinstance(e, exp.Alter):
        out = translate_alter(e, params, order)
    elif isinstance(e, exp.Drop) and str(e.kind).upper() in ("TABLE", "VIEW", "SCHEMA"):
        names = [table_of(x) if isinstance(x, exp.Table) else q(fold(x.name, False)) for x in (e.args.get("tables") or e.args.get("expressions") or [e.this])]
        out = {"kind": "sql", "command": f"DROP {str(e.kind).upper()}",
               "sql": f"DROP {str(e.kind).upper()} {'IF EXISTS ' if e.args.get('exists') else ''}{', '.join(names)}"
                      + (" CASCADE" if e.args.get("cascade") else "")}
    elif isinstance(e, exp.Analyze):
        out = {"kind": "sql", "sql": pg(e), "command": "ANALYZE"}
    elif isinstance(e, exp.Create):
        raise not_emulated(f"CREATE {e.kind}")
    else:
        raise not_emulated(f"statement {type(e).__name__.upper()}")
    out["params"] = order
    return finish(out, params)


def finish(out: dict, params: list[str] | None) -> dict:
    unused = [p for p in (params or []) if p not in out.get("params", [])]
    if unused:
        # [unconfirmed] the Data API's wording; a value for a name the SQL does not use is refused
        raise Refusal(f"the SQL has no parameter named :{unused[0]}", "data_api")
    return out


def main() -> None:
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        req = json.loads(line)
        try:
            stmt = translate(req["sql"], req.get("params"), req.get("database", "dev"))
            resp = {"id": req["id"], "ok": True, "statement": stmt}
        except Refusal as r:
            resp = {"id": req["id"], "ok": False, "error": str(r), "code": r.code}
        except ParseError as err:
            resp = {"id": req["id"], "ok": False, "error": f"syntax error: {str(err).splitlines()[0]}", "code": "syntax"}
        except Exception as err:  # a translator bug must not take the helper down
            resp = {"id": req["id"], "ok": False, "error": f"the stand-in could not translate this statement: {type(err).__name__}: {err}", "code": "not_emulated"}
        sys.stdout.write(json.dumps(resp) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
