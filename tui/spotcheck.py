"""抽查核查: the verifiable draw (RFC 3797) — enter the announced sources, draw, see the numbered
pool, the key string and the result; verify it; void it with a reason; then enter or import the
verified scores of the drawn units and compare them with the self-check (虚报)."""

from __future__ import annotations

import re

from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.widgets import DataTable, Footer, Header, Static

from assess.foundation.errors import Conflict
from assess.foundation.private_files import export_path
from assess.foundation.users import names_of
from assess.rounds.selfcheck import export_template, import_scores
from assess.rounds.spotcheck import (
    current_draw,
    draw,
    draw_inspectors,
    draw_plan,
    inspector_draw_plan,
    pool_preview,
    verify,
    void,
)
from assess.workflow.advance import round_status
from tui.base import AssessScreen, plain
from tui.forms import ConfirmDialog, FieldSpec, FormDialog, ImportDialog
from tui.selfcheck import ScoreEntryScreen
from tui.spotcheck_compare import ComparisonScreen
from tui.tables import TableFill, cell

SOURCE_SPLIT = re.compile(r"[/;；|]")
HINT = "d 抽取 · r 抽人员 · v 复核 · x 作废 · e 录核查 · i 导入 · t 核查表 · m 对比 · Esc 返回"


def split_sources(text: str) -> list[str]:
    """Sources typed on one line, separated by “/” (as in the key string) or “;”."""
    return [s.strip() for s in SOURCE_SPLIT.split(text) if s.strip()]


def draw_args(values: dict[str, str]) -> dict:
    """The draw form's values as ``assess.rounds.spotcheck.draw`` arguments."""

    def number(name: str, label: str) -> int | None:
        text = values[name].strip()
        if not text:
            return None
        if not text.isdigit():
            raise Conflict(f"{label}“{text}”应为整数。")
        return int(text)

    return {
        "count": number("count", "抽取数量"),
        "sources": split_sources(values["sources"]),
        "min_per_category": number("min", "每类最少"),
        "focus_open_findings": values["focus"].strip().lower() in ("y", "yes", "是", "1"),
    }


def plan_text(plan, inspectors: bool = False) -> str:
    """What the draw will do, to read before confirming: the numbered pool, the key string."""
    what = "名检查员" if inspectors else "个单位"
    lines = [f"从下列 {len(plan.pool)} {what}中抽取 {plan.count} {what[0]}"
             + (f"，每类至少 {plan.min_per_category} 个" if plan.min_per_category else "") + "："]
    lines += [f"{p['n']:>3}. {p['code']} {p['name']}（{p.get('category') or ''}）"
              + (f" 重点权重 {p['weight']}：{p.get('weight_reason', '')}" if p.get("weight") else "") for p in plan.pool]
    if plan.focus:
        lines.append("回避（不参加抽取）：" if inspectors else "重点单位（有未销号问题，不参加抽取，直接核查）：")
        lines += [f"  {f['code']} {f['name']}：{f['reason']}" for f in plan.focus]
    lines.append(f"随机来源：{' / '.join(plan.sources)}")
    lines.append(f"密钥串（RFC 3797）：{plan.key_string}")
    lines.append(f"来源约含 {plan.entropy_bits:.0f} 位随机性，本次抽取需要 {plan.needed_bits:.0f} 位"
                 + ("" if plan.entropy_bits >= plan.needed_bits else "：来源不足，建议增加来源后再抽") + "。")
    return "\n".join(lines)


def inspector_args(values: dict[str, str]) -> dict:
    """The inspector draw form's values as ``assess.rounds.spotcheck.draw_inspectors`` arguments."""

    count = values["count"].strip()
    if not count.isdigit():
        raise Conflict(f"抽取人数“{count}”应为整数。")
    exclude: dict[str, str] = {}
    for item in re.split(r"[;；]", values["exclude"]):
        if not item.strip():
            continue
        name, sep, reason = item.replace("＝", "=").partition("=")
        if not sep:
            raise Conflict(f"回避“{item.strip()}”应写成 用户名=理由。")
        exclude[name.strip()] = reason.strip()
    return {"count": int(count), "sources": split_sources(values["sources"]), "exclude": exclude}


class SpotCheckScreen(AssessScreen):
    CSS_PATH = "spotcheck.tcss"
    BINDINGS = [
        Binding("escape", "back", "返回"),
        Binding("d", "draw", "抽取"),
        Binding("v", "verify", "复核"),
        Binding("x", "void", "作废"),
        Binding("e", "enter_verified", "录入核查"),
        Binding("i", "import", "导入核查"),
        Binding("t", "template", "核查表", show=False),
        Binding("m", "compare", "对比"),
        Binding("o", "order", "排序", show=False),
        Binding("r", "draw_inspectors", "抽取检查人员", show=False),
        Binding("g", "refresh", "刷新", show=False),
    ]
    ACTION_RIGHTS = {"draw": "spotcheck.draw", "void": "spotcheck.void", "enter_verified": "spotcheck.enter",
                     "import": "spotcheck.import", "draw_inspectors": "spotcheck.draw"}

    def __init__(self, round_id: int) -> None:
        super().__init__()
        self.round_id = round_id
        self.view = None
        self.status = None
        self.pool: list = []
        self.inspectors = None
        self.names: dict[str, str] = {}
        self.by_selection = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="draw-title", classes="title")
        yield Static("", id="draw-info")
        yield DataTable(id="draw-table", cursor_type="row", zebra_stripes=True)
        yield Static(HINT, id="draw-status", classes="status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#draw-table", DataTable).focus()

    def on_screen_resume(self) -> None:
        self.action_refresh()

    # -- data ---------------------------------------------------------------------------------
    def action_refresh(self) -> None:
        def load(db, rid):
            view = current_draw(db, rid)
            pool = pool_preview(db, rid)[0] if view is None else []

            return round_status(db, rid), view, pool, current_draw(db, rid, "inspectors"), names_of(db)

        self.run_core(load, self.db, self.round_id, on_done=self._show, latest="load")

    def _show(self, result) -> None:
        self.status, self.view, self.pool, self.inspectors, self.names = result
        r = self.status.round
        self.query_one("#draw-title", Static).update(
            plain(f"随机抽查 · {r.name}（{r.period}） · {r.stage_label}")
        )
        info = self.query_one("#draw-info", Static)
        table = TableFill(self.query_one("#draw-table", DataTable), "名单号", "编码", "单位", "类别", "抽中", "MD5")
        v = self.view
        if v is None:
            todo = "；".join(self.status.blockers)
            info.update(
                plain(
                    f"尚未抽取。{('待办：' + todo) if todo else ''}\n"
                    "下表为抽取名单（本轮参加单位按编码排序、编号），请在抽取前公布；按 d 输入事先公布的随机来源并抽取。"
                )
            )
            for p in self.pool:
                table.add_row(
                    str(p["n"]),
                    cell(p["code"]),
                    cell(p["name"]),
                    cell(p.get("category") or ""),
                    cell(f"权重 {p['weight']}") if p.get("weight") else "",
                    "",
                    key=p["code"],
                )
            table.done()
            return
        sources = " / ".join(v.sources)
        text = (
            f"第 {v.id} 号抽取（{self.names.get(v.created_by, v.created_by)}）：从 {len(v.pool)} 个单位中抽取 {v.count} 个"
            f"{'，每类至少 ' + str(v.min_per_category) + ' 个' if v.min_per_category else ''}\n"
            f"随机来源：{sources}\n密钥串：{v.key_string}\n"
            f"抽中顺序：{'、'.join(v.selected_codes) or '—'}"
            f"{'；重点：' + '、'.join(f['code'] for f in v.focus) if v.focus else ''}"
        )
        if self.inspectors is not None:
            text += (
                f"\n检查人员（第 {self.inspectors.id} 号抽取）：{'、'.join(self.inspectors.selected_codes)}"
            )
        info.update(plain(text))
        chosen = {x["code"]: x for x in v.selected}
        rows = [(p, chosen.get(p["code"])) for p in v.pool]
        if self.by_selection:
            rows.sort(key=lambda pc: (pc[1] is None, pc[1]["order"] if pc[1] else pc[0]["n"]))
        for p, x in rows:
            mark = cell(f"第 {x['order']} 个", "bold") if x else ""
            table.add_row(
                str(p["n"]),
                cell(p["code"]),
                cell(p["name"]),
                cell(p.get("category") or ""),
                mark,
                x["digest"][:12] if x else "",
                key=p["code"],
            )
        for f in v.focus:
            table.add_row(
                "—",
                cell(f["code"]),
                cell(f["name"]),
                cell(f.get("category") or ""),
                cell("重点", "bold"),
                cell(f["reason"]),
                key=f"focus-{f['code']}",
            )
        table.done()

    # -- actions ------------------------------------------------------------------------------
    def action_back(self) -> None:
        self.app.pop_screen()

    def action_order(self) -> None:
        self.by_selection = not self.by_selection
        if self.status is not None:
            self._show((self.status, self.view, self.pool, self.inspectors, self.names))

    def action_draw(self) -> None:
        db, rid = self.db, self.round_id
        fields = [
            FieldSpec("count", "抽取数量（空：取方案设定）"),
            FieldSpec(
                "sources",
                "随机来源（事先公布的整数，多个来源用 / 分隔）",
                placeholder="如 3 7 12 18 25 31 / 09 / 4471",
            ),
            FieldSpec("min", "每类最少抽取（空：取方案设定）"),
            FieldSpec("focus", "有未销号问题的单位作为重点直接核查？（y/n）", "n"),
        ]

        def preview(v: dict[str, str]):
            args = draw_args(v)
            return args, draw_plan(db, rid, **args)

        def confirm(result) -> None:
            if not result:
                return
            args, plan = result
            question = "抽取一经确认即记入审计日志、不可撤回（只能作废并说明理由）。现在抽取？"
            self.app.push_screen(ConfirmDialog(question, plan_text(plan)),
                                 lambda ok: self._draw(args) if ok else None)

        self.app.push_screen(FormDialog("随机抽取核查单位（RFC 3797）", fields, preview), confirm)

    def _draw(self, args: dict) -> None:
        def done(view) -> None:
            self.show_info(f"已抽取：{'、'.join(view.selected_codes)}")
            self.action_refresh()

        self.run_core(draw, self.db, self.actor, self.round_id, args.pop("count"), args.pop("sources"), **args,
                      on_done=done)

    def action_draw_inspectors(self) -> None:
        db, rid = self.db, self.round_id
        fields = [
            FieldSpec("count", "抽取人数"),
            FieldSpec("sources", "随机来源（事先公布的整数，多个来源用 / 分隔）"),
            FieldSpec("exclude", "回避（可空）：用户名=理由，多人用 ; 分隔"),
        ]

        def preview(v: dict[str, str]):
            args = inspector_args(v)
            return args, inspector_draw_plan(db, rid, **args)

        def confirm(result) -> None:
            if not result:
                return
            args, plan = result
            question = "抽取一经确认即记入审计日志、不可撤回（只能作废并说明理由）。现在抽取检查人员？"
            self.app.push_screen(ConfirmDialog(question, plan_text(plan, inspectors=True)),
                                 lambda ok: self._draw_inspectors(args) if ok else None)

        self.app.push_screen(FormDialog("随机抽取检查人员（RFC 3797）", fields, preview), confirm)

    def _draw_inspectors(self, args: dict) -> None:
        def done(view) -> None:
            self.show_info(f"已抽取检查人员：{'、'.join(view.selected_codes)}")
            self.action_refresh()

        self.run_core(draw_inspectors, self.db, self.actor, self.round_id, args["count"], args["sources"],
                      args["exclude"], on_done=done)

    def action_verify(self) -> None:
        def shown(report) -> None:
            status = self.query_one("#draw-status", Static)
            if report.ok:
                status.update(plain(report.message()))
                self.show_info(report.message())
            else:
                status.update(Content.styled(report.message(), "bold red"))
                self.show_error(report.message())

        self.run_core(verify, self.db, self.round_id, on_done=shown)

    def action_void(self) -> None:
        db, actor, rid = self.db, self.actor, self.round_id

        def done(result) -> None:
            if result:
                self.show_info("抽取已作废，可重新抽取")
                self.action_refresh()

        self.app.push_screen(
            FormDialog(
                "作废本轮抽取（记录保留，可重新抽取）",
                [FieldSpec("reason", "作废理由")],
                lambda v: void(db, actor, rid, v["reason"]) or True,
            ),
            done,
        )

    def action_enter_verified(self) -> None:
        self.app.push_screen(ScoreEntryScreen(self.round_id, "verified"))

    def action_import(self) -> None:
        db, actor, rid = self.db, self.actor, self.round_id
        dialog = ImportDialog(
            "导入核查得分",
            "CSV/XLSX，表头：unit_code,indicator_code,score[,note]，只限本轮抽中单位；"
            "有任何错误则全部不导入。",
            lambda p: import_scores(db, actor, rid, p, kind="verified"),
        )

        def done(n) -> None:
            if n:
                self.show_info(f"已导入 {n} 条核查得分")
                self.action_refresh()

        self.app.push_screen(dialog, done)

    def action_template(self) -> None:
        db, rid = self.db, self.round_id

        fields = [FieldSpec("path", "保存到", str(export_path(f"核查表_{rid}.xlsx")))]

        def done(path) -> None:
            if path:
                self.show_info(f"已导出：{path}")

        self.app.push_screen(
            FormDialog(
                "导出核查表（XLSX，含自查得分）",
                fields,
                lambda v: export_template(db, rid, None, v["path"].strip(), kind="verified"),
            ),
            done,
        )

    def action_compare(self) -> None:
        self.app.push_screen(ComparisonScreen(self.round_id))
