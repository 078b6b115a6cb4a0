"""Output paths are checked before anything is read or solved (WORKBOOK.md, "The command
line"), and every workbook is written with the permissions a new file gets from the
user's umask."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from optimizer.cli import app
from optimizer.xlsx import save_atomically, write_instance

runner = CliRunner()
EXAMPLE = Path(__file__).resolve().parent.parent / "inputs" / "north_america.xlsx"
# Every command that takes an output path, with the words its message starts with. The
# input does not exist: a message about the output path proves it was checked before
# anything was read (let alone solved).
COMMANDS = [
    (["solve", "{input}", "-o", "{out}"], "report path"),
    (["solve", "{input}", "--engine", "ph", "-o", "{out}"], "report path"),
    (["analyze", "{input}", "-o", "{out}"], "report path"),
    (["sweep", "{input}", "--budget-scale", "0.5,1", "-o", "{out}"], "report path"),
    (["coalitions", "{input}", "-o", "{out}"], "report path"),
    (["sample", "{input}", "-o", "{out}"], "sampled workbook path"),
    (["template", "{out}"], "template path"),
]


def run(args, tmp_path, out):
    missing = tmp_path / "no such input.xlsx"
    argv = [a.format(input=missing, out=out) for a in args]
    return runner.invoke(app, argv)


def only_line(result) -> str:
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    return lines[0]


@pytest.mark.parametrize(("args", "what"), COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_a_folder_is_refused_before_reading(args, what, tmp_path):
    folder = tmp_path / "some_folder"
    folder.mkdir()
    result = run(args, tmp_path, folder)
    assert result.exit_code == 1
    assert only_line(result) == (f"error   {what} {folder}: found a folder; expected a file "
                                 f"name ending in .xlsx, e.g. {folder / 'plan.xlsx'}")
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize(("args", "what"), COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_a_name_not_ending_in_xlsx_is_refused(args, what, tmp_path):
    out = tmp_path / "plan.csv"
    result = run(args, tmp_path, out)
    assert result.exit_code == 1
    assert only_line(result) == (f"error   {what} {out}: found a name ending in '.csv'; "
                                 "expected a name ending in .xlsx (the file is an Excel "
                                 "workbook)")
    assert not out.exists()


@pytest.mark.parametrize(("args", "what"), COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_a_path_under_a_file_is_refused(args, what, tmp_path):
    """A folder that cannot be written, also for root: its 'folder' is a regular file."""
    notes = tmp_path / "notes.txt"
    notes.write_text("mine")
    out = notes / "plan.xlsx"
    result = run(args, tmp_path, out)
    assert result.exit_code == 1
    assert only_line(result) == (f"error   {what} {out}: found {notes}, a file, where a "
                                 "folder should be; expected a folder that can be written")
    assert notes.read_text() == "mine"


@pytest.mark.skipif(sys.platform != "linux" or not Path("/sys").is_dir(),
                    reason="/sys (no file can be made there, also by root) is Linux's")
def test_a_folder_that_cannot_be_written_is_refused_even_for_root(tmp_path):
    result = run(["analyze", "{input}", "-o", "{out}"], tmp_path, "/sys/plan.xlsx")
    assert result.exit_code == 1
    assert only_line(result) == ("error   report path /sys/plan.xlsx: found the folder /sys, "
                                 "which cannot be written (Permission denied); expected a "
                                 "folder that can be written")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="root can write into a read-only folder")
def test_a_read_only_folder_is_refused(tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        result = run(["solve", "{input}", "-o", "{out}"], tmp_path, folder / "new" / "p.xlsx")
    finally:
        folder.chmod(0o755)
    assert result.exit_code == 1
    assert only_line(result) == (f"error   report path {folder / 'new' / 'p.xlsx'}: found the "
                                 f"folder {folder}, which cannot be written (Permission "
                                 "denied); expected a folder that can be written")


def test_missing_folders_on_the_way_are_fine_and_made(tmp_path, case_a_workbook):
    out = tmp_path / "a" / "b" / "report.xlsx"
    result = runner.invoke(app, ["solve", str(case_a_workbook), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.is_file()


@pytest.fixture
def case_a_workbook(tmp_path):
    from instances import case_a

    return save_atomically(write_instance(case_a()), tmp_path / "case_a.xlsx")


@pytest.fixture
def umask():
    """Set the process umask for one test, restored after."""
    saved = os.umask(0o022)
    yield os.umask
    os.umask(saved)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_report_gets_the_permissions_of_a_new_file(umask, mask, mode, tmp_path,
                                                   case_a_workbook):
    umask(mask)
    out = tmp_path / "report.xlsx"
    result = runner.invoke(app, ["solve", str(case_a_workbook), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(out.stat().st_mode) == mode


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_a_private_report_written_again_gets_the_umask_permissions(umask, tmp_path,
                                                                   case_a_workbook):
    """A report left with mode 0600 by an earlier version is replaced by a 0644 one
    under umask 022 (the template goes through the same save)."""
    out = tmp_path / "template.xlsx"
    out.write_bytes(b"old")
    out.chmod(0o600)
    result = runner.invoke(app, ["template", str(out), "--force"])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
