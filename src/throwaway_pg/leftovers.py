"""What a page (or test) can leave on a server outside its scratch database, put back as it
was: its role's session defaults, the databases it owns, and those it made.

Any role may change its own session defaults (`ALTER ROLE CURRENT_USER SET datestyle ...`),
for every database or one (`IN DATABASE`): they reached every later page, outlived the run
on a user's server (the developer's own role), and `default_transaction_read_only` stopped
the harness's own connections there. An owner may rename, lock (ALLOW_CONNECTIONS false,
CONNECTION LIMIT 0, CONNECT revoked) or drop its databases, the user's own on their server.
A role that may make scratch databases may make any database: it reached later pages, and
outlived the run on a user's server.

What the role's settings and databases were is read as a page starts (databases by oid: a
renamed one is the same); at its end, settings are set back, databases renamed back and
unlocked, and a dropped one named. A database that appeared since and belongs to the role
is dropped on the harness's own server, unless the harness made it (the page's own, others
beside it); on a user's server it is named, not dropped: the user may have made it, as the
same role, meanwhile. Only the pages' role is looked at: on a user's server, the role of
its URL, whose other databases (there before the page) are the user's.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from throwaway_pg import driver, postgres
from throwaway_pg.driver import sql

# The restore writes whatever a page made its role's default (postgres.GUARDS the rest).
WRITES = {"default_transaction_read_only": "off"}
# Settings whose stored value is a list of quoted names (pg_dump's variable_is_guc_list_quote):
# each is set back as a list of literals, the others as one literal.
LIST_QUOTED = {
    "local_preload_libraries",
    "search_path",
    "session_preload_libraries",
    "shared_preload_libraries",
    "temp_tablespaces",
    "unix_socket_directories",
}
# The role, by oid once known (another role may rename it), and what a page may change of
# it with CREATEROLE (on PostgreSQL 15 and older) or as a superuser: NOCREATEDB, a CONNECTION
# LIMIT or a VALID UNTIL in the past outlived the run, and every later run failed.
ROLE = (
    "SELECT oid, rolname, rolcreaterole OR rolsuper, rolsuper, rolinherit, rolcreaterole,"
    " rolcreatedb, rolcanlogin, rolreplication, rolbypassrls, rolconnlimit, CASE WHEN"
    " pg_catalog.isfinite(rolvaliduntil) THEN pg_catalog.to_char(rolvaliduntil AT TIME ZONE"
    " 'UTC', 'YYYY-MM-DD HH24:MI:SS.US+00') ELSE rolvaliduntil::text END,"
    " pg_catalog.shobj_description(oid, 'pg_authid') FROM pg_catalog.pg_roles WHERE oid ="
    " coalesce(%s::oid, (SELECT oid FROM pg_catalog.pg_roles"
    " WHERE rolname = coalesce(%s, current_user)))"
)
# ALTER ROLE's words for them, in that order: a flag's own, or NO and it.
ATTRIBUTES = (
    "SUPERUSER",
    "INHERIT",
    "CREATEROLE",
    "CREATEDB",
    "LOGIN",
    "REPLICATION",
    "BYPASSRLS",
    "CONNECTION LIMIT",
    "VALID UNTIL",
)
# Every role, when the pages' may make and drop them (CREATEROLE, on a user's server),
# whatever its name: one named as the harness's tests name theirs went unnamed.
ROLES = "SELECT oid, rolname FROM pg_catalog.pg_roles"
# The role's, and each database's own for every role (ALTER DATABASE ... SET: a page made
# the user's own database read-only, and every later run failed there), by oid.
SETTINGS = (
    "SELECT s.setrole = 0, nullif(s.setdatabase, 0), s.setconfig"
    " FROM pg_catalog.pg_db_role_setting s WHERE s.setrole = %s OR s.setrole = 0"
)
# The roles whose databases the role may change as their owner: its own, and those of the
# roles it is a member of (a team's group role); not pg_database_owner, whose members are
# the connected database's owners.
OWNERS = (
    "SELECT oid, rolname FROM pg_catalog.pg_roles WHERE pg_catalog.pg_has_role(%s, oid, 'MEMBER')"
    " AND rolname <> 'pg_database_owner'"
)
# What an owner may change of a database that locks its users out (ALLOW_CONNECTIONS false,
# CONNECTION LIMIT 0, its CONNECT revoked) or hands it to every role (IS_TEMPLATE true).
DATABASES = (
    "SELECT oid, datname, datdba, datallowconn, datconnlimit, datistemplate,"
    " ARRAY(SELECT ARRAY[CASE grantee WHEN 0 THEN '' ELSE pg_catalog.pg_get_userbyid(grantee)"
    " END, privilege_type, is_grantable::text] FROM"
    " pg_catalog.aclexplode(coalesce(datacl, pg_catalog.acldefault('d', datdba)))"
    " ORDER BY 1), pg_catalog.shobj_description(oid, 'pg_database')"
    " FROM pg_catalog.pg_database"
)

# What the role owns or was granted in each database (pg_shdepend: shared, read from any),
# summed: a page may make objects outside its scratch database, in template1 (which every
# database made later copies: its ALTER DEFAULT PRIVILEGES ... TO PUBLIC reached the user's
# next database) or in the user's own.
OBJECTS = (
    "SELECT dbid, count(*), sum(objid::int8 + objsubid) FROM pg_catalog.pg_shdepend"
    " WHERE refclassid = 'pg_catalog.pg_authid'::pg_catalog.regclass AND refobjid = %s"
    " AND dbid <> 0 GROUP BY dbid"
)

# Transactions the role prepared (PREPARE TRANSACTION, on a server that allows them), or a
# role it is a member of: they outlive the page, hold their locks, and hold back every
# vacuum of the server.
PREPARED = (
    "SELECT gid, database FROM pg_catalog.pg_prepared_xacts"
    " WHERE owner = ANY(%s::pg_catalog.name[])"
)


# A page's sessions outlive its processes while they run a statement (the server learns of
# a closed connection only when it next reads from it): `SELECT pg_sleep(3600)` in a
# background psql held a connection slot, and a lock, after the page. On the harness's own
# server, where the role is the pages', each is ended at the page's end.
ROLE_SESSIONS_ENDED = (
    "SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity"
    " WHERE usename = %s AND pid <> pg_catalog.pg_backend_pid()"
)


@dataclass(frozen=True)
class Database:
    name: str
    owner: int
    allow_connections: bool
    connection_limit: int
    is_template: bool
    # (grantee, "": PUBLIC; privilege, as GRANT names it; with grant option), read with
    # aclexplode: an aclitem's text does not quote a role named `a=b`
    acl: tuple[tuple[str, str, bool], ...]
    comment: str | None  # COMMENT ON DATABASE

    def same_but_name(self, other: Database) -> bool:
        return dataclasses.replace(self, name=other.name) == other


@dataclass(frozen=True)
class State:
    """What the pages' role could change, as read at one moment."""

    role: str
    oid: int
    version: int  # server_version_num
    # (the database's own, database's oid (None: all), name): value
    settings: dict[tuple[bool, int | None, str], str]
    databases: dict[int, Database]  # by oid: a renamed one is the same database
    # (gid, database) outside scratch databases (a page's is rolled back as its is dropped)
    prepared: frozenset[tuple[str, str]]
    roles: dict[int, str]  # by oid, if the role may make roles; else empty
    owners: dict[int, str]  # OWNERS, by oid
    attributes: tuple  # the role's, in ATTRIBUTES' order
    comment: str | None  # COMMENT ON ROLE
    objects: dict[int, tuple[int, int]]  # OBJECTS, by the database's oid

    @property
    def owned(self) -> dict[int, Database]:
        """The databases the role may change as their owner."""
        return {oid: db for oid, db in self.databases.items() if db.owner in self.owners}


def read(admin_url: str, role: str | None) -> State:
    """The state of `role` (None: the admin URL's own) and of the server's databases."""
    with _connection([admin_url], 0) as cursor:
        return _read(cursor, role)


def restore(
    admin_url: str,
    before: State,
    ours: Callable[[int], bool],
    own_server: bool,
    held: Held | None = None,
    elsewhere: Sequence[str] = (),
) -> list[str]:
    """Put back what changed since `before`; what was left, each said as a phrase (empty:
    nothing). A database the role made since, unless `ours(oid)` says the harness made it,
    is dropped on the harness's own server (`own_server`); on a user's server it is only
    named, as the user may have made it meanwhile. Over `held`, if it still answers: a
    page may have locked the URL's database to new connections (ALLOW_CONNECTIONS false);
    else over a new connection to the admin URL, or to the first of the `elsewhere` URLs
    (the same server, other databases) that lets one in. Raises driver.Error if the server
    cannot be asked."""
    alive = held is not None and held.answers()
    urls = [admin_url, *elsewhere]
    with held.cursor() if alive else _connection(urls, before.version) as cursor:
        cursor.execute(f"SET lock_timeout = '{LOCK_WAIT}s'")
        if own_server:  # the role is the pages' alone
            cursor.execute(ROLE_SESSIONS_ENDED, (before.role,))
        try:
            now = _read(cursor, before.oid)
        except RoleGone:
            return [f"the role {_name(before.role)} dropped: nothing could be put back"]
        said = _reset_role(cursor, before, now)  # its name first: the statements below use it
        roles = _roles(cursor, before, now)  # next: the grants and owners below name them
        said += _rename_back(cursor, before, now)
        after = _read(cursor, before.oid)
        said += _reset_databases(cursor, before, after)
        said += _reset_settings(cursor, before, after)
        said += _made_or_dropped(cursor, before, after, ours, own_server)
        said += _prepared(before, after) + roles + _memberships(before, after)
        return said + _objects(before, after)


INVALID_PASSWORD = "28P01"
# Seconds the restore waits for each lock: one a page's session still holds (on a user's
# server, where they are not ended) is held for as long as it likes.
LOCK_WAIT = 5
LOCK_NOT_AVAILABLE = "55P03"
UNTRIED = "not tried: a lock held elsewhere"


class Held:
    """A connection opened before a page, as its role, held across it: it may still set
    back what locks the role out (its password, its URL's database, on a user's server)."""

    def __init__(self, admin_url: str, before: State) -> None:
        self.url, self.role = admin_url, before.role
        self.connection = postgres.guarded(admin_url, before.version, WRITES)

    def refused_password(self) -> bool:
        """Whether a new connection is refused for its password (a page changed it), not
        for another reason (its database renamed, the server's slots full, the role
        renamed by another: its old name is refused as a password would be)."""
        with contextlib.suppress(driver.Error), self.cursor() as cursor:
            cursor.execute("SELECT session_user")  # the role's name now
            if cursor.fetchone()[0] != self.role:
                return False
        try:
            driver.connect(self.url).close()
        except driver.Error as error:
            said = driver.sqlstate(error) == INVALID_PASSWORD
            return said or "password authentication failed" in str(error)
        return False

    def set_password(self, password: str) -> None:
        stored = driver.encrypted_password(self.connection, password, self.role)
        with contextlib.closing(self.connection.cursor()) as cursor:
            statement = sql.SQL("ALTER ROLE {} PASSWORD {}")
            cursor.execute(statement.format(sql.Identifier(self.role), sql.Literal(stored)))

    def answers(self) -> bool:
        """Whether it is still open (a page may end its role's sessions)."""
        try:
            with contextlib.closing(self.connection.cursor()) as cursor:
                cursor.execute("SELECT 1")
        except driver.Error:
            return False
        return True

    def cursor(self):  # noqa: ANN201 - either driver's cursor, closed after
        return contextlib.closing(self.connection.cursor())

    def close(self) -> None:
        self.connection.close()


class RoleGone(LookupError):
    """The role watched is no longer there (another role dropped it)."""


def _read(cursor, role: str | int | None) -> State:
    """The state of `role`: by name (None: the connection's own), or by oid."""
    cursor.execute("SELECT current_setting('server_version_num')::int")
    (version,) = cursor.fetchone()
    by_oid = isinstance(role, int)
    cursor.execute(ROLE, (role if by_oid else None, None if by_oid else role))
    if (row := cursor.fetchone()) is None:
        raise RoleGone(role)
    oid, name, creates_roles, *attributes, comment = row
    cursor.execute(SETTINGS, (oid,))
    settings = {
        (own, database, key): value
        for own, database, config in cursor.fetchall()
        for key, _, value in (entry.partition("=") for entry in config or [])
    }
    cursor.execute(DATABASES)
    databases = {
        row[0]: Database(*row[1:6], tuple((g, p, o == "true") for g, p, o in row[6]), row[7])
        for row in cursor.fetchall()
    }
    cursor.execute(OWNERS, (oid,))
    owners = dict(cursor.fetchall())
    cursor.execute(PREPARED, (list(owners.values()),))  # as a group it may SET ROLE to, too
    prepared = frozenset(row for row in cursor.fetchall() if not postgres.is_scratch_name(row[1]))
    roles = {}
    if creates_roles:
        cursor.execute(ROLES)
        roles = dict(cursor.fetchall())
    cursor.execute(OBJECTS, (oid,))
    objects = {dbid: (count, total) for dbid, count, total in cursor.fetchall()}
    return State(
        name,
        oid,
        version,
        settings,
        databases,
        prepared,
        roles,
        owners,
        tuple(attributes),
        comment,
        objects,
    )


def _reset_role(cursor, before: State, now: State) -> list[str]:
    """The role's name, attributes and comment as they were (another role may have renamed
    it: a role cannot rename itself, the held session's included, so it is only named)."""
    said = []
    if now.role != before.role:
        what = f"the role {_name(before.role)} renamed to {_name(now.role)}"
        rename = sql.SQL("ALTER ROLE {} RENAME TO {}")
        try:
            cursor.execute(rename.format(sql.Identifier(now.role), sql.Identifier(before.role)))
            said.append(f"{what}, renamed back")
            now = dataclasses.replace(now, role=before.role)
        except driver.Error as error:
            said.append(f"{what}, not renamed back ({_first_line(error)})")
    changed = [i for i, was in enumerate(before.attributes) if now.attributes[i] != was]
    statements = []
    if changed:
        clauses = [_attribute(i, before.attributes[i]) for i in changed]
        statements.append(sql.SQL("ALTER ROLE {} WITH ").format(sql.Identifier(now.role)))
        statements[-1] += sql.SQL(" ").join(clauses)
    if now.comment != before.comment:
        comment = sql.Literal(before.comment) if before.comment is not None else sql.SQL("NULL")
        statements.append(
            sql.SQL("COMMENT ON ROLE {} IS {}").format(sql.Identifier(now.role), comment)
        )
    if not statements:
        return said
    did = [_said(i, now.attributes[i]) for i in changed]
    did += ["COMMENT ON ROLE"] if now.comment != before.comment else []
    what = f"the role {_name(now.role)} changed (ALTER ROLE ... {', '.join(did)})"
    error = _all_or_none(cursor, statements)
    return [*said, f"{what}, not set back ({_first_line(error)})" if error else f"{what}, set back"]


def _all_or_none(cursor, statements: list) -> driver.Error | None:
    """Run `statements` in one transaction; if one fails, none is kept, and its error is
    returned."""
    try:
        cursor.execute("BEGIN")
        for statement in statements:
            cursor.execute(statement)
        cursor.execute("COMMIT")
    except driver.Error as error:
        cursor.execute("ROLLBACK")
        return error
    return None


def _locked(error: driver.Error) -> bool:
    """Whether `error` is a lock held elsewhere for longer than LOCK_WAIT: a page's session
    that still holds it holds the next too, so the rest are not tried."""
    return driver.sqlstate(error) == LOCK_NOT_AVAILABLE


def _attribute(index: int, value: object):
    """ALTER ROLE's clause for ATTRIBUTES[index] at `value`."""
    word = ATTRIBUTES[index]
    if isinstance(value, bool):
        return sql.SQL(word if value else f"NO{word}")
    return sql.SQL("{} {}").format(sql.SQL(word), sql.Literal(_valid(word, value)))


def _said(index: int, value: object) -> str:
    """That clause as a line names it."""
    word = ATTRIBUTES[index]
    if isinstance(value, bool):
        return word if value else f"NO{word}"
    return f"{word} {_name(str(_valid(word, value)))}"


def _valid(word: str, value: object) -> object:
    """No VALID UNTIL is no end, which ALTER ROLE calls infinity."""
    return value or "infinity" if word == "VALID UNTIL" else value


def _rename_back(cursor, before: State, after: State) -> list[str]:
    """Each database of the role's a page renamed, named as it was again (the harness took
    a renamed database of the user's for one the page made, and dropped it)."""
    moved = [
        (was.name, after.databases[oid].name)
        for oid, was in before.owned.items()
        if oid in after.databases and after.databases[oid].name != was.name
    ]
    return _renamed_back(cursor, "DATABASE", moved)


def _renamed_back(cursor, kind: str, moved: list[tuple[str, str]]) -> list[str]:
    """Each `kind` (DATABASE, ROLE) in `moved` (was, now) named as it was again, in turns:
    one may hold the name another had (a chain; two that swapped names stay swapped, said)."""
    said, failed, locked = [], {}, False
    while moved:
        for was, now in moved:
            what = f"a {kind.lower()} {_name(was)} renamed to {_name(now)}"
            rename = sql.SQL(f"ALTER {kind} {{}} RENAME TO {{}}")
            try:
                if locked:  # so would it be
                    failed[was, now] = f"{what}, not renamed back ({UNTRIED})"
                    continue
                cursor.execute(rename.format(sql.Identifier(now), sql.Identifier(was)))
                said.append(f"{what}, renamed back")
            except driver.Error as error:
                failed[was, now] = f"{what}, not renamed back ({_first_line(error)})"
                locked = _locked(error)
        if len(failed) == len(moved) or locked:
            break
        moved, failed = list(failed), {}
    return said + list(failed.values())


def _reset_databases(cursor, before: State, after: State) -> list[str]:
    """What a page changed of the role's databases that locks users out or hands them to
    every role (ALTER DATABASE ... ALLOW_CONNECTIONS, CONNECTION LIMIT, IS_TEMPLATE; GRANT,
    REVOKE), set back, each database at once or not at all, under the name it has now."""
    said, locked = [], False  # a lock held elsewhere: each next one not tried
    for oid, was in before.owned.items():
        now = after.databases.get(oid)
        if now is None or now.same_but_name(was) or postgres.is_scratch_name(was.name):
            continue
        name = sql.Identifier(now.name)
        statements = []
        if now.owner != was.owner:  # handed to another role (ALTER DATABASE ... OWNER TO)
            owner = sql.Identifier(before.owners[was.owner])
            statements.append(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(name, owner))
        statements += [
            sql.SQL(
                "ALTER DATABASE {} WITH ALLOW_CONNECTIONS {} CONNECTION LIMIT {} IS_TEMPLATE {}"
            ).format(
                name,
                sql.Literal(was.allow_connections),
                sql.Literal(was.connection_limit),
                sql.Literal(was.is_template),
            )
        ]
        if now.acl != was.acl:
            statements += _acl_back(name, was.acl, now.acl)
        if now.comment != was.comment:
            comment = sql.Literal(was.comment) if was.comment is not None else sql.SQL("NULL")
            statements.append(sql.SQL("COMMENT ON DATABASE {} IS {}").format(name, comment))
        error = _all_or_none(cursor, statements) if not locked else None
        if locked or error:
            why = UNTRIED if locked else _first_line(error)
            said.append(f"the database {_name(now.name)} changed, not set back ({why})")
            locked = locked or _locked(error)
        else:
            said.append(f"the database {_name(now.name)} changed (ALTER DATABASE...), set back")
    return said


def _acl_back(name, was: tuple, now: tuple) -> list:
    """REVOKE and GRANT statements that make a database's privileges `was` again: each
    grantee's revoked, then granted what it had."""
    grantees = sorted({grantee for grantee, _, _ in was + now})
    statements = [
        sql.SQL("REVOKE ALL ON DATABASE {} FROM {}").format(name, _grantee(grantee))
        for grantee in grantees
    ]
    for grantee, privilege, grantable in was:
        option = sql.SQL(" WITH GRANT OPTION" if grantable else "")
        grant = sql.SQL("GRANT {} ON DATABASE {} TO {}")
        privilege = sql.SQL(PRIVILEGES[privilege])  # KeyError: none a database has
        statements.append(grant.format(privilege, name, _grantee(grantee)) + option)
    return statements


PRIVILEGES = {name: name for name in ("CREATE", "TEMPORARY", "CONNECT")}  # a database's


def _grantee(grantee: str):
    """A grantee as SQL ("": PUBLIC)."""
    return sql.Identifier(grantee) if grantee else sql.SQL("PUBLIC")


def _reset_settings(cursor, before: State, after: State) -> list[str]:
    """Each setting of the role that differs from `before` set back (or reset)."""
    done, failed = [], []
    for key in sorted(before.settings.keys() | after.settings.keys(), key=_order):
        own, oid, name = key
        old, new = before.settings.get(key), after.settings.get(key)
        if old == new or oid is not None and oid not in after.databases:
            continue  # the same, or its database is gone (with its settings)
        if own and (oid not in before.owned or postgres.is_scratch_name(before.owned[oid].name)):
            continue  # another role's database, one made since, or a scratch one
        database = after.databases[oid].name if oid is not None else None
        if own:
            statement = sql.SQL("ALTER DATABASE {}").format(sql.Identifier(database))
            what = f"ALTER DATABASE {_name(database)} "
        else:
            statement = sql.SQL("ALTER ROLE {}").format(sql.Identifier(after.role))
            what = "ALTER ROLE ... "
        if database is not None and not own:
            statement += sql.SQL(" IN DATABASE {}").format(sql.Identifier(database))
            what += f"IN DATABASE {_name(database)} "
        what += f"{'RESET' if new is None else 'SET'} {_name(name)}"  # what the page did
        if old is None:
            statement += sql.SQL(" RESET {}").format(sql.Identifier(name))
        else:
            statement += sql.SQL(" SET {} = {}").format(sql.Identifier(name), _values(name, old))
        try:
            cursor.execute(statement)
            done.append(what)
        except driver.Error as error:
            failed.append(f"{what}: {_first_line(error)}")
            if _locked(error):
                failed.append("the rest not tried")
                break
    whose = f"the role {_name(after.role)}'s settings"
    if any(what.startswith("ALTER DATABASE") for what in done + failed):
        whose = "settings"  # its databases' too
    said = [f"{whose} changed ({', '.join(done)}), reset"] if done else []
    if failed:
        said.append(f"{whose} changed, not reset ({'; '.join(failed)})")
    return said


def _order(key: tuple[bool, int | None, str]) -> tuple:
    """The role's settings for every database first, then per database; then databases'."""
    own, oid, name = key
    return own, oid is not None, oid or 0, name


def _made_or_dropped(
    cursor, before: State, after: State, ours: Callable[[int], bool], own_server: bool
) -> list[str]:
    """Each database of the role that appeared since `before` and that the harness did not
    make (`ours`, by oid: a page may rename it), dropped on the harness's own server, else
    named; and each that is gone, named: it cannot be put back."""
    made = [
        (db.name, oid)
        for oid, db in after.owned.items()
        if oid not in before.databases and not ours(oid)
    ]
    if not own_server:  # scratch-named ones may be other runs'
        made = [(name, oid) for name, oid in made if not postgres.is_scratch_name(name)]
    dropped, kept, failed = [], [], []
    for name, _ in sorted(made):
        if not own_server:
            kept.append(_name(name))
            continue
        try:
            postgres.drop_with(cursor, name)
            dropped.append(_name(name))
        except driver.Error as error:
            failed.append(f"{_name(name)}: {_first_line(error)}")
    gone = [
        _name(db.name)
        for oid, db in before.owned.items()
        if oid not in after.databases and not postgres.is_scratch_name(db.name)
    ]
    said = []
    if dropped:
        are = "a database" if len(dropped) == 1 else "databases"
        said.append(f"{are} {', '.join(dropped)} it made, dropped")
    if kept:
        said.append(
            f"databases made as this role while it ran ({', '.join(kept)}), kept: on your"
            " server they may be yours; drop those that are the page's"
        )
    if failed:
        said.append(f"databases it made, not dropped ({'; '.join(failed)})")
    if gone:
        said.append(f"databases dropped ({', '.join(sorted(gone))}): they cannot be put back")
    return said


def _prepared(before: State, after: State) -> list[str]:
    """Transactions the role prepared since `before`, named: as a database it made, one may
    be the user's, made meanwhile as the same role."""
    made = sorted(after.prepared - before.prepared)
    if not made:
        return []
    each = ", ".join(f"{_name(gid)} in {_name(database)}" for gid, database in made)
    return [
        f"transactions prepared as this role while it ran ({each}), kept: on your server they"
        " may be yours; ROLLBACK PREPARED those that are the page's"
    ]


def _memberships(before: State, after: State) -> list[str]:
    """The roles whose rights the role gained or lost (GRANT pg_read_all_data TO
    CURRENT_USER, with CREATEROLE), named: on a user's server the user may have granted
    them meanwhile. Not those it made or dropped (its own member since PostgreSQL 16),
    named as such."""
    made = after.roles.keys() - before.roles.keys()
    dropped = before.roles.keys() - after.roles.keys()
    said = []
    if gained := sorted(
        _name(after.owners[oid]) for oid in after.owners.keys() - before.owners.keys() - made
    ):
        said.append(
            f"roles granted to this role while it ran ({', '.join(gained)}), kept: on your"
            " server they may be yours; revoke those that are the page's"
        )
    if lost := sorted(
        _name(before.owners[oid]) for oid in before.owners.keys() - after.owners.keys() - dropped
    ):
        said.append(f"roles revoked from this role while it ran ({', '.join(lost)})")
    return said


def _objects(before: State, after: State) -> list[str]:
    """The databases (there before, not scratch ones) where objects of the role's were
    made, dropped, handed over or granted to it, named: they may be the user's."""
    changed = sorted(
        after.databases[oid].name
        for oid, db in before.databases.items()
        if oid in after.databases
        and not postgres.is_scratch_name(db.name)
        and before.objects.get(oid) != after.objects.get(oid)
    )
    if not changed:
        return []
    said = (
        f"objects of this role's made, dropped or granted in {', '.join(map(_name, changed))}"
        " while it ran, kept: on your server they may be yours"
    )
    if "template1" in changed:
        said += "; every database made from template1 copies its"
    return [said]


def _roles(cursor, before: State, after: State) -> list[str]:
    """What a role that may make roles (CREATEROLE) did to others: each it renamed is named
    as it was again; each it made is named, not dropped (the user may have made it
    meanwhile, on their server); each it dropped is named: it cannot be put back."""
    moved = [
        (was, after.roles[oid])
        for oid, was in sorted(before.roles.items())
        if after.roles.get(oid, was) != was
    ]
    said = _renamed_back(cursor, "ROLE", moved)
    if made := sorted(_name(name) for oid, name in after.roles.items() if oid not in before.roles):
        said.append(
            f"roles made while it ran ({', '.join(made)}), kept: on your server they may be"
            " yours; drop those that are the page's"
        )
    if after.roles or not before.roles:  # else the role can no longer make roles: unknown
        gone = sorted(_name(name) for oid, name in before.roles.items() if oid not in after.roles)
        if gone:
            said.append(f"roles dropped ({', '.join(gone)}): they cannot be put back")
    return said


def _values(name: str, stored: str):
    """The stored value as ALTER ROLE ... SET takes it back (as pg_dump does)."""
    if name.lower() not in LIST_QUOTED:
        return sql.Literal(stored)
    return sql.SQL(", ").join(sql.Literal(item) for item in _split_names(stored))


def _split_names(stored: str) -> list[str]:
    """`"$user", public` as ['$user', 'public']: names, quoted where they need it."""
    names = re.findall(r'\s*("(?:[^"]|"")*"|[^,\s]+)\s*(?:,|$)', stored)
    return [n[1:-1].replace('""', '"') if n.startswith('"') else n for n in names]


@contextlib.contextmanager
def _connection(urls: Sequence[str], version: int) -> Iterator:
    """A cursor on the first of `urls` that lets one in (the first's error if none does)."""
    errors = []
    for url in urls:
        try:
            connection = postgres.guarded(url, version, WRITES)
            break
        except driver.Error as error:
            errors.append(error)
    else:
        raise errors[0]
    try:
        with contextlib.closing(connection.cursor()) as cursor:
            yield cursor
    finally:
        connection.close()


def _name(name: str) -> str:
    """A name a page chose, as one line shows it."""
    return name if re.fullmatch(r"[\w$.-]+", name) else repr(name)


def _first_line(error: Exception) -> str:
    said = str(error).strip()
    return said.splitlines()[0] if said else type(error).__name__
