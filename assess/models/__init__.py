"""The data model of the whole domain (see docs/architecture.md).

Importing this package registers every table on ``SQLModel.metadata``; migrations under
``assess/migrations`` are the only way the schema changes.
"""

from __future__ import annotations

from sqlmodel import SQLModel

from .base import NAMING_CONVENTION

SQLModel.metadata.naming_convention = NAMING_CONVENTION

from .appraisal import (  # noqa: E402
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
from .audit import AuditHead, AuditRecord  # noqa: E402
from .org import Cadre, LoginFailure, Unit, User  # noqa: E402
from .results import (  # noqa: E402
    AccountabilityEntry,
    ApprovalVote,
    CadreResult,
    ReviewStep,
    Snapshot,
    UnitResult,
)
from .rounds import (  # noqa: E402
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
from .scheme import Indicator, Scheme, SchemeVersion  # noqa: E402
from .scorers import DeptScore, Exemption  # noqa: E402
from .year import BlacklistEntry, CadrePledge, StageDeadline  # noqa: E402

metadata = SQLModel.metadata

__all__ = [
    "AccountabilityEntry",
    "Adjustment",
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
    "PassBallot",
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
