"""The translator's ground (translate.py): the rules and their pages, the refusals, identifiers, and the token-level
passes over a statement (splitting, time functions, function names)."""

from __future__ import annotations

import logging
import re

from sqlglot import exp
from sqlglot.dialects.redshift import Redshift
from sqlglot.errors import TokenError
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
