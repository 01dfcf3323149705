"""Spot-check (抽查/核查): the verifiable draw of units to inspect (双随机一公开), verified scores
for the drawn units, and the comparison of self-check with verified scores (虚报).

The draw follows RFC 3797 exactly (``assess.rounds.rfc3797``): the pool is the round's units sorted by
unit code, published before the draw; the sources are public random numbers announced in advance.
Everything needed to repeat the draw is stored (SpotCheckDraw) and written to the audit log, and
``verify`` repeats it. Options, each recorded with the draw so that ``verify`` repeats them too:

- ``min_per_category``: first draw that many units within each category (categories in the
  scheme's order), then the rest of the count from the remaining pool; the digest index runs on
  across the parts, so no digest is used twice.
- ``focus_open_findings``: units with an open finding (a problem not yet closed, 销号) are
  inspected as 重点 outside the lottery; they are listed as such and left out of the pool.
- ``spotcheck.risk_weight`` (scheme): 廉政风险 levels drawn as 重点 weight instead of mandatory
  inclusion (``risk_focus``). A unit whose active cadres include one at a weighted level carries
  the highest such weight in the published pool (``weight``, with the reason); a unit of weight w
  occupies w consecutive slots of the pool and, once drawn, all its slots leave the pool
  (``rfc3797.weighted_select``), so the draw stays repeatable from the pool and the sources alone.
- ``draw_inspectors``: inspectors drawn the same way, those with a conflict of interest (回避)
  excluded from the pool with the reason recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from assess.foundation import audit
from assess.foundation.accounts import authorize
from assess.foundation.errors import AssessError, Conflict, NotFound
from assess.foundation.roles import Actor
from assess.foundation.settings import local_time
from assess.foundation.users import display_names
from assess.foundation.vocabulary import DrawStatus, Stage
from assess.foundation.write_guards import get_round
from assess.rounds import rfc3797
from assess.rounds.findings import open_finding_units
from assess.rounds.lifecycle import lock_round, participants, require_stage, round_scheme, set_stage

if TYPE_CHECKING:
    from sqlmodel import Session

    from assess.foundation.db import Database
    from assess.models import Round, SpotCheckDraw

SOURCES_MAX = 16
SOURCE_CHARS = 500


@dataclass
class DrawView:
    """A draw as published: the numbered pool, the sources, the key string and the result."""

    id: int
    round_id: int
    purpose: str
    status: str
    count: int
    pool: list[dict[str, Any]]
    sources: list[str]
    key_string: str
    selected: list[dict[str, Any]]
    focus: list[dict[str, Any]]
    excluded: list[dict[str, Any]]
    min_per_category: int
    entropy_needed: float
    entropy_sources: float
    void_reason: str | None
    created_by: str
    created_at: Any

    @property
    def selected_codes(self) -> list[str]:
        return [d["code"] for d in self.selected]


@dataclass
class VerifyReport:
    ok: bool
    checked: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def message(self) -> str:
        if self.ok:
            return f"抽取可复核：已按公布的名单和随机来源重新计算 {len(self.checked)} 次抽取，结果一致。"
        return "抽取结果不一致：" + "；".join(self.problems)


# -- reading draws --------------------------------------------------------------------------------


def active_draw(s: Session, round_id: int, purpose: str = "units") -> SpotCheckDraw | None:
    from sqlmodel import select

    from assess.models import SpotCheckDraw

    return s.exec(
        select(SpotCheckDraw).where(
            SpotCheckDraw.round_id == round_id,
            SpotCheckDraw.purpose == purpose,
            SpotCheckDraw.status == DrawStatus.ACTIVE,
        )
    ).first()


def _view(d: SpotCheckDraw) -> DrawView:
    assert d.id is not None  # a stored row has its id
    extras = d.extras or {}
    try:
        needed = rfc3797.entropy_bits(d.count, len(d.pool))
        have = rfc3797.source_entropy_bits(d.sources)
    except AssessError:
        needed = have = 0.0
    return DrawView(
        d.id,
        d.round_id,
        d.purpose,
        d.status,
        d.count,
        list(d.pool),
        list(d.sources),
        d.key_string,
        list(d.selected),
        list(extras.get("focus", [])),
        list(extras.get("excluded", [])),
        int(extras.get("min_per_category", 0)),
        needed,
        have,
        d.void_reason,
        d.created_by,
        d.created_at,
    )


def current_draw(db: Database, round_id: int, purpose: str = "units") -> DrawView | None:
    with db.read() as s:
        get_round(s, round_id)
        d = active_draw(s, round_id, purpose)
        return _view(d) if d is not None else None


def draws(db: Database, round_id: int) -> list[DrawView]:
    """Every draw of the round, void ones included, oldest first."""
    from sqlmodel import col, select

    from assess.models import SpotCheckDraw

    with db.read() as s:
        get_round(s, round_id)
        return [
            _view(d)
            for d in s.exec(
                select(SpotCheckDraw)
                .where(SpotCheckDraw.round_id == round_id)
                .order_by(col(SpotCheckDraw.id))
            ).all()
        ]


# -- the draw -------------------------------------------------------------------------------------


def _clean_sources(sources: list[str]) -> list[str]:
    out = [" ".join(str(x).split()) for x in sources if str(x).strip()]
    if not out:
        raise Conflict("至少需要一个事先公布的随机来源（如某期彩票开奖号码）。")
    if len(out) > SOURCES_MAX:
        raise Conflict(f"随机来源不能超过 {SOURCES_MAX} 个。")
    for x in out:
        if len(x) > SOURCE_CHARS:
            raise Conflict(f"随机来源过长（超过 {SOURCE_CHARS} 个字符）。")
    rfc3797.key_string(out)  # refuses anything that is not integers, naming it
    return out


def run_lottery(
    pool: list[dict[str, Any]],
    count: int,
    key: str,
    min_per_category: int = 0,
    category_order: list[str] | None = None,
) -> list[dict[str, Any]]:
    """The selection for a published pool (pure: ``verify`` calls it too). With a minimum per
    category, each category (in ``category_order``, then by name) is drawn first, then the rest."""
    parts: list[tuple[str, list[dict[str, Any]], int]] = []
    if min_per_category > 0:
        present = {p["category"] for p in pool}
        order = [c for c in (category_order or []) if c in present]
        order += sorted(present - set(order))
        for c in order:
            sub = [p for p in pool if p["category"] == c]
            parts.append((c, sub, min(min_per_category, len(sub))))
        floor = sum(k for _c, _s, k in parts)
        if count < floor:
            raise Conflict(f"抽取数量 {count} 小于各类别最少抽取数之和 {floor}。")
    out: list[dict[str, Any]] = []
    index = 0
    for label, sub, k in parts:
        for st in _select(sub, k, key, index):
            out.append(_selected(st, label, len(out) + 1))
        index += k
    chosen = {d["code"] for d in out}
    rest = [p for p in pool if p["code"] not in chosen]
    if count - len(out) > len(rest):
        raise Conflict(f"抽取数量 {count} 超过名单人数 {len(pool)}。")
    for st in _select(rest, count - len(out), key, index):
        out.append(_selected(st, "全部" if not parts else "其余", len(out) + 1))
    return out


def _select(pool: list[dict[str, Any]], count: int, key: str, start_index: int) -> list[rfc3797.Step]:
    """RFC 3797 over the pool; weighted (``rfc3797.weighted_select``) when a member carries a weight."""
    weights = [int(p.get("weight", 1)) for p in pool]
    if any(w != 1 for w in weights):
        return rfc3797.weighted_select(pool, weights, count, key, start_index=start_index)
    return rfc3797.select(pool, count, key, start_index=start_index)


def _weights(pool: list[dict[str, Any]]) -> dict[str, int]:
    """code → weight of the weighted members of a published pool (recorded in the audit log)."""
    return {p["code"]: int(p["weight"]) for p in pool if int(p.get("weight", 1)) != 1}


def risk_weights(s: Session, unit_ids: list[int], weights: dict[str, int]) -> dict[int, tuple[int, str]]:
    """unit_id → (weight, why) for units with an active cadre at a level the scheme weights
    (``spotcheck.risk_weight``): the highest such weight, e.g. (3, “廉政风险 A 类：C01 张三（村支书）”)."""
    from sqlmodel import col, select

    from assess.models import Cadre

    if not weights or not unit_ids:
        return {}
    rows = s.exec(
        select(Cadre)
        .where(col(Cadre.unit_id).in_(unit_ids), col(Cadre.active), col(Cadre.risk_level).in_(list(weights)))
        .order_by(col(Cadre.risk_level), col(Cadre.code))
    ).all()
    out: dict[int, tuple[int, list[str]]] = {}
    for c in rows:
        assert c.unit_id is not None and c.risk_level is not None  # the query matched both
        w, why = out.get(c.unit_id, (1, []))
        why.append(f"廉政风险 {c.risk_level} 类：{c.code} {c.name}（{c.position}）")
        out[c.unit_id] = (max(w, int(weights[c.risk_level])), why)
    return {uid: (w, "；".join(why)) for uid, (w, why) in out.items() if w > 1}


def _selected(st: rfc3797.Step, part: str, order: int) -> dict[str, Any]:
    item = st.item
    return {
        "order": order,
        "code": item["code"],
        "name": item["name"],
        "category": item.get("category"),
        "n": item["n"],
        "part": part,
        "index": st.index,
        "digest": st.digest,
        "remaining": st.remaining,
        "position": st.position,
    }


def risk_focus_units(s: Session, unit_ids: list[int], levels: list[str]) -> dict[int, str]:
    """unit_id → why it is 重点 by 廉政风险: its active cadres at one of ``levels`` (the scheme's
    ``spotcheck.risk_focus``), e.g. “廉政风险 A 类：C01 张三（村支书）”."""
    from sqlmodel import col, select

    from assess.models import Cadre

    if not levels or not unit_ids:
        return {}
    rows = s.exec(
        select(Cadre)
        .where(col(Cadre.unit_id).in_(unit_ids), Cadre.active, col(Cadre.risk_level).in_(list(levels)))
        .order_by(Cadre.risk_level, Cadre.code)
    ).all()
    out: dict[int, list[str]] = {}
    for c in rows:
        out.setdefault(c.unit_id, []).append(f"廉政风险 {c.risk_level} 类：{c.code} {c.name}（{c.position}）")
    return {uid: "；".join(v) for uid, v in out.items()}


def _unit_pool(
    s: Session, round_id: int, focus_open_findings: bool
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The published pool (participants sorted by unit code, numbered from 1) and the 重点 units
    left out of it: units with open findings (when asked) and units with a cadre at a risk level
    the scheme's ``spotcheck.risk_focus`` names."""

    units = participants(s, round_id)
    ids = [u.id for u, _ru in units]
    reasons: dict[int, list[str]] = {}
    if focus_open_findings:
        for uid, why in open_finding_units(s, ids).items():
            reasons.setdefault(uid, []).append(why)
    spot = round_scheme(s, get_round(s, round_id)).spotcheck
    levels = spot.risk_focus
    for uid, why in risk_focus_units(s, ids, levels).items():
        reasons.setdefault(uid, []).append(why)
    focus: list[dict[str, Any]] = [
        {"code": u.code, "name": u.name, "category": u.category, "reason": "；".join(reasons[u.id])}
        for u, _ru in units
        if u.id in reasons
    ]
    focus_codes = {f["code"] for f in focus}
    pool = [
        {"n": n, "code": u.code, "name": u.name, "category": u.category}
        for n, u in enumerate((u for u, _ru in units if u.code not in focus_codes), start=1)
    ]
    weighted = risk_weights(
        s, [u.id for u, _ru in units if u.code not in focus_codes], spot.risk_weight or {}
    )
    if weighted:
        by_code = {u.code: u.id for u, _ru in units}
        for p in pool:
            w = weighted.get(by_code[p["code"]])
            if w:
                p["weight"], p["weight_reason"] = w
    return pool, focus


def pool_preview(
    db: Database, round_id: int, focus_open_findings: bool = False
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The pool a draw made now would use, to publish before the draw: (pool, 重点 units)."""
    with db.read() as s:
        get_round(s, round_id)
        return _unit_pool(s, round_id, focus_open_findings)


@dataclass
class DrawPlan:
    """What a draw made now would do, shown before the irreversible act: the numbered pool, the
    重点 units left out of it, the count, the minimum per category and the key string built from
    the sources (``rfc3797.key_string``). The selection itself is made only by ``draw``."""

    pool: list[dict[str, Any]]
    focus: list[dict[str, Any]]
    count: int
    min_per_category: int
    sources: list[str]
    key_string: str
    entropy_bits: float  # of the sources (rfc3797.source_entropy_bits)
    needed_bits: float  # to choose ``count`` of the pool (rfc3797.entropy_bits)


def _refuse_second_draw(s: Session, old: SpotCheckDraw | None) -> None:
    if old is not None:
        who = display_names(s).get(old.created_by, old.created_by)
        raise Conflict(
            f"本轮已于 {local_time(old.created_at):%Y-%m-%d %H:%M} 抽取（第 {old.id} 号抽取，{who}）："
            "同一轮只能有一次有效抽取；确需重抽，请先作废原抽取并说明理由。"
        )


def _draw_plan(
    s: Session,
    r: Round,
    count: int | None,
    min_per_category: int | None,
    focus_open_findings: bool,
    sources: list[str],
) -> DrawPlan:
    require_stage(r, Stage.SELFCHECK_CLOSED, doing="随机抽取核查单位")
    scheme = round_scheme(s, r)
    assert r.id is not None  # a stored row has its id
    pool, focus = _unit_pool(s, r.id, focus_open_findings)
    if count is None:
        count = scheme.spotcheck.sample_size
    count = int(count)
    if count < 1 and not focus:
        raise Conflict("抽取数量至少为 1。")
    if count > len(pool):
        raise Conflict(f"抽取数量 {count} 超过可抽取单位数 {len(pool)}。")
    mpc = scheme.spotcheck.min_per_category if min_per_category is None else int(min_per_category)
    if mpc < 0:
        raise Conflict("每类最少抽取数不能为负。")
    return DrawPlan(
        pool,
        focus,
        count,
        mpc,
        sources,
        rfc3797.key_string(sources),
        rfc3797.source_entropy_bits(sources),
        rfc3797.entropy_bits(count, len(pool)),
    )


def draw_plan(
    db: Database,
    round_id: int,
    count: int | None,
    sources: list[str],
    *,
    min_per_category: int | None = None,
    focus_open_findings: bool = False,
) -> DrawPlan:
    """The preview of ``draw`` with the same arguments and the same checks; writes nothing."""
    sources = _clean_sources(sources)
    with db.read() as s:
        r = get_round(s, round_id)
        _refuse_second_draw(s, active_draw(s, round_id))
        return _draw_plan(s, r, count, min_per_category, focus_open_findings, sources)


def draw(
    db: Database,
    actor: Actor,
    round_id: int,
    count: int | None,
    sources: list[str],
    *,
    min_per_category: int | None = None,
    focus_open_findings: bool = False,
) -> DrawView:
    """Draw the units to inspect (RFC 3797) and move the round to 已抽取核查单位. ``count``
    defaults to the scheme's sample size, ``min_per_category`` to the scheme's setting. Refused
    while an earlier draw of the round stands (void it first, with a reason)."""
    from assess.models import SpotCheckDraw

    authorize(actor, "spotcheck.draw")
    sources = _clean_sources(sources)
    key = rfc3797.key_string(sources)
    with db.write() as s:
        r = lock_round(s, round_id)
        _refuse_second_draw(s, active_draw(s, round_id))
        plan = _draw_plan(s, r, count, min_per_category, focus_open_findings, sources)
        pool, focus, count, mpc = plan.pool, plan.focus, plan.count, plan.min_per_category
        scheme = round_scheme(s, r)
        selected = run_lottery(pool, count, key, mpc, list(scheme.categories))
        extras = {"min_per_category": mpc, "category_order": list(scheme.categories), "focus": focus}
        d = SpotCheckDraw(
            round_id=round_id,
            purpose="units",
            count=count,
            pool=pool,
            sources=sources,
            key_string=key,
            selected=selected,
            extras=extras,
            created_by=actor.username,
        )
        s.add(d)
        s.flush()
        audit.append(
            s,
            actor.username,
            "spotcheck.draw",
            {
                "round_id": round_id,
                "draw_id": d.id,
                "purpose": "units",
                "count": count,
                "pool": [p["code"] for p in pool],
                "sources": sources,
                "key_string": key,
                "selected": [x["code"] for x in selected],
                "focus": [f["code"] for f in focus],
                "min_per_category": mpc,
                **({"weights": _weights(pool)} if _weights(pool) else {}),
            },
        )
        set_stage(s, actor.username, r, Stage.SPOTCHECK_DRAWN, {"draw_id": d.id})
        return _view(d)


def _inspector_plan(
    s: Session, r: Round, count: int, sources: list[str], exclude: dict[str, str]
) -> DrawPlan:
    """The pool of inspectors a draw would use (active inspectors by user name, less those
    excused: ``focus`` lists them with their reason), checked as ``draw_inspectors`` checks it."""
    from sqlmodel import select

    from assess.models import User

    require_stage(r, Stage.SELFCHECK_CLOSED, Stage.SPOTCHECK_DRAWN, doing="随机抽取检查人员")
    assert r.id is not None  # a stored row has its id
    old = active_draw(s, r.id, "inspectors")
    if old is not None:
        raise Conflict(f"本轮已抽取检查人员（第 {old.id} 号抽取）；确需重抽，请先作废原抽取并说明理由。")
    people = s.exec(select(User).where(User.role == "inspector", User.active).order_by(User.username)).all()
    names = {u.username for u in people}
    unknown = [k for k in exclude if k not in names]
    if unknown:
        raise NotFound(f"不是在用的检查员：{'、'.join(unknown)}。")
    pool = [
        {"n": n, "code": u.username, "name": u.display_name, "category": "检查员"}
        for n, u in enumerate((u for u in people if u.username not in exclude), start=1)
    ]
    count = int(count)
    if not 1 <= count <= len(pool):
        raise Conflict(f"抽取人数 {count} 无效：可抽取的检查员共 {len(pool)} 名。")
    excused = [{"code": k, "name": k, "reason": v} for k, v in sorted(exclude.items())]
    return DrawPlan(
        pool,
        excused,
        count,
        0,
        sources,
        rfc3797.key_string(sources),
        rfc3797.source_entropy_bits(sources),
        rfc3797.entropy_bits(count, len(pool)),
    )


def _clean_exclude(exclude: dict[str, str] | None) -> dict[str, str]:
    exclude = {k.strip(): (v or "").strip() for k, v in (exclude or {}).items() if k and k.strip()}
    missing_reason = [k for k, v in exclude.items() if not v]
    if missing_reason:
        raise Conflict(f"回避需要写明理由：{'、'.join(missing_reason)}。")
    return exclude


def inspector_draw_plan(
    db: Database, round_id: int, count: int, sources: list[str], exclude: dict[str, str] | None = None
) -> DrawPlan:
    """The preview of ``draw_inspectors`` with the same arguments and checks; writes nothing."""
    sources = _clean_sources(sources)
    exclude = _clean_exclude(exclude)
    with db.read() as s:
        return _inspector_plan(s, get_round(s, round_id), count, sources, exclude)


def draw_inspectors(
    db: Database,
    actor: Actor,
    round_id: int,
    count: int,
    sources: list[str],
    exclude: dict[str, str] | None = None,
) -> DrawView:
    """Draw inspectors (the second 随机 of 双随机) from the active inspector accounts, sorted by
    user name, leaving out those with a declared conflict of interest (回避: name → reason)."""

    from assess.models import SpotCheckDraw

    authorize(actor, "spotcheck.draw")
    sources = _clean_sources(sources)
    key = rfc3797.key_string(sources)
    exclude = _clean_exclude(exclude)
    with db.write() as s:
        r = lock_round(s, round_id)
        plan = _inspector_plan(s, r, count, sources, exclude)
        pool, count = plan.pool, plan.count
        selected = run_lottery(pool, count, key)
        excluded = [{"code": f["code"], "reason": f["reason"]} for f in plan.focus]
        d = SpotCheckDraw(
            round_id=round_id,
            purpose="inspectors",
            count=count,
            pool=pool,
            sources=sources,
            key_string=key,
            selected=selected,
            extras={"excluded": excluded},
            created_by=actor.username,
        )
        s.add(d)
        s.flush()
        audit.append(
            s,
            actor.username,
            "spotcheck.draw",
            {
                "round_id": round_id,
                "draw_id": d.id,
                "purpose": "inspectors",
                "count": count,
                "pool": [p["code"] for p in pool],
                "sources": sources,
                "key_string": key,
                "selected": [x["code"] for x in selected],
                "excluded": excluded,
            },
        )
        return _view(d)


def void(db: Database, actor: Actor, round_id: int, reason: str, purpose: str = "units") -> None:
    """Void the standing draw with a written reason (kept, never deleted). Voiding the unit draw
    returns the round to 自查结束 so it can be drawn again; refused once verified scores exist."""
    from sqlalchemy import func
    from sqlmodel import select

    from assess.models import SpotCheckScore

    authorize(actor, "spotcheck.void")
    reason = (reason or "").strip()
    if not reason:
        raise Conflict("作废抽取必须写明理由。")
    with db.write() as s:
        r = lock_round(s, round_id)
        d = active_draw(s, round_id, purpose)
        if d is None:
            raise NotFound("本轮没有有效的抽取可作废。")
        if purpose == "units":
            require_stage(r, Stage.SPOTCHECK_DRAWN, doing="作废抽取")
            n = s.exec(
                select(func.count()).select_from(SpotCheckScore).where(SpotCheckScore.round_id == round_id)
            ).one()
            if n:
                raise Conflict(f"已录入 {n} 条核查得分，不能再作废这次抽取。")
        d.status = DrawStatus.VOID
        d.void_reason = reason
        s.add(d)
        s.flush()
        audit.append(
            s,
            actor.username,
            "spotcheck.void",
            {"round_id": round_id, "draw_id": d.id, "purpose": purpose, "reason": reason},
        )
        if purpose == "units":
            set_stage(s, actor.username, r, Stage.SELFCHECK_CLOSED, {"draw_id": d.id, "voided": True})


def verify(db: Database, round_id: int) -> VerifyReport:
    """Repeat every draw of the round from its published pool and sources and compare: key
    string, each digest and the selection; the stored draw against its audit record; and the
    unit pool against the round's participants."""
    from sqlmodel import col, select

    from assess.models import AuditRecord, SpotCheckDraw

    report = VerifyReport(ok=True)
    with db.read() as s:
        get_round(s, round_id)
        rows = s.exec(
            select(SpotCheckDraw).where(SpotCheckDraw.round_id == round_id).order_by(col(SpotCheckDraw.id))
        ).all()
        if not rows:
            raise NotFound("本轮尚未抽取，没有可复核的抽取。")
        records = {}
        for record in s.exec(select(AuditRecord).where(AuditRecord.action == "spotcheck.draw")).all():
            if record.payload.get("round_id") == round_id:
                records[record.payload.get("draw_id")] = record.payload
        codes = [u.code for u, _ru in participants(s, round_id)]
    for d in rows:
        label = f"第 {d.id} 号抽取"
        report.checked.append(d.id)
        problems: list[str] = []
        try:
            key = rfc3797.key_string(d.sources)
        except AssessError as e:
            problems.append(f"{label}的随机来源无效（{e}）")
            key = None
        if key is not None and key != d.key_string:
            problems.append(f"{label}的密钥串与随机来源不符（应为 {key}）")
        if key is not None:
            extras = d.extras or {}
            try:
                again = run_lottery(
                    list(d.pool),
                    d.count,
                    key,
                    int(extras.get("min_per_category", 0)),
                    list(extras.get("category_order", [])),
                )
            except AssessError as e:
                problems.append(f"{label}无法重算（{e}）")
                again = None
            if again is not None:
                got = [(x["code"], x["digest"]) for x in d.selected]
                want = [(x["code"], x["digest"]) for x in again]
                if got != want:
                    problems.append(
                        f"{label}的结果与重算不符：记录为 {'、'.join(c for c, _ in got)}，"
                        f"重算为 {'、'.join(c for c, _ in want)}"
                    )
        rec = records.get(d.id)
        if rec is None:
            problems.append(f"{label}在审计日志中没有记录")
        elif (
            rec.get("pool") != [p["code"] for p in d.pool]
            or rec.get("sources") != list(d.sources)
            or rec.get("key_string") != d.key_string
            or rec.get("selected") != [x["code"] for x in d.selected]
            or rec.get("weights", {}) != _weights(d.pool)
        ):
            problems.append(f"{label}与审计日志中的记录不一致（名单、来源或结果被改动）")
        if d.purpose == "units":
            focus = {f["code"] for f in (d.extras or {}).get("focus", [])}
            if [p["code"] for p in d.pool] != [c for c in codes if c not in focus]:
                problems.append(f"{label}公布的名单与本轮参加单位（按编码排序）不一致")
        report.problems.extend(problems)
    report.ok = not report.problems
    return report


# Verified scores and the comparison live in ``assess.rounds.verified``; they are re-exported here
# because they belong to the spot-check.
