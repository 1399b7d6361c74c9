"""Stop signals end a run as Ctrl-C does, once: Ctrl-C, a CI cancel's SIGTERM, a closed
terminal's SIGHUP (which would kill the process before any clean-up) become the
KeyboardInterrupt that runs the clean-up, and the ones after it are ignored, so that no
second one (a cancel's SIGINT then SIGTERM) cuts the clean-up short."""

from __future__ import annotations

import signal

STOPS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# What a signal does unless someone chose otherwise (SIG_IGN: nohup's; a handler: a host's)
_UNCHOSEN = (signal.SIG_DFL, signal.default_int_handler, None)


def interrupt_once() -> None:
    """From now on, the first stop signal raises KeyboardInterrupt; the next are ignored."""
    for stop in STOPS:
        if signal.getsignal(stop) in _UNCHOSEN:
            signal.signal(stop, _interrupt)


def _interrupt(signum: int, frame: object) -> None:
    for stop in STOPS:
        if signal.getsignal(stop) is _interrupt:
            signal.signal(stop, _ignore)  # not SIG_IGN: one already pending would raise
    raise KeyboardInterrupt(f"signal {signum}")


def _ignore(signum: int, frame: object) -> None:
    pass
