"""Tallies of an appraisal session, computed with pandas/numpy over ``TallySum`` (the sums of the
session's certified batches' ``TallyCount`` rows, kept at certification; never a loop over ballots).

Per target and voter group: the votes per option, the counted votes (options with points; 不了解
is not counted), score = Σ points × votes / counted, 满意率 = votes of ``satisfied`` options /
counted, and each option's share of all marks, rounded by largest remainder so that the shares of
a row sum to exactly 100.00. A group's figures are ``shown`` only with at least the form's
publication threshold of counted votes.

Per target: the score is Σ weight × group score over the groups with counted votes for it, the
weights renormalised over those groups; every missing group is in ``missing_groups`` (never a
silent zero; printed outputs name it only when that does not reveal how a group under the
publication threshold voted: ``Disclosure.missing_text``). 满意率, counts and shares per target
pool the votes of all groups.
Cadre sessions add: unfit_share = 不称职 votes / counted votes (pooled), ``unfit`` when it exceeds
the form's unfit_share (不称职 regardless of score); fit_share = votes of satisfied options
(称职及以上) / counted; ``may_be_excellent`` when fit_share ≥ excellent_min_fit_share and not unfit;
and the cadre's history in earlier rounds (``prior_unfit_streak`` consecutive 不称职 immediately
before this one; ``consecutive_unfit`` when this one makes ``consecutive_unfit`` in a row).

For a cadre target, ``unit_id`` is the cadre's unit and ``cadre_id`` the cadre; for a unit target
``cadre_id`` is empty. ``verify_certified`` in ``assess.appraisal.reconcile`` recounts certified batches.

The session's quorum (实到 > quorum × 应到) is checked first: ``quorum_ok`` is False, a column of
``targets`` says so and a warning leads the list when it fails.

``tally_numbers`` reads a session through Core statements and computes all of it with numpy (no
pandas, no table classes: the results step computes a round with it); ``session_tally`` lays the
same numbers out as frames for people.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from assess.appraisal.records import cadre_grades, session_batches, session_counts
from assess.appraisal.session_info import read_session_info
from assess.foundation.vocabulary import BatchStatus, SessionStatus
from assess.rounds.lifecycle import find_round
from assess.schemes.definition import UNFIT_LABEL, CadreRules
from assess.schemes.store import load_definition
from assess.scoring.appraisal import combine_groups, option_scores, satisfaction_share
from assess.scoring.composite import round_half_up

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    import numpy as np
    import pandas as pd
    from numpy.typing import ArrayLike

    from assess.appraisal.session_info import SessionInfo
    from assess.foundation.db import Database, Reader


@dataclass
class SessionTally:
    session_id: int
    kind: str
    form_code: str
    options: list[str]
    groups: pd.DataFrame
    targets: pd.DataFrame
    batches: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    quorum_ok: bool = False
    expected: int = 0
    present: int = 0
    publication_threshold: int = 5
    unfit_option: str = UNFIT_LABEL  # the cadre form's labels (不合格 for 村干部 in some schemes)
    fit_options: list[str] = field(default_factory=list)  # the options counted as fit (satisfied)
    precision: int = 2  # the round's scheme precision: printed scores are rounded to it

    def _printed(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Scores rounded half up to the scheme's precision (``scoring.engine.round_half_up``),
        as the stored results are: a tally never prints 89.99999999999999 for a stored 90."""

        out = frame.copy()
        score = out["score"].astype(float)
        out["score"] = [None if v != v else float(v) for v in round_half_up(score.to_numpy(), self.precision)]
        out["score"] = out["score"].astype(object)
        return out

    def cadre_labels(self) -> tuple[str, str]:
        """(unfit label, fit-share label) for a cadre tally's column headings, e.g. (不称职, 称职及以上)."""
        fit = f"{self.fit_options[-1]}及以上" if self.fit_options else "称职及以上"
        return self.unfit_option, fit

    def public_groups(self) -> pd.DataFrame:
        """``groups`` as it may be printed or exported: every figure blanked where ``shown`` is
        False (``disclosure``: the group is under the publication threshold, or another group of
        the same target is, or the target's pooled votes are), with the reason in ``note``; scores
        rounded to the scheme's precision."""
        return _blank(self._printed(self.groups), self.options, self.groups["shown"], self.groups["note"])

    def public_targets(self) -> pd.DataFrame:
        """``targets`` as it may be printed or exported (``disclosure``): where a group with marks
        is under the publication threshold (or the target's counted votes in all are), only the
        weighted score, the counted votes and the verdicts are printed — no count per option, no
        share, no 满意率 — with the reason in ``note``; before the session is certified nothing is.
        ``missing_groups`` names only the groups that may be named (``missing_public``). Scores
        are rounded to the scheme's precision (``targets`` keeps the exact values the results step
        rounds)."""
        out = self._printed(self.targets)
        out["missing_groups"] = out["missing_public"]
        detail = [c for c in out.columns if c in self.options or c.startswith("share_") or c in _DETAIL]
        out[detail] = out[detail].astype(object)
        out.loc[~self.targets["shown"].astype(bool), detail] = None
        return _blank(out, self.options, self.targets["final"], self.targets["note"])


# What a target shows only when every group with marks is at or over the threshold: the counts per
# option and every share (the score and the counted votes are published once final).
_DETAIL = ("total", "satisfaction", "unfit_share", "fit_share")

_FIGURES = (
    "total",
    "counted",
    "score",
    "satisfaction",
    "unfit_share",
    "fit_share",
    "unfit",
    "may_be_excellent",
    "consecutive_unfit",
)


def _blank(frame: pd.DataFrame, options: list[str], shown: pd.Series, note: pd.Series) -> pd.DataFrame:
    out = frame.copy()
    hidden = ~shown.astype(bool)
    figures = [c for c in out.columns if c in options or c.startswith("share_") or c in _FIGURES]
    out[figures] = out[figures].astype(object)
    out.loc[hidden, figures] = None
    return out


# -- what may be published (docs/reliability.md, 小类别不能由减法还原) ----------------------------------


@dataclass
class Disclosure:
    """Which tally figures may be published, per target (rows) and voter group (columns)."""

    group_shown: np.ndarray  # [t, g] the group's own figures for the target
    pooled_shown: np.ndarray  # [t] the target's figures pooled over every group
    merged: np.ndarray  # [t] a group with marks is under the threshold: folded into the pool
    small: np.ndarray  # [t, g] the groups with marks under the threshold
    threshold: int
    final: bool = True

    @property
    def detail_shown(self) -> np.ndarray:
        """[t] counts per option, shares and 满意率 of the target (pooled) may be printed: every
        group with marks is at or over the threshold and so are the pooled counted votes. Where
        not, only the weighted score and the number of counted votes are (the score ranks the
        target; with pooled counts or shares beside it, it is one more equation in the small
        group's votes)."""
        return self.pooled_shown & ~self.merged

    @property
    def few(self) -> np.ndarray:
        """[t] the target's counted votes in all are under the threshold: its published score is
        computed from fewer ballots than may be shown (the accepted residual, marked
        ``评议计分票不足公开门槛``)."""
        assert self.counted_total is not None  # set by disclosure(), the one constructor
        return (self.counted_total > 0) & (self.counted_total < self.threshold) & self.final

    counted_total: np.ndarray | None = None  # [t] counted votes over every group

    def target_note(self, i: int) -> str:
        if not self.final:
            return "会议尚未核定，计票结果核定后公布"
        if not self.pooled_shown[i]:
            return f"评议计分票不足公开门槛（{self.threshold} 张），分项不公布"
        if self.merged[i]:
            return "含不足公开门槛的投票人类别，分项不公布"
        return ""

    def group_note(self, i: int, j: int) -> str:
        if self.group_shown[i, j]:
            return ""
        return self.target_note(i) or f"计分票不足 {self.threshold} 张，不单独公布"


def disclosure(counted: ArrayLike, total: ArrayLike, threshold: int, final: bool = True) -> Disclosure:
    """The one publication rule for tallies, used by every output (CLI, TUI, XLSX, PDF charts):
    ``counted`` and ``total`` are the counted votes and all marks per target × voter group;
    ``final``: the session is certified (no batch can be added or changed any more).

    Nothing is published before the session is certified: an interim figure subtracted from the
    final one gives the batches certified in between (one small group's batch, say).

    A group's figures for a target are published only with at least ``threshold`` counted votes.
    A hidden group with any mark would be recovered exactly as the pooled total minus the other
    groups, so when a target has one, none of its groups is published on its own: they are merged
    into the pooled total. The pooled figures are published only with at least ``threshold``
    counted votes in all; otherwise nothing of the target's votes is."""
    import numpy as np

    counted = np.asarray(counted, dtype=np.int64)
    total = np.asarray(total, dtype=np.int64)
    small = (total > 0) & (counted < threshold)
    merged = np.asarray(small.any(axis=1))  # 2-D in: an array (typed so; the same array at run time)
    pooled_shown = counted.sum(axis=1) >= threshold
    if not final:
        pooled_shown = np.zeros_like(pooled_shown)
    group_shown = (counted >= threshold) & ~merged[:, None] & pooled_shown[:, None]
    return Disclosure(group_shown, pooled_shown, merged, small, threshold, final, counted.sum(axis=1))


def nameable_groups(ballots: ArrayLike, threshold: int) -> np.ndarray:
    """[g] whether a voter group may be named as having no counted vote for a target: it had no
    ballot at all (nothing about anyone), or at least ``threshold`` (a group figure). A group
    with 1 … threshold−1 ballots is not named: "it has no counted vote" would say how each of its
    few voters marked that target (不了解 or blank)."""
    import numpy as np

    b = np.asarray(ballots, dtype=np.int64)
    return (b <= 0) | (b >= threshold)


HIDDEN_MISSING = "有投票人类别没有计分票"


def missing_text(codes: list[str], nameable: list[bool]) -> str:
    """``missing_groups`` as printed: the nameable groups' codes, then ``HIDDEN_MISSING`` when a
    group that may not be named is missing too."""
    named = [c for c, ok in zip(codes, nameable, strict=True) if ok]
    hidden = len(named) < len(codes)
    return "；".join(x for x in ("、".join(named), HIDDEN_MISSING if hidden else "") if x)


def group_ballots(batches: Iterable[Mapping[str, Any]], codes: list[str]) -> np.ndarray:
    """[g] the ballots of each voter group in the session's certified batches (returned, void
    ones excepted; a tally-import batch's returned papers). ``batches``: the rows of
    ``records.session_batches``."""
    import numpy as np

    per: dict[str, int] = {}
    for b in batches:
        if b["status"] == BatchStatus.CERTIFIED:
            per[b["group"]] = per.get(b["group"], 0) + int(b["returned"] or 0) - int(b["void"] or 0)
    return np.array([max(per.get(c, 0), 0) for c in codes], dtype=np.int64)


# -- arithmetic -------------------------------------------------------------------------------------


def largest_remainder(counts: np.ndarray, total: int = 100, decimals: int = 2) -> np.ndarray:
    """Shares of each row of ``counts`` (last axis) rounded to ``decimals`` so that every row sums
    to exactly ``total`` (Hare–Niemeyer, exact integer arithmetic). Ties go to the earlier column.
    Rows without any count give NaN."""
    import numpy as np

    counts = np.asarray(counts, dtype=np.int64)
    shape = counts.shape
    k = shape[-1]
    c = counts.reshape(-1, k)
    unit = 10**decimals
    scale = total * unit
    s = c.sum(axis=1)
    safe = np.where(s == 0, 1, s)[:, None]
    num = c * scale
    floor = num // safe
    rem = num % safe
    deficit = scale - floor.sum(axis=1)
    order = np.argsort(-rem, axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.broadcast_to(np.arange(k), order.shape).copy(), axis=1)
    units = floor + (ranks < deficit[:, None])
    out = units.astype(float) / unit
    out[s == 0] = np.nan
    return out.reshape(shape)


@dataclass
class _Cube:
    """Counts as an array [target, group, option] plus what the options mean."""

    counts: np.ndarray
    points: np.ndarray  # per option, NaN when not counted
    counted_mask: np.ndarray
    satisfied_mask: np.ndarray


def session_cube(s: Reader, info: SessionInfo) -> _Cube:
    import numpy as np

    n_t, n_g, n_o = len(info.targets), len(info.groups), len(info.form.options)
    cube = np.zeros((n_t, n_g, n_o), dtype=np.int64)
    rows = [(r["voter_group"], r["position"], r["choice"], r["count"]) for r in session_counts(s, info.id)]
    if rows:
        gidx = {g.code: i for i, g in enumerate(info.groups)}
        arr = np.array([(gidx.get(g, -1), p, c, n) for g, p, c, n in rows], dtype=np.int64)
        ok = (arr[:, 0] >= 0) & (arr[:, 1] >= 1) & (arr[:, 1] <= n_t) & (arr[:, 2] >= 1) & (arr[:, 2] <= n_o)
        arr = arr[ok]
        cube[arr[:, 1] - 1, arr[:, 0], arr[:, 2] - 1] = arr[:, 3]
    points = np.array([np.nan if o.points is None else o.points for o in info.form.options], dtype=float)
    counted = ~np.isnan(points)
    satisfied = np.array([o.satisfied for o in info.form.options], dtype=bool) & counted
    return _Cube(cube, points, counted, satisfied)


def _score(cube: np.ndarray, c: _Cube) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(counted, score, satisfaction share) over the last axis of ``cube`` (the one formula:
    ``assess.scoring.appraisal.option_scores``)."""
    counted, score, sat = option_scores(cube, c.points, c.satisfied_mask)
    return counted, score, satisfaction_share(sat, counted)


# -- the session tally ------------------------------------------------------------------------------


def session_tally(db: Database, session_id: int) -> SessionTally:
    """The tally of a session from its certified batches (see the module docstring)."""
    with db.read() as s:
        return session_tally_in(s, session_id)


def session_tally_in(s: Reader, session_id: int) -> SessionTally:
    """``session_tally`` read in the caller's transaction (computing a round reads its inputs in one):
    the frames of ``tally_numbers``."""
    n = tally_numbers(s, session_id)
    tally = _assemble(n, batches_frame(n.batch_rows))
    tally.precision = _scheme_precision(s, n.info.round_id)
    return tally


def _scheme_precision(s: Reader, round_id: int) -> int:
    """The precision of the round's scheme (decimals of every printed score)."""
    return int(load_definition(s, find_round(s, round_id).scheme_version_id).precision)


@dataclass
class TallyNumbers:
    """A session's tally as numbers, read and computed without pandas (the module docstring's rules):
    what the results step computes a round with (``assess.results.inputs``) and what
    ``session_tally_in`` lays out as frames. Arrays are numpy, over targets (``info.targets``, ballot
    order) × voter groups (``info.groups``) × options (``info.form.options``)."""

    info: SessionInfo
    cube: _Cube  # counts [t, g, o] of the certified batches
    batch_rows: list[dict[str, Any]]  # ``records.session_batches``
    quorum_ok: bool
    counted: np.ndarray  # [t, g] counted votes
    score: np.ndarray  # [t, g] the group's score (NaN without counted votes)
    satisfaction: np.ndarray  # [t, g] satisfaction share
    total: np.ndarray  # [t, g] all marks
    shares: np.ndarray  # [t, g, o] each option's share of all marks, percent (largest remainder)
    rule: Disclosure
    target_score: np.ndarray  # [t] groups combined, weights renormalised over those with counted votes
    pooled: np.ndarray  # [t, o] counts pooled over the groups
    pooled_counted: np.ndarray  # [t]
    pooled_satisfaction: np.ndarray  # [t] satisfaction share of the pooled votes
    pooled_shares: np.ndarray  # [t, o]
    missing_codes: list[tuple[str, ...]]  # [t] the groups without a counted vote for the target
    missing_public: list[str]  # [t] what published outputs may say of them (``missing_text``)
    cadre: dict[str, Any]  # a cadre session's columns per target (``_cadre_numbers``), else empty
    warnings: list[str] = field(default_factory=list)

    @property
    def weights(self) -> dict[str, float]:
        """voter group → weight, as the groups frame lists them (none when the session has no target)."""
        out: dict[str, float] = {}
        if self.info.targets:
            for g in self.info.groups:
                out.setdefault(str(g.code), float(g.weight))
        return out


def tally_numbers(s: Reader, session_id: int) -> TallyNumbers:
    """The tally of a session from its certified batches as numbers (see ``TallyNumbers``), read
    through Core statements: no pandas, no table classes."""
    info = read_session_info(s, session_id)
    cube = session_cube(s, info)
    rows = session_batches(s, session_id)  # read once: the warnings, the frame and the group sizes
    history = _cadre_history(s, info) if info.kind == "cadre" else None
    return _numbers(info, cube, rows, history)


def _numbers(
    info: SessionInfo, c: _Cube, batch_rows: list[dict[str, Any]], history: dict | None
) -> TallyNumbers:
    import numpy as np

    form = info.form
    n_t = len(info.targets)
    warnings: list[str] = []
    quorum_ok = info.quorum_ok()
    if not quorum_ok:
        if info.expected <= 0:
            warnings.append("未登记应到人数，无法核对法定人数：结果不能作为评议结论。")
        else:
            warnings.append(f"未达到法定人数：{info.quorum_text()}；结果不能作为评议结论。")
    if info.status != SessionStatus.CERTIFIED:
        warnings.append(
            "会议尚未核定评议结果：计票结果核定后公布（此前公布的数字与最终结果相减可得出后核定的批次）。"
        )
    pending = [b["label"] for b in batch_rows if b["status"] == BatchStatus.OPEN]
    if pending:
        warnings.append(f"{len(pending)} 个选票批次尚未核定，未计入：{'、'.join(pending)}。")

    counted, score, satisfaction = _score(c.counts, c)  # [t, g]
    total = c.counts.sum(axis=-1)
    shares = largest_remainder(c.counts)  # [t, g, o]
    rule = disclosure(
        counted, total, form.publication_threshold, final=info.status == SessionStatus.CERTIFIED
    )
    shown = counted >= form.publication_threshold  # for the warnings: groups under the threshold

    # weighted target score, weights renormalised over groups with counted votes.
    weights = np.array([g.weight for g in info.groups], dtype=float)
    present = counted > 0
    t_score = combine_groups(score.T, counted.T, weights)  # score and counted are (targets, groups)
    pooled = c.counts.sum(axis=1)  # [t, o]
    p_counted, _unused, p_sat = _score(pooled, c)
    codes = np.array([g.code for g in info.groups], dtype=object)
    missing_codes = [tuple(codes[~present[i]]) for i in range(n_t)]
    nameable = nameable_groups(group_ballots(batch_rows, list(codes)), form.publication_threshold)
    missing_public = [missing_text(list(codes[~present[i]]), list(nameable[~present[i]])) for i in range(n_t)]

    warnings += _group_warnings(info, counted, shown, nameable)
    cadre: dict[str, Any] = {}
    if info.kind == "cadre":
        cadre, cadre_warnings = _cadre_numbers(info, c, pooled, p_counted, history or {})
        warnings += cadre_warnings
    return TallyNumbers(
        info,
        c,
        batch_rows,
        quorum_ok,
        counted,
        score,
        satisfaction,
        total,
        shares,
        rule,
        t_score,
        pooled,
        p_counted,
        p_sat,
        largest_remainder(pooled),
        missing_codes,
        missing_public,
        cadre,
        warnings,
    )


def _assemble(n: TallyNumbers, batches: pd.DataFrame) -> SessionTally:
    """The frames of a tally (``SessionTally``) laid out from its numbers."""
    import numpy as np
    import pandas as pd

    info, c, rule = n.info, n.cube, n.rule
    form = info.form
    labels = [o.label for o in form.options]
    n_t, n_g = len(info.targets), len(info.groups)

    # groups frame: one row per target × group, target-major.
    t_idx = np.repeat(np.arange(n_t), n_g)
    g_idx = np.tile(np.arange(n_g), n_t)
    tg = pd.DataFrame(
        {
            "target_position": [info.targets[i].position for i in t_idx],
            "target_code": [info.targets[i].code for i in t_idx],
            "target_name": [info.targets[i].name for i in t_idx],
            "unit_id": pd.array([info.targets[i].unit_id for i in t_idx], dtype="Int64"),
            "cadre_id": pd.array([info.targets[i].cadre_id for i in t_idx], dtype="Int64"),
            "group": [info.groups[j].code for j in g_idx],
            "group_name": [info.groups[j].name for j in g_idx],
            "weight": [info.groups[j].weight for j in g_idx],
        }
    )
    flat = c.counts.reshape(n_t * n_g, -1)
    for k, label in enumerate(labels):
        tg[label] = flat[:, k]
    tg["total"] = n.total.reshape(-1)
    tg["counted"] = n.counted.reshape(-1)
    tg["score"] = n.score.reshape(-1)
    tg["satisfaction"] = n.satisfaction.reshape(-1)
    flat_shares = n.shares.reshape(n_t * n_g, -1)
    for k, label in enumerate(labels):
        tg[f"share_{label}"] = flat_shares[:, k]
    tg["shown"] = rule.group_shown.reshape(-1)
    tg["note"] = [rule.group_note(i, j) for i, j in zip(t_idx, g_idx, strict=True)]

    tt = pd.DataFrame(
        {
            "target_position": [t.position for t in info.targets],
            "target_code": [t.code for t in info.targets],
            "target_name": [t.name for t in info.targets],
            "unit_id": pd.array([t.unit_id for t in info.targets], dtype="Int64"),
            "cadre_id": pd.array([t.cadre_id for t in info.targets], dtype="Int64"),
        }
    )
    for k, label in enumerate(labels):
        tt[label] = n.pooled[:, k]
    tt["total"] = n.pooled.sum(axis=1)
    tt["counted"] = n.pooled_counted
    tt["score"] = n.target_score
    tt["satisfaction"] = n.pooled_satisfaction
    for k, label in enumerate(labels):
        tt[f"share_{label}"] = n.pooled_shares[:, k]
    tt["missing_groups"] = ["、".join(m) for m in n.missing_codes]  # for people
    tt["missing_codes"] = n.missing_codes  # for the computation (assess.results.inputs)
    tt["missing_public"] = n.missing_public  # what published outputs may say (tally.missing_text)
    tt["quorum_ok"] = n.quorum_ok
    tt["shown"] = rule.detail_shown  # counts per option, shares, 满意率
    tt["final"] = np.full(n_t, bool(rule.final))  # the score and the counted votes
    tt["few"] = rule.few
    tt["note"] = [rule.target_note(i) for i in range(n_t)]
    for name, column in n.cadre.items():
        tt[name] = column

    return SessionTally(
        info.id,
        info.kind,
        form.code,
        labels,
        tg,
        tt,
        batches,
        list(n.warnings),
        n.quorum_ok,
        info.expected,
        info.present,
        form.publication_threshold,
        form.cadre_rules.unfit_option if form.cadre_rules else UNFIT_LABEL,
        [o.label for o in form.options if o.satisfied],
    )


def _group_warnings(
    info: SessionInfo, counted: np.ndarray, shown: np.ndarray, nameable: np.ndarray
) -> list[str]:
    out: list[str] = []
    n_t = len(info.targets)
    threshold = info.form.publication_threshold
    unnamed: list[str] = []  # targets where a group that may not be named has no counted vote
    for j, g in enumerate(info.groups):
        col = counted[:, j]
        if not nameable[j]:
            # Fewer ballots than the threshold: which targets it left without a counted vote
            # would say how its voters marked them; it is not named for those.
            unnamed += [info.targets[i].code for i in range(n_t) if col[i] == 0]
            out.append(
                f"投票人类别“{g.name}”的选票少于 {threshold} 张：各对象的各类别结果都不单独显示，"
                "含该类别的对象只公布得分和计分票数（否则可由合计减出或由得分联立推出该类别）。"
            )
            continue
        if n_t and not col.any():
            out.append(
                f"投票人类别“{g.name}”（{g.code}，权重 {g.weight:g}）没有计分票：其权重在其余类别间按比例重新分配。"
            )
            continue
        none = [info.targets[i].code for i in range(n_t) if col[i] == 0]
        if none:
            out.append(
                f"投票人类别“{g.name}”对 {len(none)} 个对象没有计分票（{'、'.join(none[:10])}"
                f"{'…' if len(none) > 10 else ''}）：这些对象的权重在其余类别间重新分配。"
            )
        few = int(((col > 0) & ~shown[:, j]).sum())
        if few:
            out.append(
                f"投票人类别“{g.name}”有 {few} 个对象的计分票少于 {info.form.publication_threshold} 张："
                "这些对象的各类别结果都不单独显示，只公布得分和计分票数（否则可由合计减出该类别）。"
            )
    unnamed = sorted(set(unnamed), key=[t.code for t in info.targets].index)
    if unnamed:
        out.append(
            f"有投票人类别对 {len(unnamed)} 个对象没有计分票（{'、'.join(unnamed[:10])}"
            f"{'…' if len(unnamed) > 10 else ''}）：这些对象的权重在其余类别间重新分配"
            f"（该类别选票少于 {threshold} 张，不具名）。"
        )
    nothing = [info.targets[i].code for i in range(n_t) if not counted[i].any()]
    if nothing:
        out.append(
            f"{len(nothing)} 个对象没有任何计分票，无法得分：{'、'.join(nothing[:10])}{'…' if len(nothing) > 10 else ''}。"
        )
    return out


def _cadre_numbers(
    info: SessionInfo,
    c: _Cube,
    pooled: np.ndarray,
    p_counted: np.ndarray,
    history: dict[int, list[tuple[str, bool]]],
) -> tuple[dict[str, Any], list[str]]:
    """A cadre session's columns per target (unfit_share, fit_share, unfit, may_be_excellent,
    prior_unfit_streak, consecutive_unfit, history), and their warnings."""
    import numpy as np

    rules = info.form.cadre_rules or CadreRules()
    labels = [o.label for o in info.form.options]
    n_t = len(info.targets)
    warnings: list[str] = []
    with np.errstate(invalid="ignore", divide="ignore"):
        denom = np.where(p_counted > 0, p_counted, 1)
        if rules.unfit_option in labels:
            unfit_votes = pooled[:, labels.index(rules.unfit_option)]
            unfit_share = np.where(p_counted > 0, unfit_votes / denom, np.nan)
        else:
            warnings.append(f"评议表没有“{rules.unfit_option}”选项，无法按“{rules.unfit_option}”票比例判定。")
            unfit_share = np.full(n_t, np.nan)
        fit_share = np.where(p_counted > 0, pooled[:, c.satisfied_mask].sum(axis=1) / denom, np.nan)
    unfit = np.nan_to_num(unfit_share, nan=0.0) > rules.unfit_share
    may_be_excellent = (np.nan_to_num(fit_share, nan=0.0) >= rules.excellent_min_fit_share) & ~unfit
    streaks, texts = [], []
    for t in info.targets:
        cid = t.cadre_id
        past = history.get(int(cid), []) if cid is not None else []
        streak = 0
        for _period, was_unfit in reversed(past):
            if not was_unfit:
                break
            streak += 1
        streaks.append(streak)
        u_label = rules.unfit_option
        texts.append("；".join(f"{p}:{u_label if u else '非' + u_label}" for p, u in past))
    consecutive = unfit & (np.array(streaks, dtype=int) + 1 >= rules.consecutive_unfit)
    for t, flag in zip(info.targets, consecutive, strict=True):
        if flag:
            warnings.append(
                f"干部 {t.code} 连续 {rules.consecutive_unfit} 次（含本次）“{rules.unfit_option}”票超过比例。"
            )
    columns = {
        "unfit_share": unfit_share,
        "fit_share": fit_share,
        "unfit": unfit,
        "may_be_excellent": may_be_excellent,
        "prior_unfit_streak": streaks,
        "consecutive_unfit": consecutive,
        "history": texts,
    }
    return columns, warnings


def _cadre_history(s: Reader, info: SessionInfo) -> dict[int, list[tuple[str, bool]]]:
    """For each cadre of the session: [(period, was 不称职)] of earlier rounds' cadre sessions,
    oldest first. An earlier result recorded by the results step (its cadre result's grade) is used
    when there is one; otherwise the 不称职 vote share of that session's certified ballots. Read
    through ``assess.appraisal.records``: an earlier published round's targets, counts and grades
    are the ones its snapshot holds, whatever happened to the live rows afterwards."""
    from sqlalchemy import select

    from assess.models import tables as tb

    cadre_ids = {t.cadre_id for t in info.targets if t.cadre_id is not None}
    if not cadre_ids:
        return {}
    this_round = find_round(s, info.round_id)
    a, r = tb.appraisalsession, tb.round
    sessions: Sequence[Any] = s.execute(
        select(a.c.id, r.c.period, r.c.id)
        .join(r, r.c.id == a.c.round_id)
        .where(a.c.kind == "cadre", a.c.round_id != info.round_id)
    ).all()
    earlier = [e for e in sessions if (e[1], e[2]) < (this_round.period, this_round.id)]
    earlier.sort(key=lambda e: (e[1], e[2], e[0]))
    results: dict[int, list[tuple[int, int, str | None]]] = {}
    out: dict[int, list[tuple[str, bool]]] = {}
    for sid, period, rid in earlier:
        assert sid is not None and rid is not None  # stored rows' ids
        past = read_session_info(s, sid)  # targets from the snapshot when published (appraisal.records)
        if not any(t.cadre_id in cadre_ids for t in past.targets):
            continue
        if rid not in results:
            results[rid] = cadre_grades(s, rid)
        grades = {cid: grade for sess, cid, grade in results[rid] if sess == sid}
        rules = past.form.cadre_rules or CadreRules()
        c = session_cube(s, past)  # the certified counts, from the snapshot when published
        pooled = c.counts.sum(axis=1)
        p_counted = pooled[:, c.counted_mask].sum(axis=1)
        labels = [o.label for o in past.form.options]
        for i, t in enumerate(past.targets):
            if t.cadre_id not in cadre_ids:
                continue
            if t.cadre_id in grades:
                was = grades[t.cadre_id] == rules.unfit_option
            elif rules.unfit_option in labels and p_counted[i] > 0:
                was = pooled[i, labels.index(rules.unfit_option)] / p_counted[i] > rules.unfit_share
            else:
                was = False
            out.setdefault(t.cadre_id, []).append((period, bool(was)))
    return out


def batches_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The session's batches (``records.session_batches``: a published round's from its snapshot)
    with their valid, void and blank counts, as a frame."""
    import pandas as pd

    columns = [
        "batch_id",
        "label",
        "group",
        "source",
        "status",
        "issued",
        "returned",
        "valid",
        "void",
        "blank",
    ]
    df = pd.DataFrame.from_records(rows, columns=columns)
    for col in ("valid", "void", "blank"):
        df[col] = df[col].fillna(0).astype(int)
    return df


def counts_frame(db: Database, session_id: int) -> pd.DataFrame:
    """Raw counts of the certified batches: one row per batch × target × option (zeros included),
    columns batch_id, batch_label, group, target_position, target_code, unit_id, cadre_id, choice
    (1-based option index), option, points (NaN: not counted), count."""
    import numpy as np
    import pandas as pd
    from sqlalchemy import select
    from sqlmodel import col

    from assess.models import BallotBatch, TallyCount

    with db.read() as s:
        info = read_session_info(s, session_id)
        batches = s.execute(
            select(col(BallotBatch.id), col(BallotBatch.label), col(BallotBatch.voter_group))
            .where(
                col(BallotBatch.session_id) == session_id, col(BallotBatch.status) == BatchStatus.CERTIFIED
            )
            .order_by(col(BallotBatch.id))
        ).all()
        rows = (
            s.execute(
                select(
                    col(TallyCount.batch_id),
                    col(TallyCount.position),
                    col(TallyCount.choice),
                    col(TallyCount.count),
                ).where(col(TallyCount.batch_id).in_([b[0] for b in batches]))
            ).all()
            if batches
            else []
        )
    n_b, n_t, n_o = len(batches), len(info.targets), len(info.form.options)
    cube = np.zeros((n_b, n_t, n_o), dtype=np.int64)
    if rows:
        bidx = {b[0]: i for i, b in enumerate(batches)}
        arr = np.array([(bidx[b], p, c, n) for b, p, c, n in rows], dtype=np.int64)
        cube[arr[:, 0], arr[:, 1] - 1, arr[:, 2] - 1] = arr[:, 3]
    bi, ti, oi = (
        a.reshape(-1) for a in np.meshgrid(np.arange(n_b), np.arange(n_t), np.arange(n_o), indexing="ij")
    )
    points = [o.points for o in info.form.options]
    return pd.DataFrame(
        {
            "batch_id": [batches[i][0] for i in bi],
            "batch_label": [batches[i][1] for i in bi],
            "group": [batches[i][2] for i in bi],
            "target_position": [info.targets[i].position for i in ti],
            "target_code": [info.targets[i].code for i in ti],
            "unit_id": pd.array([info.targets[i].unit_id for i in ti], dtype="Int64"),
            "cadre_id": pd.array([info.targets[i].cadre_id for i in ti], dtype="Int64"),
            "choice": oi + 1,
            "option": [info.form.options[i].label for i in oi],
            "points": np.array([np.nan if points[i] is None else points[i] for i in oi], dtype=float),
            "count": cube.reshape(-1),
        }
    )
