"""What a ballot may contain and what its status is.

Marks are one character per target position: ``0`` no mark, ``1``–``9`` the option, ``X`` a mark
voided because the voter marked more than one option for that target. The status is derived: no
mark at all → ``blank``; more ``limited_option`` marks than ``max_limited`` → ``void`` (the whole
ballot); otherwise ``valid``. A clerk may also store a ballot as void (defaced, unreadable) or
blank with one key; its marks are then all ``0``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from assess.appraisal.forms import form_for, session_not_found
from assess.foundation import plain_sql
from assess.foundation.errors import Conflict
from assess.foundation.vocabulary import BallotStatus

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlmodel import Session

    from assess.foundation.db import Reader
    from assess.schemes.definition import FormDef


@dataclass(frozen=True)
class MarkRules:
    """What a ballot of a session may contain."""

    n_targets: int
    n_options: int
    limited: int | None = None  # option index a ballot may mark at most max_limited times
    max_limited: int | None = None

    @classmethod
    def from_form(cls, form: FormDef, n_targets: int) -> MarkRules:
        limited = None
        if form.limited_option and form.max_limited is not None:
            limited = form.option_index(form.limited_option)
        return cls(n_targets, len(form.options), limited, form.max_limited if limited else None)

    @cached_property
    def allowed(self) -> str:
        """The characters a mark may be (built once per rules, not per character checked)."""
        return "0" + "".join(str(i) for i in range(1, self.n_options + 1)) + "X"

    @cached_property
    def allowed_set(self) -> frozenset[str]:
        return frozenset(self.allowed)


def normalise(rules: MarkRules, marks: str, kind: str = "marks") -> tuple[str, str]:
    """(status, marks) of a keyed ballot. ``kind`` is ``marks``, or ``void``/``blank`` when the
    clerk pressed the one key for a void or blank ballot (its marks are then all ``0``)."""
    n = rules.n_targets
    if kind in ("void", "blank"):
        return kind, "0" * n
    if kind != "marks":
        raise Conflict(f"选票类型“{kind}”无效。")
    marks = (marks or "").upper()
    if len(marks) != n:
        raise Conflict(f"选票应有 {n} 项标记，收到 {len(marks)} 项。")
    bad = sorted(set(marks) - rules.allowed_set)
    if bad:
        raise Conflict(
            f"标记“{''.join(bad)}”无效：只能是 0（未标记）、1–{rules.n_options}（选项）或 X（该项多选作废）。"
        )
    if marks.count("0") == n:
        return "blank", marks
    if rules.limited is not None and marks.count(str(rules.limited)) > (rules.max_limited or 0):
        return "void", marks
    return "valid", marks


def is_explicit_void(status: str, marks: str) -> bool:
    """A ballot the clerk voided as a whole (no marks kept), as opposed to one void by its marks."""
    return status == BallotStatus.VOID and marks.count("0") == len(marks)


def session_rules(s: Reader, session_id: int) -> MarkRules:
    """A session's rules: its form (the scheme's 评议表) and its number of targets. A Core reader
    (``Database.rows`` or a Session), so that ``audit verify`` builds no table classes."""
    from sqlalchemy import func, select

    from assess.models import tables as t

    a, target = t.appraisalsession, t.appraisaltarget
    n_targets = select(func.count()).where(target.c.session_id == a.c.id).scalar_subquery()
    sess = s.execute(
        select(a.c.round_id, a.c.kind, a.c.form_code, n_targets).where(a.c.id == session_id)
    ).first()
    if sess is None:
        raise session_not_found(session_id)
    return MarkRules.from_form(form_for(s, sess[0], sess[1], sess[2]), sess[3])


_RULES_CACHE: dict[tuple, MarkRules] = {}


def cached_rules(
    s: Session | Connection, session_id: int, scheme_version_id: int, form_code: str, n_targets: int
) -> MarkRules:
    """Rules of a session for the per-ballot fast path (in a Session's or a Core connection's
    transaction). Scheme versions never change, and a session's targets are fixed once a ballot
    exists, so the key fully determines the rules."""
    conn = plain_sql.connection_of(s)
    key = (str(conn.engine.url), session_id, scheme_version_id, form_code, n_targets)
    rules = _RULES_CACHE.get(key)
    if rules is None:
        rules = session_rules(s, session_id)
        if len(_RULES_CACHE) > 256:
            _RULES_CACHE.clear()
        _RULES_CACHE[key] = rules
    return rules
