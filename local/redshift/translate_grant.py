"""The statements sqlglot keeps as commands (translate.py): GRANT / REVOKE, roles, SET, read token by token."""

from __future__ import annotations

from sqlglot.tokens import TokenType

from translate_common import check_identifier, fold, not_emulated, q, Refusal, tokenize


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
