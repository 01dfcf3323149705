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
