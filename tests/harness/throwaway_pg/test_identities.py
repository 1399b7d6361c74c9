"""Whom a root run hands its work to (throwaway_pg/identities.py)."""

import os
import pwd
import subprocess
from pathlib import Path

import pytest

from throwaway_pg import identities
from throwaway_pg.identities import Identity

as_root = pytest.mark.skipif(os.geteuid() != 0, reason="only root hands work to other users")


def whoami(user: Identity, script: str) -> str:
    argv = user.command(["/bin/sh", "-c", script])
    return subprocess.run(argv, capture_output=True, text=True, check=True, timeout=30).stdout


@as_root
def test_the_server_and_the_pages_are_nobody_to_themselves_and_no_one_else_to_the_machine() -> None:
    """Both ran as the machine's `nobody`, as did every other process of nobody's."""
    server, pages = identities.for_server(), identities.for_pages()
    nobody = pwd.getpwnam("nobody")
    uids = {server.uid, pages.uid, nobody.pw_uid, 0}
    assert len(uids) == 4
    assert pages.gid == identities.PAGES_GROUP != server.gid
    for user in (server, pages):
        assert whoami(user, "id -un; id -u") == "nobody\n65534\n"
        with pytest.raises(KeyError):
            pwd.getpwuid(user.uid)


@as_root
def test_root_is_root_to_the_server_only() -> None:
    """The server tells the harness (root) from the pages by peer authentication: root must
    be root in its namespace, and no one in the pages' (a set-user-ID program of root's
    would run as root there)."""
    for user, root in ((identities.for_server(), "0"), (identities.for_pages(), "65534")):
        assert whoami(user, "stat -c %u /") == f"{root}\n"


@as_root
def test_a_program_in_a_folder_closed_to_the_user_does_not_start(tmp_path: Path) -> None:
    """setpriv keeps root's capabilities up to its own exec, which found the binaries under a
    0700 home: the probe said the server's user could run them, and initdb then could not."""
    hidden = tmp_path / "home"
    hidden.mkdir(mode=0o700)
    program = hidden / "echo"
    program.write_bytes(Path("/bin/echo").read_bytes())
    program.chmod(0o755)
    nobody = pwd.getpwnam("nobody")
    for user in (identities.for_server(), Identity(nobody.pw_uid, nobody.pw_gid)):
        argv = user.command([str(program), "ran"])
        ran = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        assert ran.returncode == 126 and "Permission denied" in ran.stderr


@as_root
def test_where_the_kernel_refuses_user_namespaces_it_is_the_machines_nobody(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(identities, "UNSHARE_USER", ["false"])
    user = identities._identity(map_root=False, group=identities.PAGES_GROUP)
    nobody = pwd.getpwnam("nobody")
    assert user == Identity(nobody.pw_uid, nobody.pw_gid)
    assert whoami(user, "id -u") == f"{nobody.pw_uid}\n"


@as_root
def test_a_slot_someone_has_is_never_claimed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each identity claims a slot of uids no account, group or other run has."""
    first = identities._claim_slot()
    assert first != identities.PAGES_GROUP  # slot 0 is the pages' group's
    taken = {first + identities.SLOT_SIZE}
    monkeypatch.setattr(identities, "_taken", lambda *ids: bool(taken & set(ids)))
    second = identities._claim_slot()
    assert second not in (first, *taken) and (second - identities.FIRST_SLOT) % 65536 == 0


def test_not_root_it_is_no_one_else(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert identities._identity(map_root=True, group=None) is None
