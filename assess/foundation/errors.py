"""Errors the core raises. Each carries a message fit to show to a clerk (Chinese)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Self


class AssessError(Exception):
    """Base of every error meant for the user: the message is shown as is."""


class PermissionDenied(AssessError):
    """The acting user's role may not perform this action."""


class NotFound(AssessError):
    pass


class Conflict(AssessError):
    """The action collides with the current state (duplicate, wrong stage, already done)."""


class FrozenError(Conflict):
    """The round is published (frozen) or the batch certified: nothing may change."""


class AuthError(AssessError):
    pass


@dataclass(frozen=True)
class InputProblem:
    """One problem in an input file: where it is and what is wrong."""

    file: str
    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
        if self.field:
            where += f" [{self.field}]"
        return f"{where}: {self.message}"


# Error lists are capped (docs/reliability.md): the first MAX_LISTED problems are shown, then a count.
MAX_LISTED = 50
MAX_KEPT = 200  # kept in memory (a few more than shown, so that sorting by line still finds the first)


class ProblemList(list[InputProblem]):
    """The problems of one input as they are found: keeps the first ``MAX_KEPT`` and counts all,
    so a file with a million bad rows costs a counter, not a million objects."""

    def __init__(self, items: Iterable[InputProblem] = ()) -> None:
        super().__init__()
        self.total = 0
        self.extend(items)

    def append(self, problem: InputProblem) -> None:
        self.total += 1
        if len(self) < MAX_KEPT:
            super().append(problem)

    def extend(self, problems: Iterable[InputProblem]) -> None:
        for p in problems:
            self.append(p)

    def __iadd__(self, problems: Iterable[InputProblem]) -> Self:  # type: ignore[misc, override]  # as list.__iadd__ in typeshed
        self.extend(problems)
        return self


class InputErrors(AssessError):
    """Every problem found in one input (the first ``MAX_LISTED`` listed, then a count); nothing
    was changed."""

    def __init__(self, problems: list[InputProblem], total: int | None = None):
        problems = list(problems) if not isinstance(problems, list) else problems
        counted = total if total is not None else getattr(problems, "total", 0)
        self.total = max(counted, len(problems))
        self.problems = list(problems[:MAX_KEPT])
        first = str(self.problems[0]) if self.problems else ""
        more = f"（另有 {self.total - 1} 处问题）" if self.total > 1 else ""
        super().__init__(f"{first}{more}")

    def lines(self) -> list[str]:
        out = [str(p) for p in self.problems[:MAX_LISTED]]
        if self.total > len(out):
            out.append(f"另有 {self.total - len(out)} 处错误")
        return out


def user_message(exc: BaseException, log_path: str | None = None) -> str:
    """One line in Chinese for any error that reaches a person (CLI and TUI): the message of an
    ``AssessError``, a plain description of a database error (no SQL, no parameters), or the name of
    an unexpected exception (details go to the log)."""
    if isinstance(exc, AssessError):
        return str(exc)
    db = database_error_text(exc)
    if db is not None:
        return db
    if isinstance(exc, RecursionError):
        return "输入嵌套层次过深，无法处理（未作更改）。"
    if isinstance(exc, MemoryError):
        return "输入过大，内存不足（未作更改）。"
    where = f"日志 {log_path}" if log_path else "日志"
    return f"操作失败：{type(exc).__name__}（详情已写入{where}）"


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def database_error_text(exc: BaseException) -> str | None:
    """A database error (SQLAlchemy or the driver's own) as one Chinese line, or None if ``exc`` is
    not one. The transaction was rolled back, so every message says nothing was changed."""
    try:
        from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, SQLAlchemyError
    except ImportError:  # pragma: no cover - SQLAlchemy is a dependency
        return None
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    module = type(orig).__module__ or ""
    if not (isinstance(exc, SQLAlchemyError) or module.startswith(("sqlite3", "psycopg"))):
        return None
    raw = str(orig).strip()
    first = raw.splitlines()[0].strip() if raw else ""
    low = raw.lower()
    if "deadlock detected" in low:
        return "数据库检测到并发冲突（死锁），本次操作已撤销，未作更改；请重试。"
    if "could not serialize access" in low:
        return "数据已被他人同时修改，本次操作已撤销，未作更改；请刷新后重试。"
    if "database is locked" in low or "lock timeout" in low or "could not obtain lock" in low:
        return "数据库正被其他用户写入（已锁定），本次操作未完成，未作更改；请稍后重试。"
    if _has_cjk(first):  # a guard trigger's own message (e.g. a published round is frozen)
        return f"{first}（未作更改）"
    integrity = isinstance(exc, IntegrityError) or type(orig).__name__ in ("IntegrityError", "UniqueViolation",
                                                                          "ForeignKeyViolation", "NotNullViolation")
    if integrity:
        diag = getattr(orig, "diag", None)
        where = getattr(diag, "constraint_name", None) or getattr(diag, "column_name", None)
        if where is None and ":" in first:
            where = first.split(":", 1)[1].strip()
        if "unique" in low or "duplicate key" in low:
            kind = "与已有记录重复"
        elif "foreign key" in low:
            kind = "引用的记录不存在或仍被其他记录引用"
        elif "not null" in low or "null value" in low:
            kind = "缺少必填的值"
        elif "check constraint" in low or "violates check" in low:
            kind = "取值不符合约束"
        else:
            kind = "与现有数据冲突"
        at = f"（{where}）" if where else ""
        return f"数据冲突：{kind}{at}，未作更改；可能他人刚刚修改了同一记录，请刷新后重试。"
    if isinstance(exc, OperationalError) or type(orig).__name__ == "OperationalError":
        if "no such table" in low or "does not exist" in low or "no such column" in low:
            reason = "数据库结构不完整或版本不符（请运行 assess init 升级）"
        elif "readonly" in low or "read-only" in low or "permission denied" in low:
            reason = "数据库只读或无权写入"
        elif ("disk" in low and ("full" in low or "i/o" in low)) or "no space" in low:
            reason = "磁盘已满或读写出错"
        elif "unable to open" in low or "not a database" in low or "malformed" in low:
            reason = "无法打开数据库文件，或文件不是本系统的数据库"
        elif "connect" in low or "refused" in low or "timeout" in low or "server closed" in low:
            reason = "无法连接数据库服务器"
        else:
            reason = "数据库操作失败"
        return f"数据库不可用：{reason}，未作更改。"
    return "数据库操作失败，未作更改（详情已写入日志）。"
