"""The product's vocabulary: the codes stored in the database and their one Chinese label each.

Screens, commands and documents show these labels, never the codes. Keep each map here and import it;
do not write a label again elsewhere.
"""

from __future__ import annotations

from enum import StrEnum

# Each code's label map, registered under its class (``Coded.label`` reads it).
_LABELS: dict[type, dict] = {}


class Coded(StrEnum):
    """A code stored in the database, with its one Chinese label (``label``)."""

    @property
    def label(self) -> str:
        return _LABELS[type(self)][self]


class Method(Coded):
    """How an indicator is scored (schemes' ``method``; see indicators/README.md)."""

    POINTS = "points"
    DEDUCT = "deduct"
    BONUS = "bonus"
    RATIO = "ratio"
    VETO = "veto"
    GROUP = "group"  # stored for an indicator that groups others; not a way of scoring


METHOD_LABELS: dict[str | None, str] = {
    Method.POINTS: "得分",
    Method.DEDUCT: "扣分",
    Method.BONUS: "加分",
    Method.RATIO: "比率",
    Method.VETO: "一票否决",
    Method.GROUP: "",
    None: "",
}


class Stage(Coded):
    """A round's stage, in order (``assess.rounds.lifecycle``; the CHECK constraint of migration v001)."""

    DRAFT = "draft"
    SELFCHECK_OPEN = "selfcheck_open"
    SELFCHECK_CLOSED = "selfcheck_closed"
    SPOTCHECK_DRAWN = "spotcheck_drawn"
    SPOTCHECK_DONE = "spotcheck_done"
    APPRAISAL_CERTIFIED = "appraisal_certified"
    COMPUTED = "computed"
    UNDER_REVIEW = "under_review"
    APPROVED = "approved"
    PUBLICITY = "publicity"  # 公示中: results posted, objections received (assess.results.publicity)
    PUBLISHED = "published"


class BatchStatus(Coded):
    """A ballot batch: keyed, certified (its ballots and tallies written), or voided."""

    OPEN = "open"
    CERTIFIED = "certified"
    VOID = "void"


BATCH_STATUS_LABELS: dict[str, str] = {
    BatchStatus.OPEN: "录入中",
    BatchStatus.CERTIFIED: "已核定",
    BatchStatus.VOID: "已作废",
}


class SessionStatus(Coded):
    """An appraisal session: open while batches are keyed, certified once its results are final."""

    OPEN = "open"
    CERTIFIED = "certified"


SESSION_STATUS_LABELS: dict[str, str] = {SessionStatus.OPEN: "进行中", SessionStatus.CERTIFIED: "已核定"}


class PassStatus(Coded):
    """One clerk's entry pass over a batch: open while keying, closed when the clerk hands it in."""

    OPEN = "open"
    CLOSED = "closed"


PASS_STATUS_LABELS: dict[str, str] = {PassStatus.OPEN: "录入中", PassStatus.CLOSED: "已完成"}


class DrawStatus(Coded):
    """A spot-check draw: the active one counts; a voided draw stays on record."""

    ACTIVE = "active"
    VOID = "void"


DRAW_STATUS_LABELS: dict[str, str] = {DrawStatus.ACTIVE: "有效", DrawStatus.VOID: "已作废"}


class ExemptionStatus(Coded):
    """A 合理缺项 request: pending until another user approves or rejects it."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


EXEMPTION_STATUS_LABELS: dict[str, str] = {
    ExemptionStatus.PENDING: "待审批",
    ExemptionStatus.APPROVED: "已批准",
    ExemptionStatus.REJECTED: "未批准",
}


class AccountabilityStatus(Coded):
    """An accountability entry: proposed by the rules, then confirmed or waived by a reviewer."""

    PROPOSED = "proposed"
    CONFIRMED = "confirmed"
    WAIVED = "waived"


ACCOUNTABILITY_STATUS_LABELS: dict[str, str] = {
    AccountabilityStatus.PROPOSED: "待确认",
    AccountabilityStatus.CONFIRMED: "已确认",
    AccountabilityStatus.WAIVED: "免予问责",
}


class Decision(Coded):
    """A review step's decision (初审/审核/复核): passed on, or returned with a note."""

    PASS = "pass"
    RETURN = "return"


DECISION_LABELS: dict[str, str] = {Decision.PASS: "通过", Decision.RETURN: "退回"}


# 满意率 has one definition (assess.scoring.appraisal.satisfaction_share): the votes for options marked
# ``satisfied`` over the counted votes, pooled across voter groups (not weighted like the score).
SATISFACTION_LABEL = "满意率（各类投票人合计）"

# Accountability ladder rungs (schemes' rule ``severity``; seed 003 附件2 四（三）), lowest first.
SEVERITY_LABELS: dict[str, str] = {"minor": "情节较轻", "serious": "情节较重", "severe": "情节严重"}


STAGE_LABELS: dict[str, str] = {
    Stage.DRAFT: "草稿",
    Stage.SELFCHECK_OPEN: "自查中",
    Stage.SELFCHECK_CLOSED: "自查结束",
    Stage.SPOTCHECK_DRAWN: "已抽取核查单位",
    Stage.SPOTCHECK_DONE: "核查完成",
    Stage.APPRAISAL_CERTIFIED: "评议票已核定",
    Stage.COMPUTED: "已计算",
    Stage.UNDER_REVIEW: "审核中",
    Stage.APPROVED: "已审批",
    Stage.PUBLICITY: "公示中",
    Stage.PUBLISHED: "已公示（冻结）",
}


FLAG_WORDS = {
    "spotchecked": "抽查核查单位",
    "quota_tie": "名额边界并列，一并降档",
    "out_of_bands": "不在任何分档内",
    "unfit_votes": "不称职票超过规定比例",
    "not_eligible_excellent": "称职及以上票不足，不能评优秀",
    "no_votes": "没有有效票",
    # What an output prints in place of figures it withholds (assess.results.secrecy).
    "appraisal_detail_withheld": "含不足公开门槛的投票人类别，分项不公布",
    "appraisal_few": "评议计分票不足公开门槛",
    "missing_groups_hidden": "民主评议有投票人类别没有计分票（该类别选票不足公开门槛，不具名）",
}


COMPONENT_WORDS = {
    "indicators": "指标得分",
    "appraisal": "民主评议",
    "adjustment": "加减分",
    "quarters": "季度考核结果",  # annual rounds (assess.results.annual)
    # An annual round's result columns: what its components are (its composite is the annual one).
    "q1": "一季度",
    "q2": "二季度",
    "q3": "三季度",
    "q4": "四季度",
    "quarter_avg": "季度平均",
    "year_end": "年终考核",
    "composite": "综合得分",
    "annual_composite": "年度综合得分",
}
# The components an annual round's outputs show beside its composite, in order.
ANNUAL_COMPONENTS = ("quarter_avg", "year_end")


class BallotStatus(Coded):
    """A keyed or stored ballot: counted, voided (作废) or blank (空白, returned but not counted)."""

    VALID = "valid"
    VOID = "void"
    BLANK = "blank"


BALLOT_STATUS_LABELS: dict[str, str] = {BallotStatus.VALID: "有效", BallotStatus.VOID: "废票", BallotStatus.BLANK: "空白"}


class RectificationStatus(Coded):
    """A rectification notice's state (``none`` when no notice was issued for a finding)."""

    NONE = "none"
    OPEN = "open"
    RECTIFYING = "rectifying"
    RECTIFIED = "rectified"
    CLOSED = "closed"


RECTIFICATION_STATUS_LABELS: dict[str, str] = {
    RectificationStatus.NONE: "未下发通知",
    RectificationStatus.OPEN: "待整改",
    RectificationStatus.RECTIFYING: "整改中",
    RectificationStatus.RECTIFIED: "已整改待复查",
    RectificationStatus.CLOSED: "已销号",
}


_LABELS.update({
    Method: METHOD_LABELS,
    Stage: STAGE_LABELS,
    BatchStatus: BATCH_STATUS_LABELS,
    SessionStatus: SESSION_STATUS_LABELS,
    PassStatus: PASS_STATUS_LABELS,
    DrawStatus: DRAW_STATUS_LABELS,
    ExemptionStatus: EXEMPTION_STATUS_LABELS,
    AccountabilityStatus: ACCOUNTABILITY_STATUS_LABELS,
    Decision: DECISION_LABELS,
    BallotStatus: BALLOT_STATUS_LABELS,
    RectificationStatus: RECTIFICATION_STATUS_LABELS,
})
