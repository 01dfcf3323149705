"""The schemes in the database: loading a file as a new version, listing schemes and versions,
showing a version's indicator tree and settings, and comparing two versions.

A version never changes once stored; rounds point at the version they were created under, so
loading a revised file never alters a round already under way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from assess.foundation.accounts import authorize
from assess.foundation.errors import Conflict, NotFound
from assess.foundation.roles import Actor
from assess.foundation.thresholds import quorum_rule_text
from assess.foundation.vocabulary import METHOD_LABELS, Method
from assess.org import units
from assess.schemes.builtin import validate_source
from assess.schemes.definition import SchemeDef
from assess.schemes.diff import COMPONENT_NAMES, Change, diff_schemes
from assess.schemes.provenance import indicator_provenance, settings_provenance
from assess.schemes.store import load_definition, store_version

if TYPE_CHECKING:
    from assess.foundation.db import Database

@dataclass
class LoadResult:
    code: str
    name: str
    version: int
    version_id: int
    created: bool  # False: the newest version already had this content
    content_hash: str
    source_name: str
    warnings: list[str] = field(default_factory=list)

    def message(self) -> str:
        if self.created:
            return f"已载入考核方案 {self.code}（{self.name}）第 {self.version} 版"
        return f"考核方案 {self.code} 的内容与第 {self.version} 版相同，未新建版本"


@dataclass
class SchemeRow:
    code: str
    name: str
    versions: int
    latest_version: int
    latest_version_id: int
    content_hash: str
    loaded_at: datetime
    loaded_by: str
    rounds: int


@dataclass
class VersionRow:
    id: int
    code: str
    name: str
    version: int
    content_hash: str
    source_name: str
    created_at: datetime
    created_by: str
    rounds: int


@dataclass
class IndicatorRow:
    code: str
    name: str
    level: int
    parent_code: str | None
    is_leaf: bool
    method: str | None
    method_label: str
    max: float
    target: float | None
    categories: list[str]
    unit_of_measure: str | None
    evidence: str | None
    source: str | None
    provenance: str = ""  # 依据 … / 示例，由考核办确定（…）, inherited along the tree
    example: bool = False  # its figures are the office's example



def _category_warnings(db: Database, scheme: SchemeDef) -> list[str]:
    missing = [c for c in units.categories(db) if c not in scheme.categories]
    if not missing:
        return []
    return [f"单位类别“{c}”不在方案的 categories 中：该类别的单位只适用不限类别的指标" for c in missing]


def load_scheme(db: Database, actor: Actor, source: str | Path) -> LoadResult:
    """Validate a scheme file (or a shipped scheme by name) and store it as the scheme's next
    version, with an audit record. Nothing is written when the file has any problem."""
    from sqlalchemy.exc import IntegrityError

    authorize(actor, "scheme.load")
    checked = validate_source(source)
    scheme = checked.scheme
    warnings = [*checked.warnings, *_category_warnings(db, scheme)]
    try:
        with db.write() as s:
            version, created = store_version(
                s, actor.username, scheme, checked.source_name, checked.source_text
            )
            result = LoadResult(
                scheme.code,
                scheme.name,
                version.version,
                version.id,
                created,
                version.content_hash,
                version.source_name,
                warnings,
            )
    except IntegrityError:
        raise Conflict(f"考核方案 {scheme.code} 正被其他用户同时载入，请稍后重试。") from None
    return result


def _round_counts(s) -> dict[int, int]:
    from sqlalchemy import func
    from sqlmodel import col, select

    from assess.models import Round

    return dict(s.exec(select(Round.scheme_version_id, func.count()).group_by(col(Round.scheme_version_id))).all())


def list_schemes(db: Database) -> list[SchemeRow]:
    """Every scheme with its newest version, in code order."""
    from sqlmodel import select

    from assess.models import Scheme, SchemeVersion

    with db.read() as s:
        rounds = _round_counts(s)
        versions = s.exec(
            select(
                SchemeVersion.scheme_id,
                SchemeVersion.id,
                SchemeVersion.version,
                SchemeVersion.content_hash,
                SchemeVersion.created_at,
                SchemeVersion.created_by,
            ).order_by(SchemeVersion.version)
        ).all()
        schemes = s.exec(select(Scheme.id, Scheme.code, Scheme.name).order_by(Scheme.code)).all()
    by_scheme: dict[int, list] = {}
    for v in versions:
        by_scheme.setdefault(v.scheme_id, []).append(v)
    out = []
    for sid, code, name in schemes:
        mine = by_scheme.get(sid)
        if not mine:
            continue
        latest = mine[-1]
        out.append(
            SchemeRow(
                code,
                name,
                len(mine),
                latest.version,
                latest.id,
                latest.content_hash,
                latest.created_at,
                latest.created_by,
                sum(rounds.get(v.id, 0) for v in mine),
            )
        )
    return out


def list_versions(db: Database, code: str) -> list[VersionRow]:
    """The versions of one scheme, oldest first."""
    from sqlmodel import col, select

    from assess.models import Scheme, SchemeVersion

    with db.read() as s:
        scheme = s.exec(select(Scheme).where(Scheme.code == code)).first()
        if scheme is None:
            raise NotFound(f"考核方案“{code}”不存在。")
        rounds = _round_counts(s)
        rows = s.exec(
            select(SchemeVersion).where(SchemeVersion.scheme_id == scheme.id).order_by(col(SchemeVersion.version))
        ).all()
        return [
            VersionRow(
                v.id,
                code,
                scheme.name,
                v.version,
                v.content_hash,
                v.source_name,
                v.created_at,
                v.created_by,
                rounds.get(v.id, 0),
            )
            for v in rows
        ]


def version_id_of(s, code: str, version: int | None) -> int:
    from sqlmodel import col, select

    from assess.models import Scheme, SchemeVersion

    q = (
        select(SchemeVersion.id, SchemeVersion.version)
        .join(Scheme, col(Scheme.id) == SchemeVersion.scheme_id)
        .where(Scheme.code == code)
    )
    if version is not None:
        q = q.where(SchemeVersion.version == version)
    row = s.exec(q.order_by(col(SchemeVersion.version).desc())).first()
    if row is None:
        raise NotFound(f"考核方案“{code}”{'' if version is None else f'第 {version} 版'}不存在。")
    return row[0]


def get_definition(db: Database, code: str, version: int | None = None) -> SchemeDef:
    """A version's definition (the newest when ``version`` is None)."""
    with db.read() as s:
        return load_definition(s, version_id_of(s, code, version))


def version_source(db: Database, code: str, version: int | None = None) -> tuple[str, str]:
    """(source name, text) of the file a version was loaded from, exactly as loaded."""
    from assess.models import SchemeVersion

    with db.read() as s:
        v = s.get(SchemeVersion, version_id_of(s, code, version))
        assert v is not None  # version_id_of found it in this transaction
        return v.source_name, v.source_text


def indicator_rows(scheme: SchemeDef) -> list[IndicatorRow]:
    """The indicator tree, depth first in file order."""

    provs = indicator_provenance(scheme)
    return [
        IndicatorRow(
            i.code,
            i.name,
            level,
            parent,
            i.is_leaf,
            i.method,
            METHOD_LABELS.get(i.method, i.method or ""),
            i.max,
            i.target,
            list(i.categories),
            i.unit_of_measure,
            i.evidence,
            i.source,
            provs[i.code].text(),
            provs[i.code].example,
        )
        for i, level, parent in scheme.walk()
    ]


def category_totals(scheme: SchemeDef) -> dict[str, float]:
    """Per unit category, the points the indicator component is divided by (Σ max of the
    points/deduct/ratio leaves that apply)."""
    return {
        c: sum(leaf.max for leaf in scheme.leaves_for(c) if leaf.method in (Method.POINTS, Method.DEDUCT, Method.RATIO))
        for c in scheme.categories
    }


def settings_rows(scheme: SchemeDef) -> list[tuple[str, str]]:
    """What a version decides besides the indicators, as (item, value) lines for people."""
    names = COMPONENT_NAMES
    rows = [
        ("方案", f"{scheme.code} {scheme.name}"),
        ("单位类别", "、".join(scheme.categories)),
        ("综合得分", " + ".join(f"{names.get(k, k)} {v:g}%" for k, v in scheme.weights.items())),
        ("指标满分", "；".join(f"{c} {t:g} 分" for c, t in category_totals(scheme).items())),
    ]
    if scheme.appraisal_form:
        rows.append(("计入综合得分的评议表", scheme.appraisal_form))
    bands = sorted(scheme.bands, key=lambda b: -b.min)
    rows.append(
        ("等次", "；".join(f"{b.grade} [{b.min:g}, {b.max:g}{']' if b.include_max else ')'}" for b in bands))
    )
    for q in scheme.quotas:
        rows.append(("名额限制", f"{q.grade} 不超过本类别 {q.max_share:.0%}（{q.rounding}）"))
    if scheme.no_excellent_if:
        rows.append(("不得评为最高等次", "、".join(scheme.no_excellent_if)))
    if scheme.tie_break:
        rows.append(("同分比较", " → ".join(names.get(t, t) for t in scheme.tie_break)))
    sc = scheme.spotcheck
    cap = f"，最多 {sc.penalty_cap:g} 分" if sc.penalty_cap is not None else ""
    rows.append(
        (
            "抽查核查",
            f"抽取 {sc.sample_size} 个单位（每类至少 {sc.min_per_category} 个）；"
            f"自查高出核查 {sc.tolerance:g} 分以上为虚报，每项扣 {sc.penalty:g} 分{cap}",
        )
    )
    for f in scheme.forms:
        kind = "单位民主评议" if f.kind == "unit" else "干部勤廉双述"
        opts = "、".join(
            o.label + (f" {o.points:g}" if o.points is not None else "（不计）") for o in f.options
        )
        groups = "、".join(
            f"{g.name} {g.weight:g}" + (f"（{'、'.join(g.categories)}）" if g.categories else "")
            for g in f.voter_groups
        )
        rows.append(
            (
                f"评议表 {f.code}",
                f"{f.name}（{kind}）：{opts}；投票人 {groups}；{quorum_rule_text(f.quorum, f.quorum_op)}",
            )
        )
        if f.limited_option and f.max_limited:
            rows.append(
                (f"评议表 {f.code}", f"每张票“{f.limited_option}”最多 {f.max_limited} 个，超出则整张作废")
            )
        if f.cadre_rules:
            cr = f.cadre_rules
            fit = "、".join(o.label for o in f.options if o.satisfied)
            rows.append(
                (
                    f"评议表 {f.code}",
                    f"“{cr.unfit_option}”票超过 {cr.unfit_share:.1%} 定为{cr.unfit_option}；"
                    f"“{fit}”票合计达 {cr.excellent_min_fit_share:.0%} 方可评{cr.excellent_option}；"
                    f"连续 {cr.consecutive_unfit} 次{cr.unfit_option}提出责令辞职",
                )
            )
    for r in scheme.rules:
        rows.append((f"问责 {r.code}", f"{r.text or r.kind} → {r.action}"))
    for f in scheme.forms:
        if f.held == "annual":
            rows.append((f"评议表 {f.code}", "每年年末举行一次，在年度考核轮次中举行"))
    if scheme.annual is not None:
        a = scheme.annual
        w = a.weights
        precision = scheme.precision if a.precision is None else a.precision
        text = (
            f"年度综合得分 = 季度平均 × {w.get('quarters', 0):g}% + 年终考核 × {w.get('year_end', 0):g}%，"
            f"保留 {precision} 位小数后排名；缺季度不计入平均（不按 0 分），并标注"
        )
        if a.bands:
            text += "；年度等次 " + "；".join(
                f"{b.grade} [{b.min:g}, {b.max:g}{']' if b.include_max else ')'}"
                for b in sorted(a.bands, key=lambda b: -b.min)
            )
        for q in a.quotas:
            text += f"；年度“{q.grade}”不超过本类别 {q.max_share:.0%}（{q.rounding}）"
        if a.skip_rules:
            text += f"；不用于年度结果的问责规则 {'、'.join(a.skip_rules)}"
        rows.append(("年度考核", text))

    if scheme.source:
        rows.append(("依据文件", scheme.source))
    for item, p in settings_provenance(scheme):
        rows.append((f"出处：{item}", p.text()))
    return rows


def diff_versions(db: Database, code: str, old: int, new: int) -> list[Change]:
    """What changed from version ``old`` to version ``new`` of a scheme."""
    with db.read() as s:
        a = load_definition(s, version_id_of(s, code, old))
        b = load_definition(s, version_id_of(s, code, new))
    return diff_schemes(a, b)
