"""What a visitor may read by path: resolution before checking, folder listing that never
leaves the allowed folders, the scan limit, and the app's settings file."""

from __future__ import annotations

from pathlib import Path

import pytest

import posecheck.file_access as file_access
from posecheck.errors import InputError
from posecheck.file_access import (
    AppSettings,
    PathAccess,
    SettingsError,
    load_settings,
    parse_folders,
    save_settings,
)


@pytest.fixture(autouse=True)
def data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("POSECHECK_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def _touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path


def test_the_person_at_this_computer_may_name_any_path(tmp_path: Path) -> None:
    access = PathAccess.for_request(server_address="127.0.0.1", client_ip=None)
    assert access.anywhere and access.offered
    assert access.check(f"  {tmp_path}  ") == tmp_path.resolve()


def test_listing_skips_hidden_files_other_types_and_linked_folders(tmp_path: Path) -> None:
    root = tmp_path / "videos"
    for name in ("b.MP4", "a.mov", "sub/c.webm", ".hidden.mp4", ".trash/d.mp4", "e.txt"):
        _touch(root / name)
    (root / "linked").symlink_to(root / "sub", target_is_directory=True)
    access = PathAccess(None)
    assert [p.relative_to(root) for p in access.videos(root)] == [
        Path("a.mov"), Path("b.MP4"), Path("sub/c.webm"),
    ]  # fmt: skip


def test_a_link_inside_the_allowed_folder_to_another_file_inside_counts_once(
    tmp_path: Path,
) -> None:
    root = tmp_path / "allowed"
    video = _touch(root / "a.mp4")
    (root / "alias.mp4").symlink_to(video)
    assert PathAccess((root.resolve(),)).videos(root.resolve()) == [video.resolve()]


def test_a_huge_folder_is_refused_instead_of_walked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(file_access, "MAX_SCAN", 5)
    for i in range(8):
        _touch(tmp_path / "many" / f"{i}.mp4")
    with pytest.raises(InputError, match=r"holds too many files to look through \(over 5\)"):
        PathAccess(None).videos(tmp_path / "many")


def test_allowed_folders_that_no_longer_exist_are_not_offered(tmp_path: Path) -> None:
    settings = AppSettings((tmp_path / "gone",))
    access = PathAccess.for_request(server_address="0.0.0.0", client_ip="10.0.0.5",
                                    settings=settings)  # fmt: skip
    assert access.roots == () and not access.offered


def test_settings_round_trip_and_a_damaged_file_is_one_sentence(data_dir: Path) -> None:
    assert load_settings() == AppSettings()
    save_settings(AppSettings((Path("/srv/recordings"),)))
    assert load_settings().allowed_folders == (Path("/srv/recordings"),)
    (data_dir / "app_settings.json").write_text('{"allowed_folders": "/"}')
    with pytest.raises(SettingsError, match=r"are damaged \(allowed_folders must be a list"):
        load_settings()
    (data_dir / "app_settings.json").write_text('{"folders": []}')
    with pytest.raises(SettingsError, match=r"unknown setting\(s\) \['folders'\]"):
        load_settings()


def test_typed_folders_must_be_full_paths_of_folders(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="recordings is not a full path"):
        parse_folders("recordings")
    with pytest.raises(ValueError, match="must be absolute"):
        AppSettings((Path("relative"),))
    assert parse_folders(f"{tmp_path}\n\n{tmp_path}/.\n").allowed_folders == (tmp_path.resolve(),)
