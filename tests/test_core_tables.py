"""Read-only commands without the table classes (issue 17, point 4): ``assess.models.tables`` is the
Core mirror of the table classes, written from them and checked here; ``assess.models`` builds the
classes only when one is asked for; ``assess rank`` reads through the mirror and loads neither the
table classes, pydantic, the ORM nor pandas."""

from __future__ import annotations

import json

from tests import core_tables
from tests.fresh_helpers import HEAVY, run_fresh


def _fresh(code: str, *argv: str) -> list[str]:
    return run_fresh(code, *argv).strip().splitlines()


def test_the_mirror_is_what_the_table_classes_give():
    assert core_tables.main([]) == 0, "assess/models/tables.py 已过期：python -m tests.core_tables --update"


def test_the_mirror_has_every_table_and_column():
    import assess.models as models
    from assess.models import tables

    assert set(tables.metadata.tables) == set(models.metadata.tables)
    for name, table in models.metadata.tables.items():
        mirror = tables.metadata.tables[name]
        assert [c.name for c in mirror.columns] == [c.name for c in table.columns], name
        assert [c.name for c in mirror.primary_key] == [c.name for c in table.primary_key], name


def test_the_table_classes_are_built_when_first_asked_for():
    code = (
        "import sys\n"
        "import assess.models, assess.models.tables\n"
        "print('sqlmodel' in sys.modules)\n"
        "from assess.models import Round\n"
        "import assess.models as m\n"
        "print(len(m.metadata.tables), len(assess.models.tables.metadata.tables), Round.__tablename__)\n"
        "print(m.metadata.naming_convention['pk'])\n"
    )
    loaded, counts, convention = _fresh(code)
    assert loaded == "False"
    n, mirrored, name = counts.split()
    assert n == mirrored and int(n) > 40 and name == "round"
    assert convention == "pk_%(table_name)s"


def test_rank_reads_without_the_table_classes(demo_db):
    from assess.results.ranking import ranking

    code = (
        "import sys, io, contextlib\n"
        "from assess.cli import main\n"
        "buf = io.StringIO()\n"
        "with contextlib.redirect_stdout(buf):\n"
        "    rc = main(['rank', '--round', '2026-Q3', '--format', 'json', '--db', sys.argv[1]])\n"
        f"print(rc, ','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
        "print(buf.getvalue().replace(chr(10), ' '))\n"
    )
    status, printed = _fresh(code, str(demo_db.path))
    assert status.split(" ", 1) == ["0", ""] or status == "0 ", status
    rows = json.loads(printed)
    view = ranking(demo_db, "2026-Q3")
    assert [(r["unit_code"], r["rank"], r["composite"]) for r in rows] == [
        (r.unit_code, r.rank, r.composite) for r in view.rows
    ]
    assert len(rows) == 40
