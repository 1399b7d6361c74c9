"""Where a page's blocks run. One module per executor, registered here by name (the
`docs_executor` setting picks one):

  terminal     a reader's terminal: bash and python on a pseudo-terminal (what the suite
               verifies)
  in-process   the author loop (watch, update): a profile's tool and python blocks in this
               process, the same output
"""

from docs_runner.executors.base import Executor
from docs_runner.executors.in_process import InProcess
from docs_runner.executors.terminal import Terminal

EXECUTORS: dict[str, type[Executor]] = {
    Terminal.name: Terminal,
    InProcess.name: InProcess,
}

__all__ = ["EXECUTORS", "Executor", "InProcess", "Terminal"]
