"""What the CLI tests share: the installed `vidsift` command, a run's JSON lines, and the one-line error."""

from __future__ import annotations

import json
import subprocess

from tests.infra import env_with, vidsift_exe


def vidsift(*args, check=False, cwd=None, timeout=None, **env):
    """Run the installed command (no progress bar); ``env`` adds VIDSIFT_* settings."""
    return subprocess.run([vidsift_exe(), *map(str, args)], capture_output=True, text=True, check=check, cwd=cwd,
                          env=env_with(VIDSIFT_NO_PROGRESS="1", **env), timeout=timeout)


def lines(path):
    return [json.loads(l) for l in path.read_text().splitlines()]


def error_line(proc, max_lines: int | None = None) -> str:
    """The one ``Error:`` line; nothing like a traceback around it (and at most ``max_lines`` of stderr)."""
    assert "Traceback" not in proc.stderr, proc.stderr
    errors = [l for l in proc.stderr.splitlines() if l.startswith("Error:")]
    assert len(errors) == 1, proc.stderr
    assert max_lines is None or len(proc.stderr.splitlines()) <= max_lines, proc.stderr
    return errors[0]
