"""Views and functions that migrations create, replace and drop whole, and whose
downgrades restore the definition a previous revision gave them. Importing this module
adds the operations to `op`: create_view, replace_view, drop_view, and the same three for
functions."""

from dataclasses import dataclass

from alembic.operations import MigrateOperation, Operations


@dataclass(frozen=True)
class ReplaceableObject:
    name: str  # a view's name, or a function's with its argument types: "f(integer)"
    sqltext: str  # what follows the name: a view's query, a function's RETURNS ... AS ...


def previous(
    operations: Operations, ident: str | None, target: ReplaceableObject
) -> ReplaceableObject:
    """The object "<revision>.<variable>" names, from that revision's module (Alembic
    loads every revision file to find the ones to run)."""
    if not ident:
        raise TypeError("replaces= or replace_with= names the previous definition")
    revision, variable = ident.split(".")
    module = operations.get_context().script.get_revision(revision).module
    old = getattr(module, variable)
    if old.name != target.name:  # for a function: other argument types, another function
        raise ValueError(f"{ident} is {old.name}, not {target.name}")
    return old


class TargetOp(MigrateOperation):
    def __init__(self, target: ReplaceableObject) -> None:
        self.target = target

    @classmethod
    def run(cls, operations: Operations, target: ReplaceableObject) -> None:
        operations.invoke(cls(target))


@Operations.register_operation("create_view", "run")
class CreateView(TargetOp):
    pass


@Operations.register_operation("drop_view", "run")
class DropView(TargetOp):
    pass


@Operations.register_operation("replace_view")
class ReplaceView(TargetOp):
    @classmethod
    def replace_view(
        cls,
        operations: Operations,
        target: ReplaceableObject,
        replaces: str | None = None,
        replace_with: str | None = None,
    ) -> None:
        """Upgrade, replaces="<revision>.<variable>": CREATE OR REPLACE VIEW, which keeps
        the view's grants and the views built on it, and accepts only new columns at the
        end. Downgrade, replace_with="<revision>.<variable>": back to that definition,
        with fewer columns maybe, which takes DROP VIEW and CREATE VIEW."""
        old = previous(operations, replaces or replace_with, target)
        if replaces:
            operations.invoke(cls(target))
        else:
            operations.invoke(DropView(target))
            operations.invoke(CreateView(old))


@Operations.register_operation("create_function", "run")
class CreateFunction(TargetOp):
    pass


@Operations.register_operation("drop_function", "run")
class DropFunction(TargetOp):
    pass


@Operations.register_operation("replace_function")
class ReplaceFunction(TargetOp):
    @classmethod
    def replace_function(
        cls,
        operations: Operations,
        target: ReplaceableObject,
        replaces: str | None = None,
        replace_with: str | None = None,
    ) -> None:
        """CREATE OR REPLACE FUNCTION, both ways: a trigger calling the function keeps
        calling it (DROP FUNCTION refuses while a trigger does)."""
        old = previous(operations, replaces or replace_with, target)
        operations.invoke(cls(target if replaces else old))


@Operations.implementation_for(CreateView)
def create_view(operations: Operations, operation: CreateView) -> None:
    view = operation.target
    operations.execute(f"CREATE VIEW {view.name} AS {view.sqltext}")


@Operations.implementation_for(ReplaceView)
def replace_view(operations: Operations, operation: ReplaceView) -> None:
    view = operation.target
    operations.execute(f"CREATE OR REPLACE VIEW {view.name} AS {view.sqltext}")


@Operations.implementation_for(DropView)
def drop_view(operations: Operations, operation: DropView) -> None:
    operations.execute(f"DROP VIEW {operation.target.name}")


@Operations.implementation_for(CreateFunction)
def create_function(operations: Operations, operation: CreateFunction) -> None:
    function = operation.target
    operations.execute(f"CREATE FUNCTION {function.name} {function.sqltext}")


@Operations.implementation_for(ReplaceFunction)
def replace_function(operations: Operations, operation: ReplaceFunction) -> None:
    function = operation.target
    operations.execute(f"CREATE OR REPLACE FUNCTION {function.name} {function.sqltext}")


@Operations.implementation_for(DropFunction)
def drop_function(operations: Operations, operation: DropFunction) -> None:
    operations.execute(f"DROP FUNCTION {operation.target.name}")
