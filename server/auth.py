"""Who is calling: an API key becomes a `Principal`, and the principal's scope is the only
scope a request runs in (the REST app and the MCP server both use this module).

The scope comes from the key alone: no header, body field or tool argument can widen it.
Missing, unknown or revoked keys raise `UnauthorizedError` (HTTP 401); an admin endpoint
called with a key that is not an admin key raises `ForbiddenError` (HTTP 403).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from memos.cube import Scope
from memos.errors import ForbiddenError, UnauthorizedError

if TYPE_CHECKING:
    from memos.facade import MemOS

NO_AUTH_KEY_ID = "no-auth"  # the key id of the principal of a `--no-auth` server


class Principal(BaseModel):
    """The caller of one request: the key it showed and the scope that key grants."""

    model_config = ConfigDict(frozen=True)

    key_id: str
    user_id: str
    agent_id: str | None = None
    admin: bool = False

    @property
    def scope(self) -> Scope:
        """The memos Scope every SDK call of this request runs in."""
        return Scope(user_id=self.user_id, agent_id=self.agent_id)

    def require_admin(self) -> None:
        if not self.admin and self.key_id == NO_AUTH_KEY_ID:  # `memos serve --no-auth`
            raise ForbiddenError("admin endpoints are off on a server without auth "
                                 "(--no-auth has no keys, so no admin key); run the admin "
                                 "command on this machine instead: `memos check`, `memos "
                                 "reindex`, `memos gc`, `memos purge`, `memos stats` with "
                                 "the server's --store")
        if not self.admin:
            raise ForbiddenError(f"this endpoint needs an admin key; key {self.key_id} is not "
                                 f"one (create one with `memos keys create --user <id> "
                                 f"--admin`)")


def changes_public(mem: MemOS, cube_id: str, scope: Scope) -> bool:
    """Whether a change of `cube_id` by `scope` (an update, rollback or link) would change a
    public memory: one of the caller's own that every user reads. False when the caller may
    not change the cube at all, or it is missing: the SDK call then raises what it raises
    for that (the same for another user's cube as for a missing one)."""
    from memos.cube import Visibility
    from memos.errors import MemosError

    try:  # version 1, whose scope every version shares: one snapshot, and no read counted
        cube = mem.get(cube_id, scope, version=1)
    except MemosError:  # forgotten or archived (a rollback restores it), or not the caller's
        try:
            cube = mem.history(cube_id, scope)[-1]
        except MemosError:
            return False
    owner = cube.scope.user_id == scope.user_id and cube.scope.agent_id in (None, scope.agent_id)
    return owner and cube.scope.visibility == Visibility.PUBLIC


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header (None when absent)."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise UnauthorizedError("the Authorization header must be `Bearer <key>`")
    return token.strip()


def principal_for_token(mem: MemOS, token: str | None) -> Principal:
    """The principal of an API key; UnauthorizedError when missing, unknown or revoked.
    Checked against the store on every call, so a revoked key stops at once in every
    server process sharing the store."""
    info = mem.verify_key(token)
    return Principal(key_id=info.key_id, user_id=info.user_id, agent_id=info.agent_id,
                     admin=info.admin)


def local_principal(user: str, agent: str | None = None) -> Principal:
    """The principal of every request to a `--no-auth` server (loopback only): the configured
    user, never an admin."""
    if not isinstance(user, str) or not user:
        raise UnauthorizedError("a server without auth needs a user: pass --user <id>")
    scope = Scope(user_id=user, agent_id=agent)  # validates the ids as any scope
    return Principal(key_id=NO_AUTH_KEY_ID, user_id=scope.user_id, agent_id=scope.agent_id,
                     admin=False)


__all__ = ["NO_AUTH_KEY_ID", "Principal", "bearer_token", "local_principal",
           "principal_for_token"]
