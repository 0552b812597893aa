"""Expressions and the statements sqlglot parses (translate.py): types, parameters, MERGE, CREATE TABLE with
Redshift's table attributes and byte-length checks, ALTER."""

from __future__ import annotations

import hashlib
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError
from sqlglot.tokens import TokenType

from translate_common import (
    CHARS,
    check_identifier,
    ENCODINGS,
    fold,
    FRAMED,
    not_emulated,
    PG_IDENTIFIER_BYTES,
    q,
    REDSHIFT_ONLY_TYPES,
    Refusal,
    SUPPORTED_TYPES,
    SYSTEM_COLUMNS,
    tokenize,
    VARCHARS,
)


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
