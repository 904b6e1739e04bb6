"""Storage the protocol needs, as small Protocols; `store/` implements them, `app.py` wires them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ciam_oidc.protocol.clients import Client
from ciam_oidc.protocol.users import User


class AlreadyExists(Exception):
    """A record with the same identity (client_id, email) is already stored."""


class ClientStore(Protocol):
    async def add_client(self, client: Client) -> None: ...

    async def get_client(self, client_id: str) -> Client | None: ...

    async def list_clients(self) -> Sequence[Client]: ...

    async def delete_client(self, client_id: str) -> bool: ...


class UserStore(Protocol):
    async def add_user(self, user: User) -> None: ...

    async def get_user(self, sub: str) -> User | None: ...

    async def find_user_by_email(self, email: str) -> User | None: ...

    async def list_users(self, limit: int = 100) -> Sequence[User]: ...
