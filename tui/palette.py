"""The command palette: every action of every area, found by its Chinese name, by the words of its
description, or by pinyin initials (``sjcc`` finds 随机抽查), with nothing of Textual's own English
entries.

The catalogue is the app's ``get_system_commands`` (areas, app-wide commands, the current screen's
``palette_commands``) plus, for every area, the keys its screen declares (``BINDINGS`` with a
description): choosing one opens that area and runs the action there, as pressing the key would.
"""

from __future__ import annotations

import asyncio
from functools import lru_cache

from rich.text import Text
from textual.command import DiscoveryHit, Hit, Hits, Provider

NO_MATCH = "没有找到匹配的功能：试试功能名称、说明中的词或拼音首字母（如 sjcc＝随机抽查）"


@lru_cache(maxsize=4096)
def initials(text: str) -> str:
    """Pinyin initials of the Chinese in ``text`` (other letters and digits kept, lower case)."""
    from pypinyin import Style, lazy_pinyin

    letters = "".join(p[:1] for p in lazy_pinyin(text, style=Style.FIRST_LETTER, errors="default"))
    return "".join(ch for ch in letters.lower() if ch.isascii() and ch.isalnum())


def _plain_query(query: str) -> str:
    return "".join(query.split()).lower()


class AssessCommands(Provider):
    """All of the application's commands, matched on name, description and pinyin initials."""

    async def startup(self) -> None:
        commands = list(self.app.palette_catalogue(self.screen))  # type: ignore[attr-defined]
        # pypinyin loads its dictionary on first use: do it off the UI thread.
        keys = await asyncio.to_thread(lambda: [initials(c.title) for c in commands])
        self._commands = list(zip(commands, keys, strict=True))

    async def discover(self) -> Hits:
        for command, _ in self._commands:
            if command.discover:
                yield DiscoveryHit(command.title, command.callback, help=command.help)

    def score(self, query: str, title: str, help_text: str, key: str) -> tuple[float, Text | str]:
        matcher = self.matcher(query)
        if (s := matcher.match(title)) > 0:
            return s, matcher.highlight(title)
        q = _plain_query(query)
        if not q:
            return 0, title
        if q in key:
            return 0.6 + 0.3 * len(q) / max(len(key), 1), title
        if q in help_text.lower() or q in initials(help_text):
            return 0.3, title
        return 0, title

    async def search(self, query: str) -> Hits:
        found = False
        for command, key in self._commands:
            score, shown = self.score(query, command.title, command.help, key)
            if score > 0:
                found = True
                yield Hit(score, shown, command.callback, help=command.help)
        if not found and _plain_query(query):
            # Textual would say "No matches found" in English: say it in Chinese instead.
            yield Hit(0.01, Text(NO_MATCH, style="dim"), lambda: None)
