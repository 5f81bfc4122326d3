"""bench/first_run.py's measurements: the venv's size and package count (the clone loop is the
bench itself, run by hand: `make bench-first-run`)."""

from __future__ import annotations

from bench.first_run import folder_bytes, installed_packages, seconds


def test_folder_bytes_counts_files_and_skips_symlinks(tmp_path):
    (tmp_path / "a").write_bytes(b"x" * 10)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b").write_bytes(b"y" * 5)
    (tmp_path / "link").symlink_to(tmp_path / "a")
    assert folder_bytes(tmp_path) == 15


def test_installed_packages_counts_dist_info_folders(tmp_path):
    site = tmp_path / "lib" / "python3.11" / "site-packages"
    for name in ["numpy-2.4.6.dist-info", "django-5.2.19.dist-info", "numpy"]:
        (site / name).mkdir(parents=True)
    assert installed_packages(tmp_path) == 2


def test_a_run_that_never_answered_prints_a_dash():
    assert seconds(None) == "-" and seconds(12.345) == "12.3"
