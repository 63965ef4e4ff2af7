"""Who is acting. Every action takes an Actor; it is what the activity feed and outbox record."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from parley.errors import Forbidden
from parley.models.enums import ActorType, Role

RANK = {Role.agent: 1, Role.supervisor: 2, Role.admin: 3}


@dataclass(frozen=True)
class Actor:
    organization_id: uuid.UUID
    type: ActorType
    id: uuid.UUID | None
    name: str
    role: Role | None = None

    @classmethod
    def system(cls, organization_id: uuid.UUID, name: str = "Parley") -> Actor:
        return cls(organization_id, ActorType.system, None, name, Role.admin)

    @classmethod
    def automation(cls, organization_id: uuid.UUID, name: str = "Automation") -> Actor:
        return cls(organization_id, ActorType.automation, None, name, None)

    @property
    def user_id(self) -> uuid.UUID | None:
        return self.id if self.type == ActorType.user else None

    def has_role(self, role: Role) -> bool:
        return self.role is not None and RANK[self.role] >= RANK[role]

    def require(self, role: Role, what: str) -> None:
        if not self.has_role(role):
            raise Forbidden(f"{what} needs the {role.value} role or higher")
