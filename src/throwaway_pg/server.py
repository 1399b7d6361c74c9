"""Where the tests' databases come from: a user's server, or a throwaway one.

An existing server can be named (in pytest: `--postgres-url` or the `postgres_url` ini
setting; else, and outside pytest, `THROWAWAY_PG_URL`): scratch databases are created and
dropped on it. Without one, a private server is started and removed. `DATABASE_URL` is not
the harness's: what the tests run (an app, a tutorial a reader follows) gets it, so it is
never read to choose a server, and a developer's own DATABASE_URL cannot move the tests
onto their database.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import SplitResult, unquote, unquote_to_bytes, urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from throwaway_pg import driver, leftovers, postgres
from throwaway_pg.driver import sql
from throwaway_pg.postgres import PostgresError

URL_VARIABLE = "THROWAWAY_PG_URL"
PASSFILE_VARIABLE = "PGPASSFILE"  # libpq's: where it looks for a password a URL lacks
# The scratch databases this process made, name: oid. On its own server, a page's database
# under a name of theirs is told from them (it was kept, and reached later pages); each is
# dropped by its oid, wherever a page renamed it (a page that gave the user's database a
# scratch database's name had the harness drop it).
MADE: dict[str, int] = {}
DROP_TRIES = 3
CONNECT_TIMEOUT = 10  # seconds to wait for a user's server before saying it does not answer
MAY_CREATE = (
    "SELECT current_user, rolcreatedb OR rolsuper, rolsuper FROM pg_roles"
    " WHERE rolname = current_user"
)


def libpq_variable(name: str) -> bool:
    """Whether libpq may read `name` from the environment to choose or change a connection
    (PGHOST, PGHOSTADDR, PGPORT, PGSERVICE, PGOPTIONS, PGPASSWORD...): the URL alone says
    where the harness and the pages connect. PGPASSFILE stays: where a password for the
    URL may be."""
    return name.startswith("PG") and name != PASSFILE_VARIABLE


def forget_libpq_variables() -> list[str]:
    """Remove libpq's variables from this process's environment; returns their names. A
    developer's PGHOSTADDR took the harness's connections, password and all, elsewhere."""
    names = sorted(name for name in os.environ if libpq_variable(name))
    for name in names:
        del os.environ[name]
    return names


def libpq_url(url: str) -> str:
    """The URL as psql and the drivers take it (no SQLAlchemy driver suffix), else as written.
    Raises ValueError, saying why, on anything but a PostgreSQL URL."""
    try:
        backend = make_url(url).get_backend_name()
    except ArgumentError:
        raise ValueError("not a database URL") from None
    except ValueError:  # the only number in a URL
        raise ValueError("its port is not a number") from None
    if backend not in ("postgresql", "postgres"):  # libpq takes both
        raise ValueError(f"a {backend} URL, not PostgreSQL")
    try:  # the driver decodes each part as UTF-8: %FF was a traceback, password and all
        unquote_to_bytes(url).decode()
    except UnicodeDecodeError:
        raise ValueError("a percent-encoded byte in it is not UTF-8") from None
    return "postgresql://" + url.split("://", 1)[1]


def sqlalchemy_url(url: str) -> str:
    """The URL with the harness's driver named (SQLAlchemy 2.0 and 2.1 differ on a bare
    postgresql://: psycopg2 and psycopg 3)."""
    return (
        make_url(url)
        .set(drivername=f"postgresql+{driver.NAME}")
        .render_as_string(hide_password=False)
    )


def with_database(url: str, name: str) -> str:
    """The same URL with another database name; the rest stays as the user wrote it."""
    return _joined(urlsplit(url)._replace(path=f"/{name}"))


def as_role(url: str, role: str) -> str:
    """A throwaway server's URL (a socket: no host, no password) for another role."""
    return _joined(urlsplit(url)._replace(netloc=f"{role}@"))


def _joined(parts: SplitResult) -> str:
    """`parts` as a URL, `//` kept with no host (libpq's postgresql:///db?host=/sock), which
    urllib drops for a scheme it does not know."""
    query = f"?{parts.query}" if parts.query else ""
    return f"{parts.scheme}://{parts.netloc}{parts.path}{query}"


def _secret(key: str) -> bool:
    """Whether a URL parameter holds a secret: `password`, a key's `sslpassword`,
    libpq 18's `oauth_client_secret`, whatever their case."""
    return "password" in key.lower() or "secret" in key.lower()


def shown(url: str) -> str:
    """The URL as messages show it: without its password (in the URL or as a parameter)
    or any other secret a parameter holds; nothing of a user part not read as meant (a raw
    `@` in a password: SQLAlchemy would show its tail as the host)."""
    if _unreadable(url):
        scheme, _, rest = url.partition("://")
        return shown(f"{scheme}://***@{rest.rsplit('@', 1)[1]}")
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return "(not a database URL)"
    hidden = {key: "***" for key in parsed.query if _secret(key)}
    if parsed.password is None and not hidden:
        return url  # as written
    parsed = parsed.update_query_dict(hidden)
    return parsed.render_as_string(hide_password=True).replace("=%2A%2A%2A", "=***")


@dataclass
class Passfile:
    """A user's server's password, moved out of its URL into a file of its own that libpq
    reads ($PGPASSFILE): no URL the harness hands out holds it, so no traceback, locals
    dump, log or report can print it. Removed at the end, or by the next run's sweep."""

    directory: Path
    lock: int
    before: str | None  # the PGPASSFILE this process had, put back at the end

    @property
    def path(self) -> Path:
        return self.directory / "pgpass"

    @classmethod
    def taking(cls, url: str) -> tuple[str, Passfile | None]:
        """`url` without its password, and the file that holds it now (None: it had none).
        Raises OSError (a full disk, no file descriptor left) having left nothing behind."""
        passwords = _passwords(url)
        if not passwords:
            return url, None
        url = _without_password(url)
        return url, cls.holding(url, passwords[0])

    @classmethod
    def holding(cls, url: str, password: str) -> Passfile:
        """A file of its own for `password`, the one of `url`'s user, that libpq reads from
        now on. Raises OSError having left nothing behind."""
        directory, lock = postgres.owned_directory("pass-")
        passfile = cls(directory, lock, os.environ.get(PASSFILE_VARIABLE))
        user = _field(make_url(url).username or "*")
        try:
            fd = os.open(
                passfile.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600
            )  # as libpq insists
            with os.fdopen(fd, "w") as file:
                file.write(f"*:*:*:{user}:{_field(password)}\n")
        except BaseException:
            passfile.remove()
            raise
        os.environ[PASSFILE_VARIABLE] = str(passfile.path)
        return passfile

    def password(self) -> str:
        """The password the file holds."""
        return _fields(self.path.read_text().rstrip("\n"))[-1]

    def remove(self) -> None:
        if os.environ.get(PASSFILE_VARIABLE, "").startswith(f"{self.directory}/"):
            if self.before is None:
                del os.environ[PASSFILE_VARIABLE]
            else:
                os.environ[PASSFILE_VARIABLE] = self.before
        shutil.rmtree(self.directory, ignore_errors=True)
        os.close(self.lock)


def _field(value: str) -> str:
    """A value as a password file holds it: `:` and `\\` escaped."""
    return value.replace("\\", "\\\\").replace(":", "\\:")


def _fields(line: str) -> list[str]:
    """A password file's line, split at its colons, each field unescaped."""
    fields, field, chars = [], "", iter(line)
    for char in chars:
        if char == ":":
            fields, field = [*fields, field], ""
        else:
            field += next(chars, "") if char == "\\" else char
    return [*fields, field]


def _passwords(url: str) -> list[str]:
    """The passwords the URL gives, before its host and as `password=` parameters (whose
    name may be percent-encoded): libpq reads the last, SQLAlchemy the first."""
    before_host = make_url(url).password
    query = _query(urlsplit(url).query)
    given = [value for key, value in query if key == "password"]
    return given if before_host is None else [before_host, *given]


def holds_secret(url: str) -> bool:
    """Whether `url` holds a password or another secret (`sslpassword=`), even where it is
    no URL that parses: read as `_unreadable` reads a user part, up to the last @, and its
    query to the end, as libpq reads it (`#` ends nothing there)."""
    rest = url.split("://", 1)[-1]
    user_part = rest.rsplit("@", 1)[0] if "@" in rest else ""
    query = _query(rest.partition("?")[2])
    return ":" in user_part or any(_secret(key) for key, _ in query)


def _without_password(url: str) -> str:
    """The URL as written, less its password (before the host, or as a parameter)."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:  # one only: open_server refuses a raw @ in a password
        userinfo, host = netloc.split("@", 1)
        netloc = f"{userinfo.split(':', 1)[0]}@{host}"
    query = "&".join(p for p in parts.query.split("&") if p and _key(p) != "password")
    return _joined(parts._replace(netloc=netloc, query=query))


def _query(query: str) -> list[tuple[str, str]]:
    """A URL's query as libpq reads it: percent-decoded, a `+` left a `+` (urllib reads a
    form's `+` as a space, and a password `pl+us` went to the password file wrong)."""
    pairs = (part.partition("=") for part in query.split("&") if part)
    return [(unquote(key), unquote(value)) for key, _, value in pairs]


def _key(parameter: str) -> str:
    """A query parameter's name as libpq reads it (`pass%77ord=` is `password=`)."""
    return unquote(parameter.split("=", 1)[0])


class LeftOnServer(PostgresError):
    """What was left on the server, undone: `the role scratch's settings changed (ALTER
    ROLE ... SET DateStyle), reset; a database stash it made, dropped`."""


@dataclass
class Server:
    """A server on which scratch databases can be made; `close()` stops it if it is ours."""

    admin_url: str
    cluster: postgres.Cluster | None = None
    owner: str | None = None  # the role scratch databases belong to; None: the admin's
    passfile: Passfile | None = None  # a user's server's password, if its URL had one
    superuser: bool = False  # a user's server's role is: its pages may change anything

    @property
    def owner_url(self) -> str:
        """The server as the role that owns scratch databases sees it: what another run in
        this process given this server (as a user's) uses."""
        return as_role(self.admin_url, self.owner) if self.owner else self.admin_url

    def shared_url(self) -> str:
        """The server as a run in another process is given it (tools/mutate.py's): a user's
        server's own URL; for a throwaway one of ours, which lets in this process's pages
        alone as the owner of scratch databases, a role of its own with a password and
        leave to create databases, as a team's server gives a developer (a new one at each
        call: give each run its own), and its socket's folder open to all (the password is
        what counts then). The URL holds the password: hand it over in an environment,
        never on a command line."""
        if self.cluster is None:
            return self.owner_url
        role, password = postgres.scratch_name("shared"), secrets.token_urlsafe(16)
        with postgres.admin_connection(self.admin_url) as conn, conn.cursor() as cur:
            query = sql.SQL("CREATE ROLE {} LOGIN CREATEDB PASSWORD {}")
            cur.execute(query.format(sql.Identifier(role), sql.Literal(password)))
        self.cluster.socket_dir.chmod(0o711)
        return self.cluster.url(user=f"{role}:{password}")

    @property
    def description(self) -> str:
        if self.cluster:
            return f"throwaway PostgreSQL in {self.cluster.path}"
        return f"PostgreSQL at {shown(self.admin_url)}"

    def create_database(self, template: str | None = None) -> str:
        """A scratch database's URL: a copy of `template`, else of template0, which no role
        may change (a page may change a user's template1, which a copy would take on)."""
        name, template = postgres.scratch_name(), template or "template0"
        try:
            MADE[name] = postgres.create_database(self.admin_url, name, template, self.owner)
        except driver.Error as error:  # a server that only reads (a standby), or is gone
            raise PostgresError(
                f"cannot make a scratch database on {self.description}: {_first_line(error)}"
            ) from None
        url = with_database(self.admin_url, name)
        return as_role(url, self.owner) if self.owner else url

    def drop_database(self, url: str) -> None:
        """Drop the database this process made for `url`, by its oid: under whatever name
        it has now, and nothing if it is gone."""
        name = scratch = make_url(url).database
        if (oid := MADE.pop(name, None)) is None:
            postgres.drop_database(self.admin_url, name)
            return
        # By name, after its name is read by its oid: a session of a page's (on a user's
        # server, not ended) may rename it meanwhile, and give its name to a database of
        # the user's, which the DROP then takes.
        others = postgres.databases(self.admin_url)
        for _ in range(DROP_TRIES):
            if (name := postgres.database_named(self.admin_url, oid)) is None:
                break
            postgres.drop_database(self.admin_url, name)
        now = postgres.databases(self.admin_url)
        if oid in now:
            raise PostgresError(
                f"cannot drop the scratch database {now[oid]}: renamed each time it was"
                " dropped (a session of a page's still runs)"
            )
        if moved := _moved(others, now, oid):
            raise PostgresError(
                f"as the scratch database {scratch} was dropped, {moved} (a session of a page's"
                " still runs, renaming databases)"
            )

    @contextlib.contextmanager
    def database(self, template: str | None = None) -> Iterator[str]:
        """A fresh, empty database for one test or page; dropped afterwards (or one line
        saying why not: a server that crashed, a disk that filled, is named at the end)."""
        url = self.create_database(template)
        said: list[str] = []  # what ended the block, if it was ours to say (a page's leftovers)
        try:
            yield url
        except PostgresError as error:
            said.append(str(error))
            raise
        finally:
            try:
                self.drop_database(url)
            except PostgresError as error:
                raise PostgresError("; ".join([*said, str(error)])) from None
            except driver.Error as error:
                name = make_url(url).database
                said.append(f"cannot drop the scratch database {name}: {_first_line(error)}")
                raise PostgresError("; ".join(said)) from None

    @contextlib.contextmanager
    def watching(self) -> Iterator[None]:
        """What is done inside it, as the role that owns scratch databases, that outlives
        it (its session defaults, databases it made: see throwaway_pg.leftovers; on a
        user's server, the password its URL gave) is undone at its end, and named:
        LeftOnServer. Scratch databases made inside it are not named: the harness's, for
        the page or for others beside it."""
        try:
            before = leftovers.read(self.admin_url, self.owner)
            held = None if self.cluster else leftovers.Held(self.admin_url, before)
        except UNREADABLE as error:
            raise PostgresError(
                f"cannot read the role's settings and databases on {self.description}: "
                f"{_first_line(error)}"
            ) from None
        with contextlib.closing(held) if held else contextlib.nullcontext():
            try:
                yield
            except BaseException:  # still undone; what stopped it is what is said
                with contextlib.suppress(*UNREADABLE):
                    leftovers.restore(self.admin_url, before, *self._ours, held, self._fallbacks)
                self._password_back(held)
                raise
            # First over the held connection: the URL's database may be closed to new ones
            # (which would look like a password that no longer gets in); if the page ended
            # it, over one to a scratch database of ours.
            try:
                left = leftovers.restore(self.admin_url, before, *self._ours, held, self._fallbacks)
            except UNREADABLE as error:
                cannot = f"cannot undo what was left on {self.description}: {_first_line(error)}"
                raise PostgresError("; ".join([*self._password_back(held), cannot])) from None
            left = self._password_back(held) + left
        if left:
            raise LeftOnServer("; ".join(left))

    @property
    def _fallbacks(self) -> list[str]:
        """URLs of the scratch databases this process made here, as they were named, then
        of the databases every server has (a page may rename its own, or lock it)."""
        names = [*MADE, "postgres", "template1"]
        return [with_database(self.admin_url, name) for name in names]

    @property
    def _ours(self) -> tuple[Callable[[int], bool], bool]:
        """Whether a database (by oid) is one this process made (all the scratch databases
        on the harness's own server are: one server per process), and whether the server
        is the harness's own."""
        return (lambda oid: oid in MADE.values()), self.cluster is not None

    def _password_back(self, held: leftovers.Held | None) -> list[str]:
        """A page may change its role's password (ALTER ROLE CURRENT_USER PASSWORD), the
        user's own: if the URL's no longer gets in, the connection held since before the
        page sets it back. Read from the password file only then: no frame a page's
        failure passes through holds it. What was done, or could not be, as a phrase."""
        if held is None or not self.passfile or not held.refused_password():
            return []
        try:
            held.set_password(self.passfile.password())
        except driver.Error as error:
            return [
                f"the role's password no longer gets into {self.description}, and could not"
                f" be set back ({_first_line(error)}): a page changed it? Set it back with"
                " ALTER ROLE ... PASSWORD"
            ]
        return ["the role's password changed (ALTER ROLE ... PASSWORD), set back"]

    def close(self) -> Path | None:
        """Stop the server if it is ours; where its log was kept, if it had crashed."""
        if self.passfile:
            self.passfile.remove()
        return self.cluster.stop() if self.cluster else None


def configured_url() -> str | None:
    """The server the environment names (outside pytest, the only way to name one)."""
    return os.environ.get(URL_VARIABLE) or None


def open_server(url: str | None = None, source: str = URL_VARIABLE) -> Server:
    """The server `url` names (`source` says where it came from, for errors), else the one
    $THROWAWAY_PG_URL names, else a fresh throwaway one. libpq's variables are forgotten
    first: only the URL says where its connections, and the pages', go."""
    forget_libpq_variables()
    if url is None:
        url, source = configured_url(), URL_VARIABLE
    if url is None:
        cluster = postgres.start_cluster()
        return Server(cluster.url(), cluster, postgres.SCRATCH_ROLE)
    if unreadable := _unreadable(url):
        raise PostgresError(
            f"{source} has {unreadable} in its user or password: percent-encode it "
            f"({UNSAFE[unreadable]}), or the URL is read otherwise than meant"
        )
    if "#" in url.split("://", 1)[-1].rpartition("@")[2]:
        raise PostgresError(
            f"{source} has a # after its host: libpq reads it as part of the URL, Python's "
            "URL readers as its end, so the two would connect differently; remove it"
        )
    try:  # a ValueError's traceback would hold the URL, password and all, in its frames
        admin_url = libpq_url(url)
        elsewhere = _elsewhere(admin_url)
    except ValueError as reason:
        raise PostgresError(
            f"{source} is not a PostgreSQL URL ({reason}); expected "
            "postgresql://user:password@host:5432/dbname"
        ) from None
    if elsewhere:
        raise PostgresError(
            f"{source} names {elsewhere}: scratch databases are made beside the database "
            "its path names, and such a parameter would move them onto another; remove it"
        )
    keys = [key for key, _ in _query(urlsplit(admin_url).query)]
    if "user" in keys:  # libpq's wins, the password file holds the other's line
        raise PostgresError(
            f"{source} names its role in its query (`user=`): put it before the @, as in "
            "postgresql://user:password@host:5432/dbname"
        )
    # The password alone moves to a password file; libpq reads no other secret from one.
    if secret := next((key for key in keys if _secret(key) and key != "password"), None):
        raise PostgresError(
            f"{source} gives a secret (`{secret}=`), which every scratch URL would carry "
            "where a traceback or a page can print it: give the server a client key "
            "without a passphrase (mode 0600, `sslkey=`), or a password"
        )
    if len(_passwords(admin_url)) > 1:
        raise PostgresError(
            f"{source} gives a password twice (before the host and as `password=`, or "
            "`password=` twice), which libpq and SQLAlchemy read differently: keep one"
        )
    named = f"{shown(admin_url)} ({source})"  # `:***@` says a password was given
    # A traceback from here on would show `url`, password and all: what fails (the disk,
    # the server) fails in one line, and takes the password file with it.
    try:
        admin_url, passfile = Passfile.taking(admin_url)
    except OSError as error:  # a full disk, no file descriptor left
        where = postgres.base_dir()
        room = f" ({postgres.ROOM})" if error.errno in (errno.ENOSPC, errno.EDQUOT) else ""
        raise PostgresError(
            f"cannot write the password of {named} to a file in {where}: {error.strerror}{room}"
        ) from None
    try:
        found, superuser = _may_create(admin_url, named)
        if found and passfile is None:  # a password file of the user's gave it
            # Kept in a file of the harness's: the pages get a copy (as root, theirs is no
            # file they may read), and a password a page changes is set back. Where no
            # such file can be made (a notebook's helper, as the reader), libpq reads theirs.
            with contextlib.suppress(OSError, PostgresError):
                passfile = Passfile.holding(admin_url, found)
    except BaseException:
        if passfile:
            passfile.remove()
        raise
    return Server(admin_url, passfile=passfile, superuser=superuser)


def _may_create(admin_url: str, named: str) -> tuple[str | None, bool]:
    """Raise, in one line, unless the server answers and its role may create databases;
    `named`: the server as messages name it. Returns the password libpq sent, if any (one
    read from a password file the user named, $PGPASSFILE or ~/.pgpass, which the pages'
    user, as root, may not read: they waited at a password prompt until their timeout),
    and whether the role is a superuser."""
    try:  # a host that drops packets would otherwise hold the run for TCP's minutes
        connection = postgres.guarded(admin_url, connect_timeout=CONNECT_TIMEOUT)
    except driver.Error as exc:
        raise PostgresError(
            f"cannot connect to {named}: {_first_line(exc)}; without it, a throwaway server is used"
        ) from None
    try:
        with contextlib.closing(connection), contextlib.closing(connection.cursor()) as cursor:
            cursor.execute(MAY_CREATE)
            role, may_create, superuser = cursor.fetchone()
            sent = driver.sent_password(connection)
    except driver.Error as exc:  # a server that shuts down, a statement that times out
        raise PostgresError(f"cannot ask {named} about its role: {_first_line(exc)}") from None
    if not may_create:
        raise PostgresError(
            f"the role {role} of {named} may not create databases: "
            "each page and test gets a scratch database of its own; grant it CREATEDB"
        )
    return sent, superuser


# What reading the server may raise: its own errors, and a name or setting in no encoding
# the driver reads (written from a SQL_ASCII database, the shared catalogs take any bytes).
UNREADABLE = (driver.Error, UnicodeDecodeError)


def _first_line(error: Exception) -> str:
    if isinstance(error, UnicodeDecodeError):
        return f"a name or setting there is not UTF-8 (byte {error.object[error.start]:#x})"
    said = str(error).strip()
    return said.splitlines()[0] if said else type(error).__name__


# What a user or password must hold percent-encoded: a URL is read up to the first @, and
# ends its user part at /, ? or # (the rest of a password would become a path, a query or
# a fragment: the wrong database's name, or a password printed with the URL).
UNSAFE = {"an @": "%40", "a /": "%2F", "a ?": "%3F", "a #": "%23", "a [": "%5B", "a ]": "%5D"}


def _unreadable(url: str) -> str | None:
    """The character of UNSAFE the URL's user part holds raw (None: it is read as meant)."""
    rest = url.split("://", 1)[-1]
    if "@" not in rest:
        return None  # no user part
    user_part = rest.rsplit("@", 1)[0]
    return next((name for name in UNSAFE if name[-1] in user_part), None)


def _elsewhere(url: str) -> str | None:
    """A query parameter that would take a scratch URL to another database than its path
    (libpq and SQLAlchemy let `dbname` win over it, a service file names its own), or to
    another host than the URL's own."""
    parsed = make_url(url)
    parameters = _query(urlsplit(url).query)
    keys = [key for key, _ in parameters]
    listed = [value for key, value in parameters if key in ("host", "hostaddr", "port")]
    # libpq splits host and port on commas after decoding them: `%2C` is a comma too.
    if "," in unquote(urlsplit(url).netloc.rpartition("@")[2]) or any("," in v for v in listed):
        return "several hosts"  # libpq tries each in turn, or one at random
    if "load_balance_hosts" in keys:
        return "`load_balance_hosts=` in its query"
    for name in ("dbname", "service", "servicefile"):
        if name in keys:  # an empty `dbname=` too: libpq reads it as the user's name
            return f"`{name}=` in its query"
    # Empty or repeated, libpq and SQLAlchemy read them differently: libpq takes the last
    # `host=`, SQLAlchemy the first; libpq an empty one over the URL's, SQLAlchemy drops it.
    hosts = sum(key in ("host", "hostaddr") for key in keys)
    if hosts and parsed.host or hosts > 1:
        return "a host twice (before the path and as `host=`, or `host=` twice)"
    return None


def _moved(before: dict[int, str], after: dict[int, str], ours: int) -> str:
    """Which databases other than `ours` and scratch ones (others' runs make and drop
    theirs) were dropped or renamed between `before` and `after`, as a phrase ("": none)."""
    said = []
    for oid, name in sorted(before.items(), key=lambda item: item[1]):
        if oid == ours or postgres.is_scratch_name(name) or after.get(oid) == name:
            continue
        now = after.get(oid)
        said.append(f"the database {name} " + ("dropped" if now is None else f"renamed to {now}"))
    return ", ".join(said)
