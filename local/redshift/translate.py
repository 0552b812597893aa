"""Redshift SQL -> PostgreSQL 17, for the Redshift Data API stand-in (local/redshift/server.ts).

A long-lived helper: one JSON object per line on stdin, one answer per line on stdout.
  in:  {"id": 1, "sql": "<one Redshift statement>", "params": ["name", ...] | null}
  out: {"id": 1, "ok": true, "statement": {...}} or {"id": 1, "ok": false, "error": "...", "code": "..."}

It parses with sqlglot's redshift dialect and refuses, before anything runs, what Redshift refuses but
PostgreSQL would accept, each rule with the page that documents it (RULES, in translate_common.py). Where the
documentation is silent the stricter behaviour is chosen and the rule says "[unconfirmed]". Error codes: "syntax"
(the SQL does not parse), "unsupported" (Redshift refuses it), "not_emulated" (Redshift accepts it, the stand-in
cannot reproduce it faithfully, so it refuses rather than guess).

Statement kinds returned:
  {"kind": "sql", "sql": "<PostgreSQL>", "params": [names in $n order], "command": "SELECT" | ..., ...}
  {"kind": "copy", "table": ..., "columns": [...] | null, "source": "s3://...", "iamRole": ..., "options": {...}}

The parts: translate_common.py (rules, refusals, identifiers, token passes), translate_ddl.py (expressions,
MERGE, CREATE TABLE, ALTER), translate_grant.py (GRANT / REVOKE, roles, SET), translate_copy.py (COPY); this
module dispatches one statement and answers on stdout.
"""

from __future__ import annotations

import json
import sys

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from translate_common import (
    check_function_names,
    fold,
    not_emulated,
    q,
    Refusal,
    rewrite_time_functions,
    split_statements,
)
from translate_ddl import (
    pg,
    table_of,
    transform_expression,
    translate_alter,
    translate_create_table,
    translate_merge,
)
from translate_grant import Tokens, translate_command
from translate_copy import translate_copy


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
