"""Files written for people: created 0600 (only the office's service account reads them) in the
office's export folder (``assess.foundation.settings.office().export_dir``) unless a path is given."""

from __future__ import annotations

import os
from pathlib import Path

from assess.foundation.settings import office


def export_dir() -> Path:
    return office().export_dir.expanduser()


def export_path(name: str) -> Path:
    """Where a file called ``name`` goes by default."""
    return export_dir() / name


def write_private(path: str | Path, data: str | bytes) -> Path:
    """Write ``data`` to ``path`` (folders created 0700), the file created 0600, replaced whole."""
    path = Path(path).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def make_private(path: str | Path) -> Path:
    """For a file a library wrote by path (openpyxl, reportlab): readable by the office's account
    only, like everything else written for people."""
    path = Path(path)
    os.chmod(path, 0o600)
    return path
