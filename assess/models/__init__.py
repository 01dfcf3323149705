"""The data model of the whole domain (see docs/architecture.md).

The table classes (SQLModel) are built when one of them is first asked for — ``from assess.models
import Round``, or ``assess.models.metadata`` — and then all of them at once, so that every table is
registered on ``SQLModel.metadata`` (``load_all``). Building them costs about half a second; a
command that only reads through the Core tables (``assess.models.tables``) never pays it.
Migrations under ``assess/migrations`` are the only way the schema changes.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import MetaData

    from assess.models.annual import AnnualRound
    from assess.models.appraisal import (
        AppraisalSession,
        AppraisalTarget,
        Ballot,
        BallotBatch,
        CadreQuestion,
        CadreStatement,
        EntryPass,
        PassBallot,
        SessionVoterGroup,
        TallyCount,
        TallySum,
    )
    from assess.models.audit import AuditHead, AuditRecord
    from assess.models.org import (
        Cadre,
        LoginFailure,
        Unit,
        User,
    )
    from assess.models.publicity import Objection, PublicityPeriod
    from assess.models.results import (
        AccountabilityEntry,
        ApprovalVote,
        CadreResult,
        ReviewStep,
        Snapshot,
        UnitResult,
    )
    from assess.models.rounds import (
        Adjustment,
        DisciplineAction,
        Finding,
        Rectification,
        RectificationEvent,
        Round,
        RoundUnit,
        SelfCheckScore,
        SpotCheckDraw,
        SpotCheckScore,
    )
    from assess.models.scheme import Indicator, Scheme, SchemeVersion
    from assess.models.scorers import DeptScore, Exemption
    from assess.models.year import BlacklistEntry, CadrePledge, StageDeadline

    metadata: MetaData

# Where each class is defined.
_HOME = {
    "AnnualRound": "annual",
    "AppraisalSession": "appraisal",
    "AppraisalTarget": "appraisal",
    "Ballot": "appraisal",
    "BallotBatch": "appraisal",
    "CadreQuestion": "appraisal",
    "CadreStatement": "appraisal",
    "EntryPass": "appraisal",
    "PassBallot": "appraisal",
    "SessionVoterGroup": "appraisal",
    "TallyCount": "appraisal",
    "TallySum": "appraisal",
    "AuditHead": "audit",
    "AuditRecord": "audit",
    "Cadre": "org",
    "LoginFailure": "org",
    "Unit": "org",
    "User": "org",
    "Objection": "publicity",
    "PublicityPeriod": "publicity",
    "AccountabilityEntry": "results",
    "ApprovalVote": "results",
    "CadreResult": "results",
    "ReviewStep": "results",
    "Snapshot": "results",
    "UnitResult": "results",
    "Adjustment": "rounds",
    "DisciplineAction": "rounds",
    "Finding": "rounds",
    "Rectification": "rounds",
    "RectificationEvent": "rounds",
    "Round": "rounds",
    "RoundUnit": "rounds",
    "SelfCheckScore": "rounds",
    "SpotCheckDraw": "rounds",
    "SpotCheckScore": "rounds",
    "Indicator": "scheme",
    "Scheme": "scheme",
    "SchemeVersion": "scheme",
    "DeptScore": "scorers",
    "Exemption": "scorers",
    "BlacklistEntry": "year",
    "CadrePledge": "year",
    "StageDeadline": "year",
}



def load_all() -> None:
    """Build every table class (once), registering the tables on ``SQLModel.metadata``."""
    if "metadata" in globals():
        return
    from sqlmodel import SQLModel

    for mod in sorted(set(_HOME.values())):
        importlib.import_module(f"assess.models.{mod}")
    for name, mod in _HOME.items():
        globals()[name] = getattr(importlib.import_module(f"assess.models.{mod}"), name)
    globals()["metadata"] = SQLModel.metadata


def __getattr__(name: str) -> Any:
    if name in _HOME or name == "metadata":
        load_all()
        return globals()[name]
    raise AttributeError(f"module 'assess.models' has no attribute {name!r}")


__all__ = [
    "AccountabilityEntry",
    "Adjustment",
    "AnnualRound",
    "AppraisalSession",
    "AppraisalTarget",
    "ApprovalVote",
    "AuditHead",
    "AuditRecord",
    "Ballot",
    "BallotBatch",
    "BlacklistEntry",
    "Cadre",
    "CadrePledge",
    "CadreQuestion",
    "CadreResult",
    "CadreStatement",
    "DeptScore",
    "DisciplineAction",
    "EntryPass",
    "Exemption",
    "Finding",
    "Indicator",
    "LoginFailure",
    "Objection",
    "PassBallot",
    "PublicityPeriod",
    "Rectification",
    "RectificationEvent",
    "ReviewStep",
    "Round",
    "RoundUnit",
    "Scheme",
    "SchemeVersion",
    "SelfCheckScore",
    "SessionVoterGroup",
    "Snapshot",
    "SpotCheckDraw",
    "SpotCheckScore",
    "StageDeadline",
    "TallyCount",
    "TallySum",
    "Unit",
    "UnitResult",
    "User",
    "metadata",
]
