"""计票结果 of a session: per target the weighted score, 满意率, counted votes and missing voter
groups (and for 勤廉双述 the 不称职/称职及以上 shares and flags); g switches to the per-group view,
where groups under the publication threshold are not shown. What is printed is what
``assess.appraisal.tally.disclosure`` lets be published (``public_targets``/``public_groups``): no hidden group
can be recovered by subtraction. Warnings stay in view below."""

from __future__ import annotations

import math

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Footer, Header, Static

from assess.appraisal.tally import session_tally
from assess.foundation import audit
from assess.foundation.vocabulary import SATISFACTION_LABEL, BatchStatus
from tui.base import AssessScreen, plain
from tui.tables import TableFill


def _tally_with_anchor(db, session_id: int):
    """The session's tally and the audit chain head it was read under (printed as the anchor)."""

    return session_tally(db, session_id), audit.chain_head(db)


def _num(v, digits: int = 2) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    return f"{v:.{digits}f}"


def _count(v) -> str:
    return "—" if v is None else str(v)


def _pct(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    return f"{v * 100:.2f}%"


class TallyScreen(AssessScreen):
    CSS_PATH = "tally_view.tcss"
    BINDINGS = [
        Binding("g", "toggle_groups", "按类别/按对象"),
        Binding("r", "refresh", "刷新"),
        Binding("escape", "leave", "返回"),
    ]

    def __init__(self, session_id: int) -> None:
        super().__init__()
        self.session_id = session_id
        self.tally = None
        self.by_group = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="tally-info")
        yield DataTable(id="tally", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="tally-warnings"):
            yield Static("", id="tally-warnings-text", classes="hint")
        yield Footer()

    def on_mount(self) -> None:
        self.action_refresh()
        self.query_one("#tally", DataTable).focus()

    def action_refresh(self) -> None:
        self.run_core(_tally_with_anchor, self.db, self.session_id, on_done=self._loaded)

    def _loaded(self, result) -> None:
        self.anchor = result[1]
        self._show(result[0])

    def action_toggle_groups(self) -> None:
        self.by_group = not self.by_group
        if self.tally is not None:
            self._show(self.tally)

    def action_leave(self) -> None:
        self.dismiss(None)

    def _show(self, t) -> None:
        self.tally = t
        quorum = "达到法定人数" if t.quorum_ok else "未达到法定人数"
        view = "按投票人类别（低于公示门槛的不显示）" if self.by_group else "按对象"
        b = t.batches
        certified = int((b["status"] == BatchStatus.CERTIFIED).sum()) if len(b) else 0
        self.query_one("#tally-info", Static).update(
            plain(
                f"应到 {t.expected} · 实到 {t.present} · {quorum} · 已核定批次 {certified}/{len(b)} · {view}（g 切换）"
            )
        )
        grid = self.query_one("#tally", DataTable)
        if self.by_group:
            table = TableFill(grid, "序", "编码", "名称", "类别", *t.options, "计分票", "得分", "本类别满意率", "说明")
            for row in t.public_groups().to_dict("records"):
                table.add_row(
                    str(row["target_position"]),
                    plain(row["target_code"]),
                    plain(row["target_name"]),
                    plain(row["group_name"]),
                    *[_count(row[o]) for o in t.options],
                    _count(row["counted"]),
                    _num(row["score"]),
                    _pct(row["satisfaction"]),
                    plain(row["note"]),
                )
        else:
            unfit_label, fit_label = t.cadre_labels()
            extra = (f"{unfit_label}票", fit_label, "判定") if t.kind == "cadre" else ()
            table = TableFill(
                grid, "序", "编码", "名称", "得分", SATISFACTION_LABEL, "计分票", *t.options, "缺类别", *extra, "说明"
            )
            for row in t.public_targets().to_dict("records"):
                cells = [
                    str(row["target_position"]),
                    plain(row["target_code"]),
                    plain(row["target_name"]),
                    _num(row["score"]),
                    _pct(row["satisfaction"]),
                    _count(row["counted"]),
                    *[_count(row[o]) for o in t.options],
                    plain(row["missing_groups"] or "—"),
                ]
                if t.kind == "cadre":
                    verdict = unfit_label if row["unfit"] else ("可评优秀" if row["may_be_excellent"] else "")
                    if row["consecutive_unfit"]:
                        verdict += f"·连续{unfit_label}"
                    cells += [_pct(row["unfit_share"]), _pct(row["fit_share"]), verdict]
                table.add_row(*cells, plain(row["note"]))
        table.done()
        text = "\n".join(f"⚠ {w}" for w in t.warnings) or "无警告。"
        seq, head = getattr(self, "anchor", (0, ""))
        text += f"\n审计锚点：链头 #{seq} {head}（核对：assess audit verify --anchor {head}）"
        self.query_one("#tally-warnings-text", Static).update(plain(text))
