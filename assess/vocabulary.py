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
