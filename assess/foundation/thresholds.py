"""Comparisons written in a scheme, decided exactly and said in Chinese.

A scheme states how each share is compared (``>=`` or ``>``); in the seeds' wording “以上” includes
the number itself (“三分之二以上”: 应到 9 人，实到 6 人即达到) and “超过”/“过半” does not (seed 003
附件8 7.：“赞成票超过应到会人数的半数为通过”). Shares are compared as fractions, never by float
multiplication, so 6 of 9 against 2/3 is exactly equal. See indicators/README.md (评议表, quorum_op).
"""

from __future__ import annotations

from fractions import Fraction

# How a comparison reads after a quantity: 实到“达到应到的 2/3 以上”, 不称职票“超过 1/3”.
COMPARISON_WORDS = {">=": "以上（含本数）", ">": "超过", "<=": "以下（含本数）", "<": "低于"}
QUORUM_OPS = (">=", ">")


def exact_share(share: float | str | Fraction) -> Fraction:
    """A share as a fraction: 0.6666666666666666 → 2/3 (stored schemes keep shares as floats)."""
    if isinstance(share, Fraction):
        return share
    if isinstance(share, str) and "/" in share:
        n, d = share.split("/", 1)
        return Fraction(int(n.strip()), int(d.strip()))
    return Fraction(share).limit_denominator(1000)


def default_quorum_op(share: float) -> str:
    """The comparison a scheme means when it does not write one: a half is “过半” (>), any larger
    share “以上” (>=), as the seeds word them (“三分之二以上”)."""
    return ">" if exact_share(share) <= Fraction(1, 2) else ">="


def share_met(count: int, total: int, share: float | Fraction, op: str) -> bool:
    """``count op share × total`` in exact arithmetic; False when total is 0."""
    if total <= 0:
        return False
    lhs = Fraction(int(count))
    rhs = exact_share(share) * int(total)
    if op == ">=":
        return lhs >= rhs
    if op == ">":
        return lhs > rhs
    if op == "<=":
        return lhs <= rhs
    if op == "<":
        return lhs < rhs
    raise ValueError(f"未知的比较方式“{op}”")


def share_text(share: float | Fraction) -> str:
    """2/3 → “三分之二”-free plain form “2/3”; 0.5 → “1/2”; 0.55 → “55%”."""
    f = exact_share(share)
    if f.denominator <= 12:
        return f"{f.numerator}/{f.denominator}"
    return f"{float(f):.0%}"


def quorum_met(present: int, expected: int, share: float, op: str | None = None) -> bool:
    """The one quorum check: 实到 ``op`` share × 应到 (op defaults by ``default_quorum_op``)."""
    return share_met(present, expected, share, op or default_quorum_op(share))


def quorum_rule_text(share: float, op: str | None = None) -> str:
    """“实到须达到应到的 2/3 以上（含本数）” / “实到须超过应到的 1/2”."""
    op = op or default_quorum_op(share)
    if op == ">=":
        return f"实到须达到应到的 {share_text(share)} {COMPARISON_WORDS['>=']}"
    return f"实到须超过应到的 {share_text(share)}"


def quorum_text(present: int, expected: int, share: float, op: str | None = None) -> str:
    """The verdict with its figures, e.g. “应到 9 人，实到 6 人，须达到 6 人以上（含本数）：达到法定人数”."""
    op = op or default_quorum_op(share)
    need = exact_share(share) * int(expected)
    need_text = str(need.numerator) if need.denominator == 1 else f"{float(need):.2f}".rstrip("0").rstrip(".")
    verdict = "达到" if quorum_met(present, expected, share, op) else "未达到"
    rule = f"须达到 {need_text} 人{COMPARISON_WORDS['>=']}" if op == ">=" else f"须超过 {need_text} 人"
    return f"应到 {expected} 人，实到 {present} 人，{rule}：{verdict}法定人数"


def threshold_text(label: str, op: str, value: float) -> str:
    """A rule threshold in Chinese with its comparison: “综合得分低于 60”, “满意率 90 以上（含本数）”."""
    v = f"{value:g}"
    if op == "<":
        return f"{label}低于 {v}"
    if op == ">":
        return f"{label}超过 {v}"
    return f"{label} {v} {COMPARISON_WORDS.get(op, op)}"
