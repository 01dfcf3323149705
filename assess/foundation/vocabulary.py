"""The product's vocabulary: the codes stored in the database and their one Chinese label each.

Screens, commands and documents show these labels, never the codes. Keep each map here and import it;
do not write a label again elsewhere.
"""

from __future__ import annotations

# How an indicator is scored (schemes' ``method``; see indicators/README.md).
METHOD_LABELS: dict[str | None, str] = {
    "points": "得分",
    "deduct": "扣分",
    "bonus": "加分",
    "ratio": "比率",
    "veto": "一票否决",
    None: "",
}


# 满意率 has one definition (assess.scoring.appraisal.satisfaction_share): the votes for options marked
# ``satisfied`` over the counted votes, pooled across voter groups (not weighted like the score).
SATISFACTION_LABEL = "满意率（各类投票人合计）"

# Accountability ladder rungs (schemes' rule ``severity``; seed 003 附件2 四（三）), lowest first.
SEVERITY_LABELS: dict[str, str] = {"minor": "情节较轻", "serious": "情节较重", "severe": "情节严重"}


STAGE_LABELS = {
    "draft": "草稿",
    "selfcheck_open": "自查中",
    "selfcheck_closed": "自查结束",
    "spotcheck_drawn": "已抽取核查单位",
    "spotcheck_done": "核查完成",
    "appraisal_certified": "评议票已核定",
    "computed": "已计算",
    "under_review": "审核中",
    "approved": "已审批",
    "published": "已公示（冻结）",
}


FLAG_WORDS = {
    "spotchecked": "抽查核查单位",
    "quota_tie": "名额边界并列，一并降档",
    "out_of_bands": "不在任何分档内",
    "unfit_votes": "不称职票超过规定比例",
    "not_eligible_excellent": "称职及以上票不足，不能评优秀",
    "no_votes": "没有有效票",
}


COMPONENT_WORDS = {"indicators": "指标得分", "appraisal": "民主评议", "adjustment": "加减分"}
