"""An appraisal session's record and its form (the scheme's 评议表): the lowest layer of the appraisal
area, read by sessions, entry, marks, reconciliation and tallies."""

from __future__ import annotations

from typing import TYPE_CHECKING

from assess.foundation.errors import Conflict, NotFound
from assess.foundation.write_guards import round_not_found
from assess.schemes.store import load_definition

if TYPE_CHECKING:
    from sqlmodel import Session

    from assess.foundation.db import Reader
    from assess.models import AppraisalSession
    from assess.schemes.definition import FormDef


KINDS = {"unit": "民主评议", "cadre": "勤廉双述"}


def form_for(session: Reader, round_id: int, kind: str, form_code: str | None) -> FormDef:
    from sqlalchemy import select

    from assess.models import tables as t

    version_id = session.execute(select(t.round.c.scheme_version_id).where(t.round.c.id == round_id)).scalar()
    if version_id is None:
        raise round_not_found(round_id)
    scheme = load_definition(session, version_id)
    if form_code:
        try:
            form = scheme.form(form_code)
        except KeyError:
            codes = "、".join(f.code for f in scheme.forms) or "（无）"
            raise NotFound(f"考核方案“{scheme.code}”中没有评议表“{form_code}”；可用：{codes}。") from None
        if form.kind != kind:
            raise Conflict(
                f"评议表“{form_code}”用于{KINDS.get(form.kind, form.kind)}，不能用于{KINDS[kind]}。"
            )
        return form
    candidates = [f for f in scheme.forms if f.kind == kind]
    if kind == "unit" and scheme.appraisal_form:
        candidates.sort(key=lambda f: f.code != scheme.appraisal_form)
    if not candidates:
        raise NotFound(f"考核方案“{scheme.code}”没有{KINDS[kind]}评议表。")
    return candidates[0]


def session_form(session: Session, session_id: int) -> FormDef:
    from assess.models import AppraisalSession

    s = session.get(AppraisalSession, session_id)
    if s is None:
        raise session_not_found(session_id)
    return form_for(session, s.round_id, s.kind, s.form_code)


def session_not_found(session_id: int) -> NotFound:
    return NotFound(f"评议会议 #{session_id} 不存在。")


def get_session(session: Session, session_id: int) -> AppraisalSession:
    from assess.models import AppraisalSession

    s = session.get(AppraisalSession, session_id)
    if s is None:
        raise session_not_found(session_id)
    return s
