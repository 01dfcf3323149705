"""Errors the core raises. Each carries a message fit to show to a clerk (Chinese)."""

from __future__ import annotations

from dataclasses import dataclass


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


class InputErrors(AssessError):
    """Every problem found in one input; nothing was changed."""

    def __init__(self, problems: list[InputProblem]):
        self.problems = list(problems)
        first = str(self.problems[0]) if self.problems else ""
        more = f"（另有 {len(self.problems) - 1} 处问题）" if len(self.problems) > 1 else ""
        super().__init__(f"{first}{more}")

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]
