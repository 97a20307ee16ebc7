"""Base for dataloaders that run one `= ANY(...)` statement per batch on the request's connection."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from aiodataloader import DataLoader

from learnloop.storage.unit_of_work import UnitOfWork

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class ByKeyLoader(DataLoader[K, V], Generic[K, V]):
    """Subclasses implement `fetch(keys) -> {key: value}`; missing keys load as `default()`."""

    def __init__(self, uow: UnitOfWork) -> None:
        super().__init__()
        self.uow = uow

    async def fetch(self, keys: Sequence[K]) -> Mapping[K, V]:
        raise NotImplementedError

    def default(self) -> Any:
        return None

    async def batch_load_fn(self, keys: Sequence[K]) -> list[V]:
        found = await self.fetch(list(keys))
        return [found.get(k, self.default()) for k in keys]
