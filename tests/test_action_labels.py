"""Every audit record action the core writes has a Chinese name (``assess.foundation.roles.action_label``):
the audit log, the reports and the notes show it instead of the code."""

from __future__ import annotations

import ast
from pathlib import Path

import assess
from assess.foundation.roles import action_label


def written_actions() -> set[str]:
    """The action of every ``audit.append(session, actor, "action", …)`` call in the core."""
    found: set[str] = set()
    for path in Path(assess.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "append"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "audit"
                and len(node.args) >= 3
            ):
                action = node.args[2]
                if isinstance(action, ast.Constant) and isinstance(action.value, str):
                    found.add(action.value)
    return found


def test_every_written_action_has_a_chinese_name():
    actions = written_actions()
    assert len(actions) > 30  # the scan found the core's calls
    unnamed = sorted(a for a in actions if action_label(a) == a)
    assert not unnamed, unnamed
    for a in actions:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in action_label(a)), a
