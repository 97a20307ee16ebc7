"""Roles and their order: each role includes every permission of the roles below it."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    VIEWER = "VIEWER"
    MEMBER = "MEMBER"
    EXPERT = "EXPERT"
    MANAGER = "MANAGER"
    ADMIN = "ADMIN"

    @property
    def rank(self) -> int:
        return _ORDER.index(self)

    def includes(self, required: Role) -> bool:
        return self.rank >= required.rank

    @classmethod
    def parse(cls, raw: str) -> Role:
        try:
            return cls(raw.strip().upper())
        except ValueError:
            allowed = ", ".join(r.value for r in cls)
            raise ValueError(f"unknown role '{raw}' (one of {allowed})") from None

    @staticmethod
    def lowest(a: Role, b: Role) -> Role:
        return a if a.rank <= b.rank else b


_ORDER = [Role.VIEWER, Role.MEMBER, Role.EXPERT, Role.MANAGER, Role.ADMIN]
