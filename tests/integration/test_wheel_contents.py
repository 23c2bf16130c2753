"""The wheel users install carries every file of the package: code, templates, static files, translations and
migrations at any depth (an editable checkout hides a forgotten one; the installed package answers 500)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "evperks"
SKIPPED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "*.db", "*.db-*")


def package_files() -> set[str]:
    """Every file of src/evperks as a path inside the wheel (``evperks/web/templates/...``)."""
    return {
        path.relative_to(PACKAGE.parent).as_posix()
        for path in PACKAGE.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }


def build_wheel(tmp_path: Path) -> Path:
    """Build from a copy of the checkout, so the build leaves nothing in the working tree."""
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "src", source / "src", ignore=SKIPPED)
    out = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out), str(source)],
        check=True, capture_output=True, text=True,
    )
    (wheel,) = out.glob("evperks-*.whl")
    return wheel


def test_the_built_wheel_holds_every_file_of_the_package(tmp_path):
    wheel = build_wheel(tmp_path)
    with zipfile.ZipFile(wheel) as archive:
        shipped = {name for name in archive.namelist() if name.startswith("evperks/")}
    expected = package_files()
    # Guard the guard: the folders the console and migrations need really are part of what is compared.
    for folder in ("evperks/web/templates/admin/campaigns/", "evperks/web/static/", "evperks/web/translations/",
                   "evperks/db/migrations/versions/"):
        assert any(name.startswith(folder) for name in expected), folder
    missing = sorted(expected - shipped)
    assert not missing, f"{len(missing)} files of src/evperks are missing from {wheel.name}: {missing}"
    assert "evperks/web/templates/error.html" in shipped
