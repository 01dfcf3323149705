"""RFC 3797 (publicly verifiable random selection) reproduced from the RFC's own worked example."""

from __future__ import annotations

import pytest

from assess.foundation.errors import AssessError
from assess.rounds import rfc3797

# RFC 3797 section 6: three sources, a pool of 25 numbered 1..25, ten selections. The digests and
# the selected numbers below are copied from the RFC's table ("index / hex value of MD5 / div /
# selected").
RFC_SOURCES = ["9319", "2 5 12 8 10", "9 18 26 34 41 45"]
RFC_KEY = "9319./2.5.8.10.12./9.18.26.34.41.45./"
RFC_TABLE = [
    (1, "990DD0A5692A029A98B5E01AA28F3459", 25, 17),
    (2, "3691E55CB63FCC37914430B2F70B5EC6", 24, 7),
    (3, "FE814EDF564C190AC1D25753979990FA", 23, 2),
    (4, "1863CCACEB568C31D7DDBDF1D4E91387", 22, 16),
    (5, "F4AB33DF4889F0AF29C513905BE1D758", 21, 25),
    (6, "13EAEB529F61ACFB9A29D0BA3A60DE4A", 20, 23),
    (7, "992DB77C382CA2BDB9727001F3CDCCD9", 19, 8),
    (8, "63AB4258ECA922976811C7F55C383CE7", 18, 24),
    (9, "DFBC5AC97CED01B3A6E348E3CC63F40D", 17, 19),
    (10, "31CB111C4A4EBE9287CEAE16FE51B909", 16, 13),
]


def test_key_string_of_the_rfc_example():
    assert rfc3797.key_string(RFC_SOURCES) == RFC_KEY
    # Order inside a source does not matter; leading zeros and separators are canonicalised.
    assert rfc3797.canonical_source("12, 08 10 5 2") == "2.5.8.10.12./"
    assert rfc3797.canonical_source("0 007") == "0.7./"


def test_selection_reproduces_the_rfc_table():
    pool = list(range(1, 26))
    steps = rfc3797.select(pool, 10, RFC_KEY)
    assert [(s.index, s.digest, s.remaining, s.item) for s in steps] == RFC_TABLE
    assert [s.item for s in steps] == [17, 7, 2, 16, 25, 23, 8, 24, 19, 13]
    # The position in the published pool is what a unit list is indexed by.
    assert [s.position for s in steps] == [s.item for s in steps]


def test_selection_with_named_pool_and_continuation():
    names = [f"U{i:02d}" for i in range(1, 26)]
    whole = rfc3797.select(names, 10, RFC_KEY)
    assert [s.item for s in whole][:3] == ["U17", "U07", "U02"]
    # Drawing 3 then continuing at index 3 on the rest gives the same sequence as drawing 10.
    first = rfc3797.select(names, 3, RFC_KEY)
    rest_pool = [n for n in names if n not in {s.item for s in first}]
    rest = rfc3797.select(rest_pool, 7, RFC_KEY, start_index=3)
    assert [s.item for s in first + rest] == [s.item for s in whole]
    assert [s.digest for s in rest] == [d for _i, d, _r, _s in RFC_TABLE[3:]]


def test_entropy_matches_rfc_section_3_3():
    # RFC 3797 §3.3: selecting 10 of a pool of 25 needs about 22 bits, 10 of 100 about 44.
    assert round(rfc3797.entropy_bits(10, 25)) == 22
    assert round(rfc3797.entropy_bits(10, 100)) == 44
    assert rfc3797.entropy_bits(5, 5) == 0.0


@pytest.mark.parametrize("bad", ["", "  ", "12 3.5", "abc", "-3", "１２"])
def test_bad_sources_are_refused(bad):
    with pytest.raises(AssessError):
        rfc3797.key_string([bad])


def test_count_larger_than_pool_is_refused():
    with pytest.raises(AssessError):
        rfc3797.select([1, 2, 3], 4, RFC_KEY)
