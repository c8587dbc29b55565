"""The project lock: one command that writes at a time; the loser is told who holds it."""

import os
import signal
import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

from company_risk.cli import app, command
from company_risk.lock import LockError, ProjectLocked, lock_path, project_lock, read_holder

runner = CliRunner()

HOLD_SCRIPT = r"""
import sys, time
from pathlib import Path
from company_risk.lock import project_lock

root, hold = Path(sys.argv[1]), sys.argv[2]
with project_lock(root, "company-risk ingest", "company-risk ingest --until 2025-01-01"):
    print("held", flush=True)
    if hold == "stdin":
        sys.stdin.read()
    else:
        time.sleep(float(hold))
"""

WRITING_COMMANDS = ["synth", "ingest", "features", "train", "score", "daily", "report"]


@pytest.fixture
def project(tmp_path):
    (tmp_path / "params.yaml").write_text("{}\n", encoding="utf-8")
    return tmp_path


def _hold(root, hold="stdin"):
    """A child process holding the project lock: until its stdin closes, or `hold` seconds."""
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD_SCRIPT, str(root), hold],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout.readline().strip() == "held"
    return child


def _release(child):
    child.stdin.close()
    child.wait(timeout=30)
    child.stdout.close()


def test_a_second_writer_is_refused_naming_the_holder(project):
    child = _hold(project)
    try:
        with pytest.raises(ProjectLocked) as refused, project_lock(project, "company-risk score"):
            pytest.fail("took a lock another process holds")
        message = str(refused.value)
        assert f"pid {child.pid}" in message
        assert "`company-risk ingest`" in message and "--until 2025-01-01" in message
        assert "since 20" in message and "--wait" in message
        holder = read_holder(project)
        assert holder.pid == child.pid and holder.command == "company-risk ingest"
    finally:
        _release(child)
    with project_lock(project, "company-risk score") as me:  # released: free again
        assert read_holder(project) == me
    assert read_holder(project) is None


@pytest.mark.parametrize("name", WRITING_COMMANDS)
def test_every_command_that_writes_refuses_while_another_holds_the_lock(project, name):
    child = _hold(project)
    try:
        result = runner.invoke(app, ["--project-dir", str(project), name])
    finally:
        _release(child)
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: ") and "the project is busy" in result.output
    assert f"pid {child.pid}" in result.output and "company-risk ingest" in result.output
    assert "Traceback" not in result.output


def test_wait_proceeds_once_the_holder_releases(project):
    child = _hold(project, hold="1.0")
    try:
        started = time.monotonic()
        with project_lock(project, "company-risk score", wait_s=30) as me:
            waited = time.monotonic() - started
            assert me.pid == os.getpid()
        assert 0.3 < waited < 30
    finally:
        child.wait(timeout=30)
        child.stdout.close()


def test_cli_wait_option_proceeds_once_the_holder_releases(project):
    child = _hold(project, hold="1.0")
    try:
        # no data/raw: past the lock, ingest stops with its own named error
        result = runner.invoke(app, ["--project-dir", str(project), "--wait", "30", "ingest"])
    finally:
        child.wait(timeout=30)
        child.stdout.close()
    assert result.exit_code == 2
    assert "raw drop folder not found" in result.output
    assert "busy" not in result.output


def test_wait_gives_up_after_its_seconds(project):
    child = _hold(project)
    try:
        started = time.monotonic()
        with (
            pytest.raises(ProjectLocked, match=r"waited 0\.3 s"),
            project_lock(project, "company-risk score", wait_s=0.3),
        ):
            pytest.fail("took a lock another process holds")
        assert time.monotonic() - started >= 0.3
    finally:
        _release(child)


def test_a_lock_file_left_by_a_killed_process_does_not_block(project):
    child = _hold(project)
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    child.stdout.close()
    child.stdin.close()
    assert read_holder(project).pid == child.pid  # the file still names the dead holder
    with project_lock(project, "company-risk score") as me:
        assert read_holder(project) == me


def test_the_lock_is_released_when_the_command_fails(project):
    with pytest.raises(RuntimeError), project_lock(project, "company-risk ingest"):
        raise RuntimeError("a bug")
    with project_lock(project, "company-risk ingest"):
        pass
    assert lock_path(project).exists()  # never deleted: a waiter may hold it open


def test_help_and_read_only_commands_take_no_lock(project):
    @command(writes=False)
    def peek() -> None:
        """A read-only command."""
        print("peeked")

    child = _hold(project)
    try:
        assert runner.invoke(app, ["--help"]).exit_code == 0
        assert (
            runner.invoke(app, ["--project-dir", str(project), "ingest", "--help"]).exit_code == 0
        )
        result = runner.invoke(app, ["--project-dir", str(project), "peek"])
        assert result.exit_code == 0 and "peeked" in result.output
    finally:
        _release(child)
        app.registered_commands[:] = [
            c for c in app.registered_commands if getattr(c.callback, "__name__", "") != "peek"
        ]


def test_a_command_must_declare_whether_it_writes():
    with pytest.raises(TypeError, match="writes=True"):

        @command
        def undeclared() -> None:
            pass


def test_a_missing_project_directory_is_a_named_error(tmp_path):
    with (
        pytest.raises(LockError, match="does not exist"),
        project_lock(tmp_path / "nowhere", "company-risk ingest"),
    ):
        pytest.fail("locked a project that does not exist")
    result = runner.invoke(app, ["--project-dir", str(tmp_path / "nowhere"), "ingest"])
    assert result.exit_code == 2 and "does not exist" in result.output
