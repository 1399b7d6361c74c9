"""throwaway_pg's settings in a whole pytest run: each is an option, an ini setting and an
environment variable, and the option wins over the ini setting, which wins over the
variable. Each case gives a level the setting and the levels below it another value."""

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.inner_run import assert_gone, start_inner_run
from throwaway_pg import postgres
from throwaway_pg.server import Server, shown, with_database

LEVELS = ("option", "ini", "env")
OPTION = {"url": "--postgres-url", "base_dir": "--postgres-base-dir"}
INI = {"url": "postgres_url", "base_dir": "postgres_base_dir"}
VARIABLE = {"url": "THROWAWAY_PG_URL", "base_dir": "THROWAWAY_PG_DIR"}
SOURCE = {"option": "--postgres-url", "ini": "ini postgres_url", "env": "THROWAWAY_PG_URL"}

# The run's one test writes down the server it was given and where that server runs.
RECORDING_TEST = """
import os


def test_records_its_server(postgres_server, database_url):
    cluster = postgres_server.cluster.path if postgres_server.cluster else None
    with open(os.environ["RECORD"], "w") as record:
        record.write(f"{cluster}\\n{postgres_server.admin_url}\\n{database_url}\\n")
"""


def run_with(
    where: Path, setting: str, values: dict[str, str], args: tuple[str, ...] = ()
) -> tuple[int, str, list[str]]:
    """A run of RECORDING_TEST with `setting` given at the levels `values` names:
    (exit status, output, the lines it recorded)."""
    option = [OPTION[setting], values["option"]] if "option" in values else []
    ini = f"{INI[setting]} = {values['ini']}\n" if "ini" in values else ""
    env = {VARIABLE[setting]: values["env"]} if "env" in values else {}
    process, record = start_inner_run(
        where, "pass", [*option, *args], env=env, test=RECORDING_TEST, ini=ini
    )
    output = process.communicate(timeout=120)[0].decode()
    lines = record.read_text().splitlines() if record.exists() else []
    return process.returncode, output, lines


def unreachable(level: str) -> str:
    """A URL nothing listens on, named after the level that gives it (no password: the
    command line refuses one)."""
    return f"postgresql://u@127.0.0.1:1/{level}"


@pytest.mark.parametrize("level", LEVELS)
def test_the_server_url_set_at_a_level_is_used_over_the_levels_below(
    level: str, postgres_server: Server, tmp_path: Path
) -> None:
    """The level's URL names this suite's own server; the levels below it name one that
    does not answer: the run passes, on this server, and starts none of its own."""
    below = LEVELS[LEVELS.index(level) + 1 :]
    values = {level: postgres_server.admin_url, **{other: unreachable(other) for other in below}}
    status, output, lines = run_with(tmp_path, "url", values, ("--verbose",))
    assert status == 0, output
    cluster, admin_url, database_url = lines
    assert (cluster, admin_url) == ("None", postgres_server.admin_url)
    name = urlsplit(database_url).path.removeprefix("/")  # a scratch database on it
    assert name.startswith("t_") and database_url == with_database(admin_url, name)
    header = f"PostgreSQL: {shown(postgres_server.admin_url)} ({SOURCE[level]})"
    assert header in output  # the header says which server, and where it was set


@pytest.mark.parametrize("level", LEVELS)
def test_a_bad_server_url_at_a_level_is_not_replaced_by_a_good_one_below(
    level: str, postgres_server: Server, tmp_path: Path
) -> None:
    """The other way round: the levels below name a working server, the level's URL does
    not answer, and the run stops on the level's URL, saying where it was set. At the
    last level, what is below is a throwaway server, which is not started either."""
    below = LEVELS[LEVELS.index(level) + 1 :]
    values = {level: unreachable(level), **{other: postgres_server.admin_url for other in below}}
    status, output, lines = run_with(tmp_path, "url", values)
    assert status == 1 and lines == [], output
    said = f"cannot connect to postgresql://u@127.0.0.1:1/{level} ({SOURCE[level]})"
    assert f"no PostgreSQL for the tests: {said}" in output


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--postgres-url", "postgresql://u:s3cret@127.0.0.1:1/x"], "--postgres-url"),
        (["--postgres-url=postgresql://u@127.0.0.1:1/x?password=s3cret"], "--postgres-url"),
        (["-o", "postgres_url=postgresql://u:s3cret@127.0.0.1:1/x"], "-o postgres_url"),
    ],
    ids=["option", "option-parameter", "ini-override"],
)
def test_a_password_on_the_command_line_is_refused(
    args: list[str], named: str, tmp_path: Path
) -> None:
    """Every process on the machine reads /proc/PID/cmdline: a page's `ps -eo args`
    printed it. The environment variable and the ini file are the user's own."""
    process, _ = start_inner_run(tmp_path, "pass", args)
    output = process.communicate(timeout=120)[0].decode()
    assert process.returncode == pytest.ExitCode.USAGE_ERROR
    assert output.strip() == (
        f"ERROR: {named} holds a password, which every user of this machine (and every "
        "page) can read on the command line: set THROWAWAY_PG_URL instead, or leave the "
        "password out of the URL and give it in a password file (PGPASSFILE)"
    )


@pytest.fixture
def directories() -> Iterator[dict[str, Path]]:
    """An empty directory per level, for clusters: made with mkdtemp and opened to others
    (0755) as /tmp is, since as root the server runs as nobody, who must reach them (not
    so under pytest's tmp_path, root's alone)."""
    made = {level: Path(tempfile.mkdtemp(prefix=f"base-{level}-")) for level in LEVELS}
    for directory in made.values():
        directory.chmod(0o755)
    yield made
    for directory in made.values():
        shutil.rmtree(directory)


@pytest.mark.parametrize("level", LEVELS)
def test_the_base_directory_set_at_a_level_holds_the_runs_cluster(
    level: str, directories: dict[str, Path], tmp_path: Path
) -> None:
    """The cluster runs in the level's directory; the levels below give other directories,
    where nothing is made."""
    given = LEVELS[LEVELS.index(level) :]
    values = {other: str(directories[other]) for other in given}
    status, output, lines = run_with(tmp_path, "base_dir", values)
    assert status == 0, output
    cluster = Path(lines[0])
    assert cluster.parent == directories[level] / f"{postgres.PREFIX}-{os.getuid()}"
    assert_gone(cluster)  # the run removed it, as in the default directory
    for other in given[1:]:
        assert list(directories[other].iterdir()) == [], other


def test_a_relative_base_directory_in_an_ini_file_is_beside_that_file(
    directories: dict[str, Path],
) -> None:
    """Not in the directory pytest runs in: the ini file is elsewhere (-c)."""
    where = directories["ini"]  # reachable by nobody, unlike tmp_path
    (where / "config/clusters").mkdir(mode=0o755, parents=True)  # it must exist, as ever
    (where / "config/pytest.ini").write_text("[pytest]\npostgres_base_dir = clusters\n")
    status, output, lines = run_with(where, "base_dir", {}, ("-c", "config/pytest.ini"))
    assert status == 0, output
    base = where / "config/clusters" / f"{postgres.PREFIX}-{os.getuid()}"
    assert Path(lines[0]).parent == base
    assert not (where / "clusters").exists()


@pytest.mark.parametrize("kind", ["missing", "a file"])
def test_a_base_directory_that_is_not_one_is_one_line(kind: str, tmp_path: Path) -> None:
    base = tmp_path / "clusters"
    if kind == "a file":
        base.write_text("")
    status, output, _ = run_with(tmp_path, "base_dir", {"option": str(base)})
    problem = "does not exist" if kind == "missing" else "is not a directory"
    assert status != 0
    assert f"the base directory {base} {problem} (THROWAWAY_PG_DIR, --postgres-base-dir)" in output
    assert "Traceback" not in output


def test_a_run_inside_this_one_leaves_its_base_directory_behind(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    """It is set in the environment, for xdist's workers and psql to read: a run inside
    another (pytester's) left it set for the rest of that one."""
    before = os.environ.get(postgres.DIR_VARIABLE)
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.runpytest_inprocess(
        "--postgres-base-dir", str(tmp_path), "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=1)
    assert os.environ.get(postgres.DIR_VARIABLE) == before
