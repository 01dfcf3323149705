"""JSON as text: the canonical form every hash is taken over, and the form JSON columns are stored in.

The canonical form is ``json.dumps`` with sorted keys, no spaces and characters left as they are
(UTF-8), so the same value always gives the same text. JSON columns are written compactly in the
same way but with the keys in the order the value holds them (``stored_json``, the engine's JSON
serializer): a scheme's weights or a reason's figures keep their order. A snapshot's content is
built canonical (``round_view.live_content`` sorts it at every level), so its stored text *is* the
text its hash was taken over, and verification hashes the stored text as it is
(``matches_hash``) instead of writing the value out again. Text stored otherwise (rows written by
an earlier version, a PostgreSQL ``jsonb`` column that reorders keys) is hashed from its value,
with the same result.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_json(obj: Any) -> str:
    """The text a hash is taken over (a value that is not JSON, such as a date, as its ``str``)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def stored_json(obj: Any) -> str:
    """The text a JSON column stores: compact and UTF-8 like the canonical form, the keys in the
    value's own order, refusing a value that is not JSON (a column must not turn a date into text
    unnoticed). For a value whose keys are sorted at every level it is the canonical text."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def content_hash(obj: Any) -> str:
    """SHA-256 of the canonical JSON of ``obj``."""
    return text_hash(canonical_json(obj))


def matches_hash(text: str, value: Any, digest: str) -> bool:
    """Whether ``value``, read from the stored JSON ``text``, has the content hash ``digest``.
    Canonical text is hashed as stored (its value's canonical text is the text itself); other text
    from its value."""
    return text_hash(text) == digest or content_hash(value) == digest
