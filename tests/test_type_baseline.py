"""The mypy baseline may only shrink: the comparison behind ``./dev test``'s type check."""

from collections import Counter

from tests.type_baseline import compare, errors, read_baseline, write_baseline

OUT = """\
assess/a.py:10: error: Item "None" of "X | None" has no attribute "y"  [union-attr]
assess/a.py:20: error: Item "None" of "X | None" has no attribute "y"  [union-attr]
assess/b.py:3: error: Function is missing a return type annotation  [no-untyped-def]
assess/b.py:4: note: Use "-> None" if function does not return a value
"""


def test_errors_are_counted_without_line_numbers():
    found = errors(OUT)
    assert found == Counter({
        'assess/a.py: [union-attr] Item "None" of "X | None" has no attribute "y"': 2,
        "assess/b.py: [no-untyped-def] Function is missing a return type annotation": 1,
    })


def test_a_new_error_fails_and_a_fixed_one_asks_to_shrink(tmp_path):
    path = tmp_path / "baseline.txt"
    write_baseline(errors(OUT), path)
    baseline = read_baseline(path)
    assert compare(errors(OUT), baseline) == ([], [])
    more = OUT + "assess/c.py:1: error: Name \"z\" is not defined  [name-defined]\n"
    new, gone = compare(errors(more), baseline)
    assert new == ['1× assess/c.py: [name-defined] Name "z" is not defined'] and gone == []
    fewer = "\n".join(OUT.splitlines()[1:])
    new, gone = compare(errors(fewer), baseline)
    assert new == [] and gone == ['1× assess/a.py: [union-attr] Item "None" of "X | None" has no attribute "y"']
