"""The data model of the whole domain (see docs/architecture.md).

Importing this package registers every table on ``SQLModel.metadata``; migrations under
``assess/migrations`` are the only way the schema changes.
"""

from __future__ import annotations

from sqlmodel import SQLModel

from assess.models.base import NAMING_CONVENTION

SQLModel.metadata.naming_convention = NAMING_CONVENTION

from assess.models.annual import AnnualRound  # noqa: E402
from assess.models.appraisal import (  # noqa: E402
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
from assess.models.audit import AuditHead, AuditRecord  # noqa: E402
from assess.models.org import Cadre, LoginFailure, Unit, User  # noqa: E402
from assess.models.publicity import Objection, PublicityPeriod  # noqa: E402
from assess.models.results import (  # noqa: E402
    AccountabilityEntry,
    ApprovalVote,
    CadreResult,
    ReviewStep,
    Snapshot,
    UnitResult,
)
from assess.models.rounds import (  # noqa: E402
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
from assess.models.scheme import Indicator, Scheme, SchemeVersion  # noqa: E402
from assess.models.scorers import DeptScore, Exemption  # noqa: E402
from assess.models.year import BlacklistEntry, CadrePledge, StageDeadline  # noqa: E402

metadata = SQLModel.metadata

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
