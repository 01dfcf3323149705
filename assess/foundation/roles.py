"""Roles and the role × action table. Every write in ``assess/`` is a service function that calls
``authorize(actor, action)`` before it touches the database; the UI's own checks are only a
convenience. ``docs/roles.md`` is generated from ``ACTIONS`` (see ``assess roles``)."""

from __future__ import annotations

from dataclasses import dataclass

ROLES: dict[str, str] = {
    "admin": "管理员",
    "clerk": "录入员",
    "inspector": "检查员",
    "reviewer": "审核员",
    "committee": "评审委员",
}

A = "admin"
C = "clerk"
I = "inspector"  # noqa: E741
R = "reviewer"
M = "committee"

# action → (roles allowed, description). Grouped by area.
ACTIONS: dict[str, tuple[frozenset[str], str]] = {
    # users and organisation
    "user.add": (frozenset({A}), "新增用户"),
    "user.deactivate": (frozenset({A}), "停用用户"),
    "user.password": (frozenset({A}), "重设他人密码"),
    "user.unit": (frozenset({A}), "设定用户所属单位"),
    "unit.add": (frozenset({A, C}), "新增单位"),
    "unit.edit": (frozenset({A, C}), "修改单位"),
    "unit.deactivate": (frozenset({A}), "停用单位"),
    "unit.import": (frozenset({A, C}), "导入单位"),
    "cadre.add": (frozenset({A, C}), "新增干部"),
    "cadre.edit": (frozenset({A, C}), "修改干部"),
    "cadre.deactivate": (frozenset({A}), "停用干部"),
    "cadre.import": (frozenset({A, C}), "导入干部"),
    # schemes
    "scheme.load": (frozenset({A}), "载入考核方案版本"),
    # rounds
    "round.create": (frozenset({A}), "创建考核轮次"),
    "annual.create": (frozenset({A}), "创建年度考核轮次"),
    "round.advance": (frozenset({A}), "推进轮次阶段"),
    "selfcheck.enter": (frozenset({A, C}), "录入自查得分"),
    "selfcheck.import": (frozenset({A, C}), "导入自查得分"),
    "selfcheck.submit": (frozenset({A, C}), "确认单位自查已提交"),
    "spotcheck.draw": (frozenset({A, I}), "随机抽取核查单位"),
    "spotcheck.void": (frozenset({A}), "作废抽取结果"),
    "spotcheck.enter": (frozenset({I}), "录入核查得分"),
    "spotcheck.import": (frozenset({I}), "导入核查得分"),
    "score.enter": (frozenset({A, C, I}), "录入职能部门评分"),
    "exemption.request": (frozenset({A, C}), "申请合理缺项"),
    "exemption.decide": (frozenset({A, R}), "审批合理缺项"),
    "finding.add": (frozenset({I}), "登记问题"),
    "rectification.issue": (frozenset({I, A}), "下发整改通知"),
    "rectification.update": (frozenset({I, C}), "登记整改进展"),
    "rectification.close": (frozenset({I}), "复查销号"),
    "adjustment.add": (frozenset({A, R}), "登记加减分"),
    "discipline.add": (frozenset({A, R}), "登记纪律处分记录"),
    # appraisal
    "appraisal.session": (frozenset({A, C}), "设立评议会议"),
    "appraisal.statement": (frozenset({A, C}), "记录述职述廉与询问质询"),
    "batch.create": (frozenset({A, C}), "登记选票批次"),
    "ballot.enter": (frozenset({C}), "录入选票"),
    "ballot.import": (frozenset({C}), "导入选票"),
    "tally.import": (frozenset({C}), "导入计票汇总"),
    "batch.resolve": (frozenset({R}), "对照原始选票处理不一致"),
    "batch.certify": (frozenset({R}), "核定选票批次"),
    "batch.void": (frozenset({R}), "作废选票批次"),
    # results, review, publication
    "results.compute": (frozenset({A, R}), "计算综合得分与排名"),
    "accountability.decide": (frozenset({R}), "确认或免予问责"),
    "blacklist.enter": (frozenset({A, R}), "列入黑名单"),
    "blacklist.exit": (frozenset({A, R}), "移出黑名单"),
    "round.deadline": (frozenset({A}), "设定阶段期限"),
    "cadre.pledge": (frozenset({A, C}), "登记年初承诺"),
    "review.first": (frozenset({C}), "初审"),
    "review.audit": (frozenset({R}), "审核"),
    "review.recheck": (frozenset({R}), "复核"),
    "review.vote": (frozenset({M}), "审议票决"),
    "round.publish": (frozenset({A}), "定稿并冻结"),
    "publicity.open": (frozenset({A}), "开始公示（公示稿）"),
    "objection.add": (frozenset({A, C}), "登记公示期异议"),
    "objection.answer": (frozenset({A, R}), "答复异议（维持或采纳）"),
    # maintenance
    "db.backup": (frozenset({A}), "备份数据库"),
    "db.restore": (frozenset({A}), "恢复数据库"),
}


# Audit record actions that are not role-checked actions of their own (they are recorded by one).
RECORD_LABELS: dict[str, str] = {
    "round.stage": "轮次阶段变更",
    "selfcheck.reopen": "退回单位自查",
    "appraisal.targets": "设定评议对象",
    "appraisal.question": "记录询问质询",
    "appraisal.answer": "记录答复",
    "appraisal.attendance": "登记应到实到人数",
    "appraisal.certify": "核定评议会议",
    "rectification.recheck_failed": "复查不合格，退回整改",
    "unit.activate": "启用单位",
    "cadre.activate": "启用干部",
    "user.activate": "启用用户",
    "ballot.pass.open": "开始一遍选票录入",
    "ballot.pass.close": "完成一遍选票录入",
    "ballot.pass.delete": "删除一遍选票录入",
    "adjustment.import": "导入加减分",
    "score.import": "导入职能部门评分",
    "batch.counts": "登记批次发出与收回张数",
    "user.login.failed": "登录失败",
}


def action_label(action: str) -> str:
    """The Chinese name of an action or audit record action (the code itself if unknown)."""
    if action in ACTIONS:
        return ACTIONS[action][1]
    return RECORD_LABELS.get(action, action)


@dataclass(frozen=True)
class Actor:
    """Who is acting. ``username`` goes into every audit record."""

    username: str
    role: str
    display_name: str = ""

    @property
    def label(self) -> str:
        return self.display_name or self.username


SYSTEM = Actor("system", "admin", "系统")


def allowed(role: str, action: str) -> bool:
    roles, _ = ACTIONS[action]
    return role in roles




def roles_table_markdown() -> str:
    roles = list(ROLES)
    head = "| 操作 | action | " + " | ".join(ROLES[r] for r in roles) + " |"
    sep = "|---|---|" + "---|" * len(roles)
    rows = [head, sep]
    for action, (allowed_roles, desc) in ACTIONS.items():
        cells = " | ".join("✓" if r in allowed_roles else "" for r in roles)
        rows.append(f"| {desc} | `{action}` | {cells} |")
    return "\n".join(rows) + "\n"
