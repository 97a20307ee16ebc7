"""The per-request dataloader registry: one `XByYLoader` per relation, created on first use."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from learnloop.storage.unit_of_work import UnitOfWork

L = TypeVar("L")


class Loaders:
    """Attribute access creates the loader once per request: `ctx.loaders.get(OrganizationByIdLoader)`."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self._made: dict[type[Any], Any] = {}

    def get(self, cls: type[L]) -> L:
        loader = self._made.get(cls)
        if loader is None:
            loader = cls(self.uow)  # type: ignore[call-arg]
            self._made[cls] = loader
        return loader
