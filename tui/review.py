"""问责与审批: the accountability list (confirm or waive with a reason), the review chain
(初审 → 审核 → 复核), the committee vote, the 公示 with its objections, and 定稿."""

from __future__ import annotations

from datetime import date

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Static

from assess.foundation.errors import AssessError, NotFound
from assess.foundation.settings import local_today
from assess.foundation.vocabulary import Decision, Stage
from assess.results import accountability, consequences, objections, publicity
from assess.results import approval as review
from assess.results.views import round_choices
from tui.base import AssessScreen, plain
from tui.forms import ConfirmDialog, FieldSpec, FormDialog, TextDialog
from tui.tables import TableFill, cell

STEP_KEYS = {"first": "1", "audit": "2", "recheck": "3", "vote": "v", "publish": "o", "finalize": "p"}


class ReviewScreen(AssessScreen):
    AREA = "review"
    CSS_PATH = "review.tcss"
    BINDINGS = [
        Binding("r", "next_round", "轮次"),
        Binding("c", "decide('confirm')", "确认问责"),
        Binding("w", "decide('waive')", "免予问责"),
        Binding("1", "step('first')", "初审", show=False),
        Binding("2", "step('audit')", "审核", show=False),
        Binding("3", "step('recheck')", "复核", show=False),
        Binding("b", "return_round", "退回", show=False),
        Binding("v", "vote", "票决"),
        Binding("o", "open_publicity", "公示"),
        Binding("y", "add_objection", "登记异议", show=False),
        Binding("n", "answer_objection", "答复异议", show=False),
        Binding("d", "publicity_diff", "公示对照", show=False),
        Binding("p", "publish", "定稿"),
        Binding("g", "consequences", "结果运用", show=False),
    ]
    ACTION_RIGHTS = {"decide": "accountability.decide", "step:first": "review.first", "step:audit": "review.audit",
                     "step:recheck": "review.recheck", "return_round": ("review.first", "review.audit", "review.recheck"),
                     "vote": "review.vote", "publish": "round.publish", "open_publicity": "publicity.open",
                     "add_objection": "objection.add", "answer_objection": "objection.answer"}

    def __init__(self) -> None:
        super().__init__()
        self.rounds: list = []
        self.round_index = 0
        self.entries: dict[str, object] = {}
        self.state = None
        self.publicity = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="review-title", classes="title")
        yield Static("", id="review-chain", classes="hint")
        yield DataTable(id="review-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="review-detail")
        yield Static("", id="review-status", classes="status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#review-table", DataTable)
        table.focus()
        self.load_rounds()

    def palette_commands(self):
        from textual.app import SystemCommand

        yield SystemCommand(
            "问责：确认当前条目", "写明理由后确认问责（c）", lambda: self.action_decide("confirm")
        )
        yield SystemCommand("问责：免予问责", "写明理由后免予问责（w）", lambda: self.action_decide("waive"))
        yield SystemCommand("审批：初审/审核/复核", "按流程通过当前步骤（1/2/3）", self.action_next_step)
        yield SystemCommand("审批：审议票决", "录入应到、实到、赞成、反对、弃权（v）", self.action_vote)
        yield SystemCommand("公示：开始公示", "已批准的结果公示，默认 5 个工作日（o）", self.action_open_publicity)
        yield SystemCommand("公示：登记异议", "登记公示期收到的异议：谁、对什么、何时（y）", self.action_add_objection)
        yield SystemCommand("公示：答复异议", "维持或采纳，写明理由；采纳的退回审核链（n）", self.action_answer_objection)
        yield SystemCommand("公示：公示稿与定稿对照", "各单位、干部得分名次等次和问责的变化，及异议（d）",
                            self.action_publicity_diff)
        yield SystemCommand("审批：定稿并冻结", "公示期满、异议答复后定稿（p）", self.action_publish)
        yield SystemCommand("结果运用：本轮清单", "按方案的结果运用规则列出评先评优、诫勉谈话等（g）",
                            self.action_consequences)

    # -- data ---------------------------------------------------------------------------------
    def load_rounds(self) -> None:
        self.run_core(round_choices, self.db, on_done=self._rounds_loaded)

    def _rounds_loaded(self, rounds) -> None:
        self.rounds = rounds
        active = [i for i, r in enumerate(rounds) if r.stage in (Stage.COMPUTED, Stage.UNDER_REVIEW, Stage.APPROVED, Stage.PUBLICITY)]
        done = [i for i, r in enumerate(rounds) if r.has_results]
        self.round_index = (active or done or [0])[0]
        self.refresh_view()

    @property
    def current_round(self):
        return self.rounds[self.round_index] if self.rounds else None

    def refresh_view(self) -> None:
        r = self.current_round
        if r is None:
            self.query_one("#review-title", Static).update("问责与审批：还没有考核轮次")
            return

        def load(db, round_id):
            return (review.status(db, round_id), accountability.list_entries(db, round_id),
                    objections.status(db, round_id))

        self.run_core(load, self.db, r.id, on_done=self._show, latest="load")

    def _show(self, result) -> None:
        state, entries, self.publicity = result
        self.state = state
        table = self.query_one("#review-table", DataTable)
        keep = table.cursor_row
        # The detail pane (_show_detail) shows the highlighted entry whole.
        fill = TableFill(table, "编号", "单位/干部", "规则", "触发数据", "建议处理", "稳健", "状态", detail=False)
        self.entries = {}
        for e in entries:
            who = e.cadre_name or e.unit_name or ""
            self.entries[str(e.id)] = e
            fill.add_row(
                str(e.id),
                cell(who),
                cell(e.rule_code),
                cell(e.figures_text),
                cell(e.proposed_action),
                "" if e.robust else "不稳健",
                cell(e.status_label),
                key=str(e.id),
            )
        fill.done()
        if entries:
            table.move_cursor(row=min(keep, len(entries) - 1))
        self.query_one("#review-title", Static).update(
            plain(f"{state.round_name}（{state.period}） · {state.stage_label} · 下一步：{state.next_label}")
        )
        marks = []
        for st in state.chain:
            marks.append(f"{st.label}{'✓' if st.decision == '通过' else '✗'}{st.by_name or st.by_user}")
        vote = state.last_vote
        if vote:
            marks.append(
                f"票决 赞成{vote['yes']}/应到{vote['expected']} {'通过' if vote['passed'] else '未通过'}"
            )
        pub = self.publicity
        if pub.periods:
            marks.append(f"{pub.period_text()}，异议 {pub.objections} 件（未答复 {pub.open_objections}）")
        if state.content_hash:
            marks.append(f"快照 {state.content_hash[:16]}… 链头 {state.audit_head[:12]}…")
        self.query_one("#review-chain", Static).update(plain(" → ".join(marks) if marks else "尚未开始审核"))
        key = STEP_KEYS.get(state.next_step or "", "")
        self.query_one("#review-status", Static).update(
            plain(
                " · ".join(
                    part
                    for part in (
                        f"问责 {state.entries} 条，待决定 {state.undecided}",
                        "c 确认 · w 免予",
                        f"{key} {state.next_label}" if key else "",
                        "b 退回 · r 轮次",
                    )
                    if part
                )
            )
        )
        self._show_detail()

    def _current(self):
        table = self.query_one("#review-table", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.entries.get(key)

    @on(DataTable.RowHighlighted, "#review-table")
    def _show_detail(self) -> None:
        e = self._current()
        detail = self.query_one("#review-detail", Static)
        if e is None:
            detail.update("")
            return
        who = " ".join(x for x in (e.unit_code, e.unit_name, e.cadre_name) if x)
        share = "" if e.robust_share is None else f"；重抽样中成立比例 {e.robust_share:.0%}"
        text = f"{who}：{e.rule_text}（{e.figures_text}{share}）→ {e.proposed_action}"
        if e.reason:
            text += f"\n{e.status_label}（{e.decided_by_name or e.decided_by}）：{e.reason}"
        detail.update(plain(text))

    # -- actions ------------------------------------------------------------------------------
    def _after(self, message: str):
        def done(result) -> None:
            if result:
                self.show_info(
                    message if isinstance(result, bool) else getattr(result, "message", lambda: message)()
                )
                self.refresh_view()

        return done

    def action_next_round(self) -> None:
        if self.rounds:
            self.round_index = (self.round_index + 1) % len(self.rounds)
            self.refresh_view()

    def action_decide(self, decision: str) -> None:
        e = self._current()
        if e is None:
            return
        db, actor = self.db, self.actor
        verb = "确认问责" if decision == "confirm" else "免予问责"
        who = e.cadre_name or e.unit_name or ""
        self.app.push_screen(
            FormDialog(
                f"{verb}：{who} · {e.rule_code}",
                [FieldSpec("reason", "理由（必填）")],
                lambda v: accountability.decide(db, actor, e.id, decision, v["reason"]),
            ),
            self._after(f"已{verb}"),
        )

    def action_step(self, step: str) -> None:
        r = self.current_round
        if r is None:
            return
        db, actor = self.db, self.actor
        label = review.STEPS[step][1]
        self.app.push_screen(
            FormDialog(
                f"{label}通过：{r.name}",
                [FieldSpec("note", "意见（可空）")],
                lambda v: review.review(db, actor, r.id, step, Decision.PASS, v["note"]) or True,
            ),
            self._after(f"{label}已通过"),
        )

    def action_next_step(self) -> None:
        if self.state and self.state.next_step in ("first", "audit", "recheck"):
            self.action_step(self.state.next_step)
        elif self.state and self.state.next_step == "vote":
            self.action_vote()
        elif self.state and self.state.next_step == "publish":
            self.action_open_publicity()
        elif self.state and self.state.next_step == "finalize":
            self.action_publish()

    def action_return_round(self) -> None:
        r = self.current_round
        step = self.state.next_step if self.state else None
        if r is None or step not in ("first", "audit", "recheck"):
            self.show_error("当前没有可退回的审核步骤。")
            return
        db, actor = self.db, self.actor
        label = review.STEPS[step][1]
        self.app.push_screen(
            FormDialog(
                f"{label}退回：{r.name}",
                [FieldSpec("note", "退回理由（必填）")],
                lambda v: review.review(db, actor, r.id, step, Decision.RETURN, v["note"]) or True,
            ),
            self._after("已退回，需重新计算和审核"),
        )

    def action_vote(self) -> None:
        r = self.current_round
        if r is None:
            return
        db, actor = self.db, self.actor
        fields = [
            FieldSpec("expected", "应到会人数"),
            FieldSpec("present", "实到人数"),
            FieldSpec("yes", "赞成"),
            FieldSpec("no", "反对"),
            FieldSpec("abstain", "弃权"),
        ]

        def submit(v):
            try:
                return {k: int(v[k].strip()) for k in ("expected", "present", "yes", "no", "abstain")}
            except ValueError:
                raise AssessError("请填写整数。") from None

        def done(result) -> None:
            if result.passed:
                self.show_info(result.message())
            else:
                self.show_error(result.message())
            self.refresh_view()

        def confirm(nums) -> None:
            # The vote is recorded for good: show what will be recorded and its outcome, ask once.
            if not nums:
                return
            need = review.votes_needed(max(nums["expected"], 1))
            outcome = ("通过：轮次进入“已批准”，可公示或定稿" if nums["yes"] >= need
                       else "不通过：轮次仍为“审核中”，票决记录保留")
            detail = (f"考核轮次：{r.name}\n应到会 {nums['expected']} 人，实到 {nums['present']} 人；"
                      f"赞成 {nums['yes']}，反对 {nums['no']}，弃权 {nums['abstain']}。\n"
                      f"通过需赞成至少 {need} 票（超过应到会人数的半数）。结果：{outcome}。")
            self.app.push_screen(
                ConfirmDialog("记录本次票决？记录后不能修改或删除。", detail),
                lambda ok: self.run_core(review.vote, db, actor, r.id, **nums, on_done=done) if ok else None,
            )

        self.app.push_screen(
            FormDialog(f"审议票决：{r.name}（赞成票须超过应到会人数的半数）", fields, submit), confirm
        )

    def action_publish(self) -> None:
        r = self.current_round
        if r is None:
            return
        db, actor = self.db, self.actor

        def confirmed(ok: bool | None) -> None:
            if ok:
                self.run_core(
                    publicity.finalize,
                    db,
                    actor,
                    r.id,
                    on_done=lambda res: (self.show_info(res.message()), self.load_rounds()),
                )

        st = self.state
        pub = getattr(self, "publicity", None)
        detail = (f"考核轮次：{r.name}\n"
                  + (f"{pub.period_text()}；异议 {pub.objections} 件。\n" if pub and pub.periods else "")
                  + "将冻结：各单位自查与核查得分、评议计票、加减分、综合得分与排名、等次，"
                  f"问责名单（{st.entries if st else 0} 条）、公示期与异议，生成快照并把其哈希写入审计链；"
                  "此后的报告与查询都取自快照。")
        self.app.push_screen(
            ConfirmDialog(f"定稿并冻结“{r.name}”？定稿后本轮任何数据都不能再修改。", detail), confirmed
        )

    # -- 公示 and objections (assess/publicity.py) ----------------------------------------------
    def action_open_publicity(self) -> None:
        r = self.current_round
        if r is None:
            return
        db, actor = self.db, self.actor
        start = local_today()

        def submit(v):
            return publicity.open_publicity(db, actor, r.id, _day(v["start"]), _day(v["end"]) if v["end"].strip() else None,
                                            v["contact"])

        self.app.push_screen(
            FormDialog(
                f"开始公示：{r.name}",
                [
                    FieldSpec("start", "公示开始日期（YYYY-MM-DD）", start.isoformat()),
                    FieldSpec("end", "结束日期（空：开始后第 5 个工作日，跳过周六、周日）",
                              placeholder=objections.working_days_end(start).isoformat()),
                    FieldSpec("contact", "受理异议的地点与电话"),
                ],
                submit,
            ),
            self._after("已开始公示"),
        )

    def action_add_objection(self) -> None:
        r = self.current_round
        if r is None:
            return
        db, actor = self.db, self.actor
        kinds = {v: k for k, v in objections.SUBMITTER_KINDS.items()}

        def submit(v):
            kind = kinds.get(v["kind"].strip())
            if kind is None:
                raise AssessError("异议人类别应为 个人、单位 或 匿名。")
            oid = publicity.add_objection(db, actor, r.id, v["text"], _day(v["received"]), kind, v["submitter"],
                                          v["contact"], v["unit"].strip() or None, v["cadre"].strip() or None,
                                          v["figure"])
            return f"已登记异议 #{oid}"

        self.app.push_screen(
            FormDialog(
                f"登记异议：{r.name}",
                [
                    FieldSpec("kind", "异议人类别（个人 / 单位 / 匿名）", "个人"),
                    FieldSpec("submitter", "异议人姓名或单位名称（匿名可空）"),
                    FieldSpec("contact", "联系方式（匿名必填）"),
                    FieldSpec("unit", "所涉单位编码（可空）"),
                    FieldSpec("cadre", "所涉干部编码（可空）"),
                    FieldSpec("figure", "所涉数字（如 综合得分、名次、等次）"),
                    FieldSpec("received", "收到日期（YYYY-MM-DD）", local_today().isoformat()),
                    FieldSpec("text", "异议内容"),
                ],
                submit,
            ),
            self._text_after(),
        )

    def action_answer_objection(self) -> None:
        r = self.current_round
        if r is None:
            return
        db, actor = self.db, self.actor
        decisions = {v: k for k, v in objections.DECISIONS.items()}

        def ask(rows) -> None:
            waiting = [o for o in rows if not o["decision"]]
            if not waiting:
                self.show_error("没有待答复的异议。")
                return
            first = waiting[0]

            def submit(v):
                decision = decisions.get(v["decision"].strip())
                if decision is None:
                    raise AssessError("答复应为 维持 或 采纳。")
                try:
                    oid = int(v["id"].strip())
                except ValueError:
                    raise AssessError("异议编号应为数字。") from None
                stage = publicity.answer_objection(db, actor, oid, decision, v["reason"])
                extra = "；轮次已退回“已计算”，请重新计算并再经审核和票决" if stage == Stage.COMPUTED and decision == "uphold" else ""
                return f"异议 #{oid} 已答复：{v['decision'].strip()}{extra}"

            about = first["text"] if len(first["text"]) <= 30 else first["text"][:30] + "…"
            self.app.push_screen(
                FormDialog(
                    f"答复异议（待答复 {len(waiting)} 件）：#{first['id']} {about}",
                    [
                        FieldSpec("id", "异议编号", str(first["id"])),
                        FieldSpec("decision", "答复（维持 / 采纳；采纳的退回审核链）", "维持"),
                        FieldSpec("reason", "理由（必填）"),
                    ],
                    submit,
                ),
                self._text_after(),
            )

        self.run_core(objections.objections, db, r.id, on_done=ask)

    def action_publicity_diff(self) -> None:
        r = self.current_round
        if r is None:
            return

        def load(db, round_id):
            try:
                d = publicity.diff(db, round_id)
            except NotFound as e:
                return str(e), objections.objections(db, round_id)
            return d, objections.objections(db, round_id)

        def show(result) -> None:
            d, rows = result
            lines = []
            if isinstance(d, str):
                lines.append(d)
            else:
                lines.append(d.message())
                for x in d.rows:
                    lines.append(f"{x['kind']} {x['code']} {x['name'] or ''} {x['field']}：公示稿 {x['publicity']} → "
                                 f"{d.against} {x['final']}")
            lines.append("")
            lines.append(f"异议 {len(rows)} 件：" if rows else "没有异议。")
            for o in rows:
                who = o["submitter"] or f"匿名（{o['contact']}）"
                lines.append(f"#{o['id']} {o['received_on']} {o['submitter_label']} {who}"
                             f"{' · ' + o['unit_code'] if o['unit_code'] else ''}"
                             f"{' · ' + o['figure'] if o['figure'] else ''}：{o['text']}")
                if o["decision"]:
                    lines.append(f"    {o['decision_label']}（{o['answered_by']}）：{o['reason']}"
                                 f"{' · ' + o['settled'] if o['settled'] else ''}")
                else:
                    lines.append("    待答复")
            self.app.push_screen(TextDialog(f"公示稿与定稿对照：{r.name}", "\n".join(lines)))

        self.run_core(load, self.db, r.id, on_done=show)

    def action_consequences(self) -> None:
        r = self.current_round
        if r is None:
            return

        def show(got) -> None:
            lines = [got.message(), ""]
            for x in got.rows:
                who = x["name"] + (f"（{x['unit_name']}）" if x.get("unit_name") else "")
                grade = f" · {x['grade']}" if x.get("grade") else ""
                lines.append(f"{x['subject']} {x['code']} {who}{grade}：{x['consequence']}")
                lines.append(f"    {x['basis']}；{x['rule']} {x['source']}".rstrip())
            self.app.push_screen(TextDialog(f"考核结果运用：{r.name}", "\n".join(lines)))

        self.run_core(consequences.round_consequences, self.db, r.id, on_done=show)

    def _text_after(self):
        def done(result) -> None:
            if result:
                self.show_info(str(result))
                self.refresh_view()

        return done


def _day(text: str):
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise AssessError(f"日期“{text}”无效，应为 YYYY-MM-DD。") from None
