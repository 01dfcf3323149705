"""Whether a user's role may do something, by the one role table in ``assess.foundation.roles``
(docs/roles.md): the screens, the navigation and the command palette all ask here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from assess.foundation.roles import allowed

if TYPE_CHECKING:
    from assess.foundation.roles import Actor


def role_may(actor: Actor | None, need: str | tuple[str, ...] | None) -> bool:
    """Whether ``actor``'s role may perform the core action ``need`` (or any of several), by the
    one role table in ``assess.foundation.roles`` (see docs/roles.md)."""
    if need is None or actor is None:
        return True
    needs = (need,) if isinstance(need, str) else need
    return any(allowed(actor.role, a) for a in needs)
