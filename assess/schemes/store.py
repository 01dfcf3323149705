"""Storing scheme versions in the database and reading them back.

A version is immutable: its definition, its indicator rows and its hash never change once stored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from assess.foundation import audit
from assess.foundation.errors import NotFound
from assess.foundation.vocabulary import Method
from assess.schemes.definition import SchemeDef, from_dict

if TYPE_CHECKING:
    from sqlmodel import Session

    from assess.foundation.db import Reader


def store_version(session: Session, actor: str, scheme: SchemeDef, source_name: str, source_text: str):
    """Store ``scheme`` as a new version unless the newest version has the same content hash.
    Returns (SchemeVersion, created: bool). Runs in the caller's write transaction; the caller has
    authorised the action."""
    from sqlalchemy import func
    from sqlmodel import col, select

    from assess.models import Indicator, Scheme, SchemeVersion

    digest = scheme.content_hash()
    row = session.exec(select(Scheme).where(Scheme.code == scheme.code)).first()
    if row is None:
        row = Scheme(code=scheme.code, name=scheme.name)
        session.add(row)
        session.flush()
    else:
        latest = session.exec(
            select(SchemeVersion).where(SchemeVersion.scheme_id == row.id).order_by(col(SchemeVersion.version).desc())
        ).first()
        if latest is not None and latest.content_hash == digest:
            return latest, False
        if row.name != scheme.name:
            row.name = scheme.name
            session.add(row)
    assert row.id is not None  # stored or flushed above: the row has its id
    number = (session.exec(select(func.max(SchemeVersion.version)).where(SchemeVersion.scheme_id == row.id)).one() or 0) + 1
    version = SchemeVersion(scheme_id=row.id, version=number, content_hash=digest, source_name=source_name,
                            source_text=source_text, definition=scheme.to_dict(), created_by=actor)
    session.add(version)
    session.flush()
    assert version.id is not None  # flushed: the row has its id
    for order, (ind, level, parent) in enumerate(scheme.walk()):
        session.add(Indicator(
            scheme_version_id=version.id, code=ind.code, parent_code=parent, level=level, sort_order=order,
            name=ind.name, method=ind.method or Method.GROUP, max_points=ind.max, target=ind.target,
            unit_of_measure=ind.unit_of_measure, evidence=ind.evidence, categories=list(ind.categories),
            source=ind.source,
        ))
    session.flush()
    audit.append(session, actor, "scheme.load", {
        "scheme": scheme.code, "version": number, "content_hash": digest, "source_name": source_name,
    })
    return version, True


def load_definition(session: Reader, scheme_version_id: int) -> SchemeDef:
    from sqlalchemy import select

    from assess.models import tables as t

    v = t.schemeversion
    definition = session.execute(select(v.c.definition).where(v.c.id == scheme_version_id)).scalar()
    if definition is None:
        raise NotFound(f"考核方案版本 #{scheme_version_id} 不存在。")
    return from_dict(definition)
