"""The areas of the application: the key that opens each, its title, and the screen class.

The app builds its F-key bindings, the dashboard's menu and the command palette entries from this
one list, so an area added here is reachable all three ways. Screen classes are imported only when
opened (``module:Class``), which keeps start-up fast.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from tui.rights import role_may


@dataclass(frozen=True)
class Area:
    name: str  # identifier
    fkey: str  # F-key binding ("" for areas reached by letter and palette only)
    letter: str  # plain key on the dashboard
    title: str
    help: str
    target: str  # "module:Class"
    needs: str | None = None  # core action (assess.foundation.roles) the role must be allowed; None: every role

    def open_to(self, actor) -> bool:
        return role_may(actor, self.needs)

    def load(self):
        module, cls = self.target.split(":")
        return getattr(importlib.import_module(module), cls)


AREAS: list[Area] = [
    Area("dashboard", "f2", "d", "总览", "各考核轮次的进度与待办", "tui.dashboard:DashboardScreen"),
    Area("units", "f3", "u", "单位与干部", "查询、新增、修改、停用单位和干部；导入名单", "tui.units:UnitsScreen"),
    Area("schemes", "f4", "s", "考核方案", "指标体系、权重、等次、评议表和问责规则；载入、校验、比较版本", "tui.schemes:SchemesScreen"),
    Area("rounds", "f5", "r", "考核轮次", "创建轮次、推进阶段、自查录入、随机抽查、核查与整改", "tui.rounds:RoundsScreen"),
    Area("ballots", "f6", "b", "评议计票", "评议会议、选票录入、双人比对、核定与计票", "tui.appraisal:AppraisalScreen"),
    # F4 考核方案 · F5 考核轮次 · F6 评议计票 · F7 排名 · F8 问责与审批 · F9 导出报告 (added by their areas)
    Area("rankings", "f7", "k", "排名结果", "综合得分、分类排名、等次与区间", "tui.rankings:RankingsScreen"),
    Area("review", "f8", "a", "问责与审批", "问责名单确认、初审审核复核、票决与公示", "tui.review:ReviewScreen"),
    Area("export", "f9", "e", "导出报告", "生成公示报告、图表、表格和通知", "tui.export:ExportScreen"),
    Area("adjust", "", "j", "加减分与处理", "登记加减分、处分与组织处理记录", "tui.adjustments:AdjustmentsScreen"),
    Area("users", "", "p", "用户与角色", "列出、新增、停用用户，重设密码（管理员）", "tui.users:UsersScreen", "user.add"),
    Area("backup", "", "y", "备份与恢复", "在线备份数据库、从备份恢复（管理员）", "tui.maintenance:MaintenanceScreen", "db.backup"),
    Area("blacklist", "", "h", "黑名单", "列入、移出黑名单，列入与移出日期和理由", "tui.blacklist:BlacklistScreen"),
    Area("audit", "f10", "l", "审计日志", "查看审计记录，校验哈希链", "tui.audit_log:AuditLogScreen"),
]


def area(name: str) -> Area:
    for a in AREAS:
        if a.name == name:
            return a
    raise KeyError(name)
