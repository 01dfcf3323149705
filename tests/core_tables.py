"""``assess/models/tables.py``, the Core mirror of the table classes, written from them.

    python -m tests.core_tables            check: the file is what the table classes give
    python -m tests.core_tables --update   write the file from the table classes

Read-only commands read through these ``Table`` objects (``sqlalchemy`` alone) instead of building
the SQLModel classes. Each table keeps its columns' names, types, keys and nullability; constraints,
indexes and triggers stay with the classes and the migrations. ``tests/test_core_tables.py`` runs the
check with the suite.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "assess" / "models" / "tables.py"

HEADER = '''"""The tables as SQLAlchemy Core ``Table`` objects, for readers that need no table classes.

Written by ``python -m tests.core_tables --update`` from the table classes (``assess.models``) and
checked against them by the suite: do not edit by hand. Columns keep their names, types, primary
keys and nullability; constraints, indexes and triggers live with the classes and the migrations.
Importing this module loads ``sqlalchemy`` only (see docs/architecture.md, "只读命令").
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()
'''


def column_type(col) -> str:
    import sqlalchemy as sa
    from sqlmodel.sql.sqltypes import AutoString

    t = col.type
    if isinstance(t, AutoString | sa.String) and not isinstance(t, sa.Text):
        return f"String({t.length})" if t.length else "String()"
    names = {
        sa.Text: "Text()",
        sa.BigInteger: "BigInteger().with_variant(Integer(), \"sqlite\")",
        sa.Integer: "Integer()",
        sa.Float: "Float()",
        sa.Boolean: "Boolean()",
        sa.JSON: "JSON()",
        sa.Date: "Date()",
    }
    if isinstance(t, sa.DateTime):
        return f"DateTime(timezone={bool(t.timezone)})"
    for kind, text in names.items():
        if isinstance(t, kind):
            if kind is sa.BigInteger and "sqlite" not in getattr(t, "_variant_mapping", {}):
                return "BigInteger()"
            return text
    raise SystemExit(f"{col.table.name}.{col.name}: 类型 {t!r} 未在 tests/core_tables.py 中对应")


def render() -> str:
    import assess.models as models

    out = [HEADER]
    for name in sorted(models.metadata.tables):
        table = models.metadata.tables[name]
        out.append(f"\n{name} = Table(\n    \"{name}\",\n    metadata,")
        for col in table.columns:
            extra = ", primary_key=True" if col.primary_key else ""
            extra += "" if col.nullable or col.primary_key else ", nullable=False"
            out.append(f"    Column(\"{col.name}\", {column_type(col)}{extra}),")
        out.append(")\n")
    return "\n".join(out)


def main(argv: list[str]) -> int:
    text = render()
    if "--update" in argv:
        TARGET.write_text(text, encoding="utf-8")
        print(f"已写入 {TARGET.relative_to(ROOT)}")
        return 0
    if not TARGET.exists() or TARGET.read_text(encoding="utf-8") != text:
        print(f"{TARGET.relative_to(ROOT)} 与表类不一致：请运行 python -m tests.core_tables --update")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
