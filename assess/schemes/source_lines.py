"""Where a value sits in a TOML scheme file: the line number of a key path, for error messages.

``tomllib`` gives values without positions. This reads the text once more, line by line, and
records the line of every table header (``[spotcheck]``, ``[[indicators.children]]``), every key
and every element of a multi-line array (one inline table or value per line). A path is a tuple of
keys and 0-based list indexes, e.g. ``("indicators", 0, "children", 2, "max")``; ``line_of`` gives
the line of the path or of its nearest recorded ancestor.

It understands the TOML this project's scheme files use (tables, arrays of tables, dotted and
quoted keys, inline tables, multi-line arrays and strings). On anything stranger it still gives the
nearest line it knows; it never raises.
"""

from __future__ import annotations

import re

Path = tuple[str | int, ...]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _split_key(text: str) -> list[str] | None:
    """Split a dotted key (``a."b.c".d``) into its parts; None when it is not a key."""
    parts: list[str] = []
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i] in " \t":
            i += 1
        if i >= n:
            return None
        if text[i] in "\"'":
            q = text[i]
            j = text.find(q, i + 1)
            if j < 0:
                return None
            parts.append(text[i + 1 : j])
            i = j + 1
        else:
            m = _BARE_KEY.match(text, i)
            if not m:
                return None
            parts.append(m.group(0))
            i = m.end()
        while i < n and text[i] in " \t":
            i += 1
        if i < n:
            if text[i] != ".":
                return None
            i += 1
    return parts or None


def _strip_comment(line: str) -> str:
    """The line without its comment (a ``#`` inside a string is kept)."""
    quote = None
    i = 0
    while i < len(line):
        c = line[i]
        if quote:
            if quote == '"' and c == "\\":
                i += 2
                continue
            if c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif c == "#":
            return line[:i]
        i += 1
    return line


def _code_only(line: str) -> str:
    """The line with string contents blanked and any comment removed (brackets inside strings
    and comments must not count)."""
    out = []
    i, n = 0, len(line)
    while i < n:
        c = line[i]
        if c == "#":
            break
        if c in "\"'":
            q = c
            j = i + 1
            while j < n:
                if q == '"' and line[j] == "\\":
                    j += 2
                    continue
                if line[j] == q:
                    break
                j += 1
            out.append(q + q)
            i = j + 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _key_and_rest(line: str) -> tuple[list[str], str] | None:
    """``key = value`` → (key parts, value text); None when the line is no key/value pair."""
    depth_quote = None
    for i, c in enumerate(line):
        if depth_quote:
            if c == depth_quote:
                depth_quote = None
            continue
        if c in "\"'":
            depth_quote = c
        elif c == "=":
            parts = _split_key(line[:i])
            return (parts, line[i + 1 :]) if parts else None
        elif c == "#":
            return None
    return None


class SourceLines:
    def __init__(self, text: str):
        self.lines: dict[Path, int] = {}
        self._arrays: dict[Path, int] = {}  # array-of-tables path → number of elements so far
        self._scan(text.splitlines())

    # -- public ----------------------------------------------------------------------------------
    def line_of(self, path: Path) -> int | None:
        p = tuple(path)
        while p:
            if p in self.lines:
                return self.lines[p]
            p = p[:-1]
        return None

    # -- scanning --------------------------------------------------------------------------------
    def _resolve(self, parts: list[str]) -> Path:
        """A header's dotted key as a path: arrays of tables resolve to their last element."""
        path: Path = ()
        for k in parts:
            path = (*path, k)
            if path in self._arrays:
                path = (*path, self._arrays[path] - 1)
        return path

    def _record(self, path: Path, lineno: int) -> None:
        self.lines.setdefault(path, lineno)

    def _scan(self, lines: list[str]) -> None:
        table: Path = ()
        i = 0
        while i < len(lines):
            lineno = i + 1
            raw = lines[i].lstrip("\ufeff")
            stripped = raw.strip()
            i += 1
            if not stripped or stripped.startswith("#"):
                continue
            if stripped.startswith("["):
                header = _strip_comment(stripped).strip()
                array = header.startswith("[[") and header.endswith("]]")
                inner = header[2:-2] if array else header[1:-1] if header.endswith("]") else ""
                parts = _split_key(inner) if inner else None
                if not parts:
                    continue
                if array:
                    parent = self._resolve(parts[:-1])
                    apath = (*parent, parts[-1])
                    self._arrays[apath] = self._arrays.get(apath, 0) + 1
                    self._record(apath, lineno)
                    table = (*apath, self._arrays[apath] - 1)
                else:
                    table = self._resolve(parts)
                self._record(table, lineno)
                continue
            kv = _key_and_rest(raw)
            if kv is None:
                continue
            parts, rest = kv
            path = (*table, *parts)
            self._record(path, lineno)
            value = rest.strip()
            if value.startswith(('"""', "'''")):
                delim = value[:3]
                if value.count(delim) < 2:  # a multi-line string: skip to its end
                    while i < len(lines) and delim not in lines[i]:
                        i += 1
                    i += 1
                continue
            code = _code_only(value).strip()
            depth = code.count("[") - code.count("]")
            if depth <= 0 or not code.startswith("["):
                continue
            # A multi-line array: one element per line is the style scheme files use.
            index = _record_items(self, path, 0, code[1:], lineno)
            while i < len(lines) and depth > 0:
                lineno = i + 1
                body = _code_only(lines[i]).strip()
                i += 1
                depth += body.count("[") - body.count("]")
                index = _record_items(self, path, index, body, lineno)


def _record_items(src: SourceLines, path: Path, index: int, code: str, lineno: int) -> int:
    """Record the line of each array element that starts in ``code``; return the next index."""
    depth = 0
    has_content = False
    for c in code:
        if c in "[{":
            depth += 1
        elif c in "]}":
            depth -= 1
            if depth < 0:  # the array's own closing bracket
                break
        if depth == 0 and c == ",":
            if has_content:
                index += 1
            has_content = False
            continue
        if not has_content and not c.isspace():
            src._record((*path, index), lineno)
            has_content = True
    if has_content and depth <= 0:
        # an element ended at the closing bracket, or continues on the next line (depth > 0)
        index += 1
    return index
