"""` ```console ` blocks: `$ command` lines, each followed by the output it must print.

Every command's exit status is checked: 0, or the status a trailing comment on the command
line announces to the reader, `$ alembic upgrade head  # fails (exit status 255)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from docs_runner.blocks.base import Block
from docs_runner.grammar import FAILS, PROMPT, Fence, PageError, continues
from docs_runner.normalise import COMPARED
from docs_runner.outcome import Failure
from docs_runner.shell import LineError, may_comment, shell_comment, unfinished

if TYPE_CHECKING:
    from docs_runner.run import PageRun


@dataclass
class Command:
    line: str  # as shown, without the prompt (continuation lines included)
    expected: str
    page_line: int

    @property
    def status(self) -> int:
        """The exit status the page announces (0 unless it says the command fails)."""
        marker = FAILS.search(self.line)
        return int(marker["status"]) if marker else 0

    @property
    def shown_lines(self) -> int:
        return self.line.count("\n") + 1

    @property
    def bare(self) -> str:
        """The command without its failure marker."""
        return FAILS.sub("", self.line)

    def with_status(self, status: int) -> str:
        return f"{self.bare}  # fails (exit status {status})" if status else self.bare


@dataclass
class Console(Block):
    fence: Fence
    commands: list[Command]
    summary = "block"
    columns = {**COMPARED, "run": "run"}

    @classmethod
    def claims(cls, fence: Fence) -> bool:
        return fence.language == "console"

    @classmethod
    def from_fence(cls, fence: Fence) -> Console:
        return cls(fence, parse(fence))

    def evaluate(self, run: PageRun) -> Failure | None:
        failures: list[Failure] = []
        shown_now: list[str] = []
        rewritten: list[tuple[str, str, list[str]]] = []
        for command in self.commands:
            try:
                status, output = run.run(command.line, fails=command.status != 0)
            except LineError as error:  # nothing for update to write: the block stays
                failures.append(Failure(f"{run.page}:{command.page_line}: {error}"))
                run.record.shown(self.fence.source, shown_now)
                return Failure.of(failures)
            failure, shown, classes = run.compare(
                output, command.expected, command.page_line, f"`{command.line}`"
            )
            if status != command.status:
                failures.append(
                    Failure(
                        f"{run.page}:{command.page_line}: `{command.line}` exited with status "
                        f"{status}; the page {_says(command.status)}"
                    )
                )
            if failure:
                failures.append(failure)
            run.record.note_elisions(command.bare, command.expected)
            blank_tail = len(command.expected.splitlines()) - len(classes)  # before next `$`
            shown_now += ["run"] * command.shown_lines + classes + ["blank"] * blank_tail
            new = command.with_status(status)
            rewritten.append((new, shown, ["run"] * (new.count("\n") + 1) + classes))
        if failures and run.update:
            source = _source(rewritten)
            run.rewrite_fence(self.fence, source)
            run.record.shown(source, [c for _, _, classes in rewritten for c in classes])
            return None
        run.record.shown(self.fence.source, shown_now)
        return Failure.of(failures)


def _says(status: int) -> str:
    return f"says it fails with {status}" if status else "does not mark it as failing"


def parse(fence: Fence) -> list[Command]:
    """`$ command` lines (a trailing backslash continues) each followed by their output.
    Each is one whole command that bash runs as it stands, with no comment but the failure
    marker."""
    commands: list[Command] = []
    lines = fence.source.splitlines()
    if not lines:
        raise PageError(fence.line, "this console block is empty: it runs nothing")
    i = 0
    while i < len(lines):
        if not lines[i].startswith(PROMPT):
            raise PageError(fence.line + 1 + i, "console blocks start with '$ '")
        start, command = i, lines[i][len(PROMPT) :]
        while continues(command) and i + 1 < len(lines):
            i += 1
            command += "\n" + lines[i]
        i += 1
        output_start = i
        while i < len(lines) and not lines[i].startswith(PROMPT):
            i += 1
        expected = "\n".join(lines[output_start:i])
        commands.append(Command(command, expected, fence.line + 1 + start))
        if problem := _unreadable(commands[-1]):
            raise PageError(fence.line + 1 + start, problem)
    return commands


# Bytes a `$` command may have, continuation lines included: what a reader types or pastes
# (the longest on the site is a few hundred). Bash reads each `#` in it, three times, to
# tell a comment: a page of 140,000 bytes took minutes, and failed on the kernel's limit.
COMMAND_LIMIT = 2048
HASH_LIMIT = 32  # and `#`s that may start a comment (a page of such commands took minutes)


def _unreadable(command: Command) -> str | None:
    if (size := len(command.bare.encode(errors="surrogateescape"))) > COMMAND_LIMIT:
        return f"a `$` command of {size:,} bytes, over {COMMAND_LIMIT:,}: no reader types it"
    if (hashes := len(may_comment(command.bare))) > HASH_LIMIT:
        return f"a `$` command with {hashes} words that start with #, over {HASH_LIMIT}"
    if not command.bare.strip():
        return "a `$` with no command: a `$` line holds one"
    if comment := shell_comment(command.bare):
        return (
            f"`{comment}`: nothing checks a comment on a `$` line; only "
            "`# fails (exit status N)` may follow a command"
        )
    if not 0 < command.status < 256 and FAILS.search(command.line):
        return f"`{command.line}`: a failing command's exit status is 1 to 255"
    if why := unfinished(command.bare):
        return (
            f"`$ {command.bare}` is no whole command ({why}): a `$` line holds one, "
            "continued onto the next by a trailing \\"
        )
    return None


def _source(commands: list[tuple[str, str, list[str]]]) -> str:
    parts = []
    for line, output, _ in commands:
        parts.append(PROMPT + line)
        if output:
            parts.append(output)
    return "\n".join(parts) + "\n"
