"""COPY from Amazon S3 (translate.py): the statement read into the stand-in's COPY (local/redshift/copy.ts) or refused."""

from __future__ import annotations

from typing import Any

from sqlglot.tokens import TokenType

from translate_common import not_emulated, Refusal
from translate_grant import Tokens


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
