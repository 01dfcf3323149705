"""民主评议 and 勤廉双述: sessions, targets, voter groups, batches, entry passes and ballots.

Secrecy: a ballot row carries its batch, a random id (which is also its physical order on SQLite,
an INTEGER PRIMARY KEY being the rowid), the paper number written on it after the box was opened,
its status and its marks. No voter, no clerk, no time.

``marks`` is one character per target position of the session (position 1 first):
``0`` no mark, ``1``–``9`` the option index in the form, ``X`` a mark voided (more than one mark).
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from assess.foundation.vocabulary import BallotStatus, BatchStatus, PassStatus, SessionStatus
from assess.models.base import random_id, text_field, ts_field

RandomPK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class AppraisalSession(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id", index=True)
    kind: str = Field(max_length=8)  # unit (民主评议) | cadre (勤廉双述)
    form_code: str = Field(max_length=64)  # the appraisal form of the round's scheme
    name: str = Field(max_length=128)
    held_on: date | None = None
    expected: int = Field(default=0)  # 应到
    present: int = Field(default=0)  # 实到
    status: str = Field(default=SessionStatus.OPEN, max_length=16)  # SessionStatus
    notes: str | None = text_field()
    created_at: datetime = ts_field()


class AppraisalTarget(SQLModel, table=True):
    """A unit or cadre on the ballot, in ballot order."""

    __table_args__ = (sa.UniqueConstraint("session_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="appraisalsession.id", index=True)
    position: int
    unit_id: int | None = Field(default=None, foreign_key="unit.id")
    cadre_id: int | None = Field(default=None, foreign_key="cadre.id")


class CadreStatement(SQLModel, table=True):
    """述职述廉: a cadre's report to the meeting, in summary."""

    __table_args__ = (sa.UniqueConstraint("session_id", "cadre_id"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="appraisalsession.id", index=True)
    cadre_id: int = Field(foreign_key="cadre.id")
    summary: str = text_field(nullable=False, default="")
    created_at: datetime = ts_field()


class CadreQuestion(SQLModel, table=True):
    """询问质询: a question put to the cadre at the meeting, and the answer."""

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="appraisalsession.id", index=True)
    cadre_id: int = Field(foreign_key="cadre.id")
    position: int = Field(default=0)
    question: str = text_field(nullable=False, default="")
    answer: str | None = text_field()


class SessionVoterGroup(SQLModel, table=True):
    """A voter group present at a session (from the form), with its weight and its 应到 and 实到
    counts (0: not recorded)."""

    __table_args__ = (sa.UniqueConstraint("session_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="appraisalsession.id", index=True)
    code: str = Field(max_length=32)
    name: str = Field(max_length=64)
    weight: float
    expected: int = Field(default=0)
    present: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class BallotBatch(SQLModel, table=True):
    """One meeting's or box's stack of paper ballots of one voter group."""

    __table_args__ = (sa.UniqueConstraint("session_id", "label"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="appraisalsession.id", index=True)
    voter_group: str = Field(max_length=32)
    label: str = Field(max_length=32)
    source: str = Field(default="paper", max_length=16)  # paper | import | tally
    issued: int = Field(default=0)
    returned: int = Field(default=0)
    status: str = Field(default=BatchStatus.OPEN, max_length=16)  # BatchStatus
    void_reason: str | None = text_field()
    certified_by: str | None = Field(default=None, max_length=64)
    certified_at: datetime | None = ts_field(nullable=True)


class EntryPass(SQLModel, table=True):
    """One clerk's keying of a batch (blind double entry: pass 1 and pass 2 by different clerks)."""

    __table_args__ = (
        sa.UniqueConstraint("batch_id", "pass_no"),
        sa.UniqueConstraint("batch_id", "clerk"),
    )

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="ballotbatch.id", index=True)
    pass_no: int
    clerk: str = Field(max_length=64)
    status: str = Field(default=PassStatus.OPEN, max_length=16)  # PassStatus
    closed_at: datetime | None = ts_field(nullable=True)
    # Running counts of the pass's ballots by status, kept in the transaction that stores or
    # removes a ballot (``assess.appraisal.entry``): a save costs the same whatever the pass size.
    valid: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    void: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    blank: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class PassBallot(SQLModel, table=True):
    """A ballot as keyed in one entry pass (working copy until the batch is certified)."""

    __table_args__ = (sa.UniqueConstraint("pass_id", "ballot_no"),)

    id: int = Field(default_factory=random_id, sa_column=sa.Column(RandomPK, primary_key=True, autoincrement=False))
    pass_id: int = Field(foreign_key="entrypass.id", index=True)
    ballot_no: int
    status: str = Field(default=BallotStatus.VALID, max_length=8)  # BallotStatus
    marks: str = Field(default="", max_length=512)


class Ballot(SQLModel, table=True):
    """A certified ballot: the truth the tallies are computed from. Immutable once stored."""

    # (batch_id, status) covers the turnout count per batch (valid / void / blank) in a tally.
    __table_args__ = (sa.UniqueConstraint("batch_id", "ballot_no"), sa.Index("ix_ballot_batch_status", "batch_id", "status"))

    id: int = Field(default_factory=random_id, sa_column=sa.Column(RandomPK, primary_key=True, autoincrement=False))
    batch_id: int = Field(foreign_key="ballotbatch.id", index=True)
    ballot_no: int
    status: str = Field(default=BallotStatus.VALID, max_length=8)  # BallotStatus
    marks: str = Field(default="", max_length=512)


class TallyCount(SQLModel, table=True):
    """Counts per batch × target × choice, kept in the transaction that stores the ballots
    (or imported directly from a tallies file). ``choice`` is the option index (1-based)."""

    __table_args__ = (sa.UniqueConstraint("batch_id", "position", "choice"),)

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="ballotbatch.id", index=True)
    position: int
    choice: int
    count: int


class TallySum(SQLModel, table=True):
    """Counts per session × voter group × target × choice summed over the session's certified
    batches, added to in the transaction that certifies a batch (``assess.appraisal.reconcile``), so
    that tallies and scores read one row per cell instead of summing every batch. ``audit
    verify`` checks them against the batches recounted from their ballots."""

    __table_args__ = (sa.UniqueConstraint("session_id", "voter_group", "position", "choice"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="appraisalsession.id", index=True)
    voter_group: str = Field(max_length=32)
    position: int
    choice: int
    count: int



class BallotResolution(SQLModel, table=True):
    """A reviewer's reading of the paper where the two entry passes of a batch disagree.

    One row per mismatch: ``position`` is the target position, or 0 for the ballot as a whole
    (present in one pass only, or voided by one clerk and marked by the other). ``value`` is one
    mark character for a target (``0``–``9``, ``X``), and for position 0 one of ``absent``,
    ``void``, ``pass1``, ``pass2`` (take that pass's reading of the ballot). No voter, no time.
    """

    __table_args__ = (sa.UniqueConstraint("batch_id", "ballot_no", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="ballotbatch.id", index=True)
    ballot_no: int
    position: int
    value: str = Field(max_length=8)
    resolved_by: str = Field(max_length=64)
