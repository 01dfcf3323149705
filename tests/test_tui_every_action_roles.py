"""Every key of every screen for the roles ``tests/test_tui_every_action.py`` leaves to this file
(the harness and its rules are there): inspector, reviewer and committee member. The whole sweep
takes minutes of CPU (the rounds and ballots areas 7–11 s per role), so this half is ``slow``: it
runs in CI and with ``-m slow``; the default run sweeps every screen as administrator and clerk."""

from __future__ import annotations

import pytest

from tui.nav import AREAS

from .test_tui_every_action import ROLES, ROLES_HERE, _check, _drive

OTHER_ROLES = [r for r in ROLES if r not in ROLES_HERE]


@pytest.mark.slow
@pytest.mark.parametrize("role", OTHER_ROLES)
@pytest.mark.parametrize("area", AREAS, ids=lambda a: a.name)
async def test_every_key_of_every_screen_other_roles(demo_db, area, role, monkeypatch, tmp_path):
    _check(*await _drive(demo_db, area, role, monkeypatch, tmp_path))


def test_the_two_files_cover_every_role():
    assert sorted(ROLES_HERE + OTHER_ROLES) == sorted(ROLES) and OTHER_ROLES
