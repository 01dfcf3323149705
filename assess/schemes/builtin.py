"""The scheme files shipped with the package (``indicators/*.toml``), and finding a scheme source
by path or by the name of a shipped file."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from assess.foundation.errors import InputErrors, InputProblem
from assess.schemes.validate import ValidationResult, read_source, validate_text


@dataclass(frozen=True)
class BuiltinScheme:
    name: str  # file name without .toml, e.g. zwgk_2014
    file_name: str
    text: str


def builtin_schemes() -> list[BuiltinScheme]:
    """Every shipped scheme file, sorted by name."""

    out = []
    for entry in files("indicators").iterdir():
        if entry.name.endswith(".toml") and entry.is_file():
            out.append(BuiltinScheme(entry.name.removesuffix(".toml"), entry.name, entry.read_text("utf-8")))
    return sorted(out, key=lambda b: b.name)


def read_scheme_source(source: str | Path) -> tuple[str, str]:
    """(source name, text) for a file path, or for the name of a shipped scheme (``zwgk_2014`` or
    ``zwgk_2014.toml``) when no such file exists. A path that exists always wins."""
    p = Path(source).expanduser()
    if p.exists():
        return read_source(p)
    wanted = str(source).strip().removesuffix(".toml")
    for b in builtin_schemes():
        if b.name == wanted:
            return b.file_name, b.text
    names = "、".join(b.name for b in builtin_schemes())
    raise InputErrors([InputProblem(str(source), None, None, f"文件不存在（内置方案有：{names}）")])


def validate_source(source: str | Path) -> ValidationResult:
    """Validate a scheme file or a shipped scheme by name; raises ``InputErrors``."""
    name, text = read_scheme_source(source)
    return validate_text(text, name)
