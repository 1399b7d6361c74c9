"""Run a function as another user, for the tests that need two users (root and the pages'
or the server's, or the machine's nobody)."""

import multiprocessing
import os
import pwd
import sys
from collections.abc import Callable
from typing import Any

from throwaway_pg import identities
from throwaway_pg.identities import Identity


def run_as(user: pwd.struct_passwd | Identity, function: Callable[..., Any], *args: Any) -> Any:
    """`function(*args)` in a child running as `user`; its result, or RuntimeError with what
    it raised.

    The child comes from a forkserver: a fork of pytest's own process, which has threads
    (xdist's), may deadlock (Python 3.12 warns). `function` must be importable by name.
    """
    context = multiprocessing.get_context("forkserver")
    # As `user`, no module under a 0700 directory (pyenv's under /root) can be imported:
    # the server loads, as root, every module this process has.
    context.set_forkserver_preload(sorted(name for name in sys.modules if name != "__main__"))
    if isinstance(user, pwd.struct_passwd):
        user = Identity(user.pw_uid, user.pw_gid, name=user.pw_name)
    with context.Pool(1) as pool:
        outcome, value = pool.apply(_as, (user, function, args))
    if outcome == "raised":
        raise RuntimeError(value)
    return value


def _as(user: Identity, function: Callable[..., Any], args: tuple) -> tuple[str, Any]:
    if user.userns:
        identities.enter(user.userns)
    uid, gid = user.inside
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    try:
        return "returned", function(*args)
    except BaseException as error:  # its type may not pickle: its repr does
        return "raised", repr(error)
