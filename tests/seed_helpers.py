"""The seed documents' section table (``tests/data/seed_sections.toml``): reading it, checking a
scheme's citations against it, and rebuilding it from the seed texts:

    python -m tests.seed_helpers /path/to/seeds > tests/data/seed_sections.toml

Each heading of a seed (附件N; 一、; （一）; 1. or 1、; 一是; （1）) becomes a section reference in the
style the schemes cite (``四（一）1``, ``三（二）二是``, ``附件15 二（三）3``), with the figures written in
that section (Arabic numbers; Chinese numerals before a counting word; 三分之一 as 1/3). The test
``tests/test_scheme_sources.py`` checks every ``source`` of the shipped schemes against this table.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

SEEDS = {  # seed file prefix → the codes of the schemes based on it
    "000": ["ygg"],
    "001": ["zwgk"],
    "002": ["xlygg"],
    "003": ["cwgk"],
    "004": ["mzyg"],
}
CN = "一二三四五六七八九十"
DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
HEADINGS = [
    (0, re.compile(r"^附件(\d+)\s*$")),
    (1, re.compile(rf"^([{CN}]+)、")),
    (2, re.compile(rf"^[（(]([{CN}]+)[）)]")),
    (3, re.compile(r"^(\d+)[.、．](?!\d)|^(\d+)[.．](?=\d{4}年)")),
    (4, re.compile(rf"^([{CN}]+)是")),
    (5, re.compile(r"^[（(](\d+)[）)]")),
]


def cn_number(s: str) -> int:
    """一 … 九十九 (and 两)."""
    if "十" in s:
        tens, _, ones = s.partition("十")
        return (DIGITS.get(tens, 1) if tens else 1) * 10 + (DIGITS.get(ones, 0) if ones else 0)
    return DIGITS[s]


def figures(text: str) -> set[float]:
    out: set[float] = set()
    for m in re.finditer(r"([一二两三四五六七八九十]+)分之([一二两三四五六七八九十]+)", text):
        out.add(round(cn_number(m.group(2)) / cn_number(m.group(1)), 6))
        out.update({cn_number(m.group(1)), cn_number(m.group(2))})
    for m in re.finditer(r"\d+(?:\.\d+)?", text):
        out.add(float(m.group()))
    for m in re.finditer(r"([一二两三四五六七八九十]+)(?=[年次个周天日项人级类分名倍届季月步])", text):
        try:
            out.add(float(cn_number(m.group(1))))
        except KeyError:
            pass
    return out


def label(level: int, key: str) -> str:
    if level == 0:
        return f"附件{key} "
    if level == 2:
        return f"（{key}）"
    if level == 4:
        return f"{key}是"
    if level == 5:
        return f"（{key}）"
    return key


def sections(text: str) -> dict[str, set[float]]:
    """Section reference → figures of its text (including its subsections)."""
    out: dict[str, set[float]] = {}
    stack: list[tuple[int, str]] = []  # (level, label)

    def ref() -> str:
        parts = []
        for i, (lvl, lab) in enumerate(stack):
            prev = stack[i - 1][0] if i else None
            if lvl == 3 and prev == 1:
                lab = "、" + lab  # 四、1: an item straight under a chapter
            parts.append(lab)
        return "".join(parts).strip()

    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("附件:") or line.startswith("附件："):
            continue
        body = line
        for level, pat in HEADINGS:
            m = pat.match(line)
            if m:
                body = line[m.end():]  # the heading's own number is not a figure of the section
                key = next(g for g in m.groups() if g)
                while stack and stack[-1][0] >= level:
                    stack.pop()
                if level == 0:
                    stack.clear()
                stack.append((level, label(level, key)))
                out.setdefault(ref(), set())
                if level in (2, 3) and re.search(r"[。:：]一是", line):
                    out.setdefault(ref() + "一是", set()).update(figures(line.split("一是", 1)[1]))
                break
        figs = figures(body)
        for i in range(1, len(stack) + 1):
            saved = stack[:]
            del stack[i:]
            out.setdefault(ref(), set()).update(figs)
            stack[:] = saved
    out.pop("", None)
    return out


def number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(x)


# -- reading the table and checking a scheme against it -------------------------------------------

TABLE = Path(__file__).parent / "data" / "seed_sections.toml"
REF_SPLIT = re.compile(r"[；，;,]")


def load_table() -> dict[str, dict]:
    """scheme code → {"seed": prefix, "sections": {ref: set of figures}}."""
    import tomllib

    raw = tomllib.loads(TABLE.read_text(encoding="utf-8"))["seeds"]
    out = {}
    for prefix, seed in raw.items():
        secs = {ref: {float(x) for x in figs} for ref, figs in seed["sections"].items()}
        for code in seed["schemes"]:
            out[code] = {"seed": prefix, "sections": secs}
    return out


def refs(source: str) -> list[str]:
    """The section references of a ``source`` (several separated by ；or ，)."""
    return [r.strip().replace("(", "（").replace(")", "）") for r in REF_SPLIT.split(source) if r.strip()]


def matches(x: float, figs: set[float]) -> bool:
    """A figure of a scheme is the seed's when the seed writes it (a share may be written as a
    percentage or a fraction: 0.2 is 20%, 1/3 is 三分之一)."""
    return any(abs(x - f) < 1e-6 or abs(100 * x - f) < 1e-6 for f in figs)


def _numbers(t, names: tuple[str, ...]) -> list[tuple[str, float]]:
    out = []
    for n in names:
        v = getattr(t, n, None)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            out.append((n, float(v)))
    return out


def _quoted(*texts: str | None, name: str = "text") -> list[tuple[str, float]]:
    return [(name, f) for t in texts if t for f in sorted(figures(t))]


def cited_tables(scheme) -> list[tuple[str, object, list[tuple[str, float]]]]:
    """(what, provenance, figures) of every table of a scheme that has figures or is a rule, with
    its effective provenance (``assess.schemes.provenance``). Figures of a table whose provenance
    is a seed section must be the seed's; quoted texts (evidence, a rule's text) count too."""
    from assess.schemes.provenance import composite_provenance, effective, indicator_provenance

    out: list = []
    comp = [(f"weights.{k}", float(v)) for k, v in scheme.weights.items()]
    comp += [("adjustment_base", scheme.adjustment_base)] if "adjustment" in scheme.weights else []
    out.append(("[composite]", composite_provenance(scheme), comp))
    for b in scheme.bands:
        out.append((f"等次 {b.grade}", effective([b], scheme), _numbers(b, ("min", "max"))))
    for q in scheme.quotas:
        out.append((f"名额 {q.grade}", effective([q], scheme), _numbers(q, ("max_share",))))
    sc = scheme.spotcheck
    out.append(("[spotcheck]", effective([sc], scheme),
                _numbers(sc, ("sample_size", "min_per_category", "tolerance", "penalty", "penalty_cap"))))
    provs = indicator_provenance(scheme)
    for ind, _level, _parent in scheme.walk():
        nums = [] if ind.children or ind.method == "veto" else _numbers(ind, ("max",))
        nums += _numbers(ind, ("target", "per_item"))
        if ind.evidence and "示例" not in ind.evidence:  # a quote from the seed, even in an example
            nums += _quoted(ind.evidence, name="evidence")
        out.append((f"指标 {ind.code}", provs[ind.code], nums))
    for f in scheme.forms:
        nums = [("points", o.points) for o in f.options if o.points is not None]
        nums += [("weight", g.weight) for g in f.voter_groups]
        nums += _numbers(f, ("max_limited", "quorum", "publication_threshold"))
        out.append((f"评议表 {f.code}", effective([f], scheme), nums))
        cr = f.cadre_rules
        if cr is not None:
            nums = _numbers(cr, ("unfit_share", "excellent_min_fit_share", "consecutive_unfit"))
            out.append((f"评议表 {f.code} 干部评定规则", effective([cr, f], scheme), nums))
            for b in cr.bands:
                out.append((f"评议表 {f.code} 等次 {b.grade}", effective([b, cr, f], scheme),
                            _numbers(b, ("min", "max"))))
    if scheme.annual is not None:
        a = scheme.annual
        nums = [(f"weights.{k}", float(v)) for k, v in a.weights.items()]
        out.append(("[annual]", effective([a], scheme), nums))
        for b in a.bands:
            out.append((f"年度等次 {b.grade}", effective([b, a], scheme), _numbers(b, ("min", "max"))))
        for q in a.quotas:
            out.append((f"年度名额 {q.grade}", effective([q, a], scheme), _numbers(q, ("max_share",))))
    for r in scheme.rules:
        nums = _numbers(r, ("value", "share", "days"))
        nums += [("window", r.window)] if r.window != 1 else []
        nums += [("times", r.times)] if r.times != 1 else []
        out.append((f"问责规则 {r.code}", effective([r], scheme), nums + _quoted(r.text)))
    for c in getattr(scheme, "consequences", []):
        out.append((f"结果运用 {c.code}", effective([c], scheme), _quoted(c.text)))
    return out


def citation_problems(scheme, table: dict[str, dict]) -> list[str]:
    """Every citation of a scheme that is not a section of its seed, and every figure of a table
    cited to the seed (not marked as an example) that the cited sections do not contain. An
    indicator's ``evidence`` quotes its seed even when its points are an example, unless it says
    itself that it is one (示例)."""
    seed = table.get(scheme.code)
    if seed is None:
        return [f"方案 {scheme.code} 不在 seed_sections.toml 中"]
    secs = seed["sections"]
    problems = []
    for what, prov, nums in cited_tables(scheme):
        if not prov.known:
            problems.append(f"{what}：没有出处")
            continue
        cited = refs(prov.source) if prov.source else []
        missing = [ref for ref in cited if ref not in secs]
        for ref in missing:
            problems.append(f"{what}：种子文件 {seed['seed']} 中没有“{ref}”这一节")
        if not cited or missing:
            continue
        figs = set().union(*(secs.get(ref, set()) for ref in cited))
        for name, x in nums:
            if prov.example and name != "evidence":
                continue
            if not matches(x, figs):
                problems.append(f"{what}：{name} = {x:g} 不是 {prov.source} 中的数字")
    return problems


def main(folder: str) -> None:
    print("# Section headings of the seed documents and the figures written in each section.")
    print("# Generated by python -m tests.seed_helpers; read by tests/test_scheme_sources.py.")
    for prefix, schemes in SEEDS.items():
        path = next(Path(folder).glob(f"{prefix}_*.txt"))
        secs = sections(path.read_text(encoding="utf-8"))
        print()
        print(f'[seeds."{prefix}"]')
        print(f'file = "{path.name}"')
        print(f"schemes = [{', '.join(f'{chr(34)}{s}{chr(34)}' for s in schemes)}]")
        print(f'[seeds."{prefix}".sections]')
        for ref, figs in secs.items():
            print(f'"{ref}" = [{", ".join(number(f) for f in sorted(figs))}]')


if __name__ == "__main__":
    main(sys.argv[1])
