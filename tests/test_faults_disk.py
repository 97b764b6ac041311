"""The fault suite, storage: the processed zone on a tiny tmpfs that fills up during the apply,
or is remounted read-only. The apply fails with an error naming the table and its location,
nothing half-written is visible (every Delta table reads as before), and once space is freed
(or the mount is writable again) the rerun ends equal to an undisturbed apply.

Needs the right to mount (root with CAP_SYS_ADMIN); skipped, with the reason, elsewhere."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fault_compare import differences, home_state
from fault_homes import copy_of, fault_env, reference
from fault_steps import STEPS

from platform_assets.errors import PlatformError


def _can_mount_tmpfs() -> bool:
    if os.geteuid() != 0:
        return False
    with tempfile.TemporaryDirectory() as where:
        tried = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", where], capture_output=True
        )
        if tried.returncode:
            return False
        subprocess.run(["umount", where], check=True)
    return True


pytestmark = [
    pytest.mark.faults,
    pytest.mark.slow,
    pytest.mark.skipif(not _can_mount_tmpfs(), reason="mounting a tmpfs needs root with CAP_SYS_ADMIN"),
]

FREE_KB = 32  # room for the log's small files, not for a MERGE's new data file


@pytest.fixture(scope="module", autouse=True)
def pii_key():
    with fault_env():
        yield


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True)


@contextmanager
def zone_on_tmpfs(zone: Path, aside: Path) -> Iterator[Path]:
    """Move `zone` onto its own tmpfs, as full as its content plus FREE_KB (its files on disk
    moved to `aside`, outside the lake); unmounted after."""
    kept = aside / zone.name
    shutil.move(zone, kept)
    zone.mkdir()
    _mount("-t", "tmpfs", "-o", "size=16m", "tmpfs", str(zone))
    try:
        shutil.copytree(kept, zone, dirs_exist_ok=True)
        used_kb = shutil.disk_usage(zone).used // 1024
        _mount("-o", f"remount,size={used_kb + FREE_KB}k", str(zone))
        yield zone
    finally:
        subprocess.run(["umount", "--lazy", str(zone)], check=False)


@pytest.mark.parametrize(
    ("fault", "broken", "repaired"),
    [
        ("disk full", None, "remount,size=16m"),
        ("read-only", "remount,ro", "remount,rw,size=16m"),
    ],
)
def test_apply_on_a_full_or_read_only_zone_fails_clearly_and_the_rerun_completes(
    fault, broken, repaired, tmp_path_factory, tmp_path
):
    expected, _ = reference("apply", tmp_path_factory)
    home = copy_of("base", tmp_path_factory, tmp_path / "home")
    before = home_state(home)
    with zone_on_tmpfs(home / "lake" / "processed", tmp_path) as zone:
        if broken:
            _mount("-o", broken, str(zone))
        with pytest.raises(PlatformError, match=rf"processed\.products .*{zone}/products") as failure:
            STEPS["apply"](home)
        assert ("No space left" if fault == "disk full" else "Read-only file system") in str(failure.value)
        assert differences(home_state(home), before) == [], f"{fault}: half-written data is visible"
        _mount("-o", repaired, str(zone))
        STEPS["apply"](home)
        assert differences(home_state(home), expected) == []
        STEPS["apply"](home)
        assert differences(home_state(home), expected) == []
