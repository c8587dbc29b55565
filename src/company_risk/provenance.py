"""Provenance stamps shared by training runs, scoring manifests and the report.

One definition of "which code" and "which parameters", so an auditor can match a score's
manifest, the training run's tags and the report's lineage by equal strings.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

from company_risk.config import Params, params_to_dict


def file_md5(path: Path) -> str:
    """MD5 of the file's bytes: the hash DVC 3 records for a file output, so a training run's tag
    and the report's lineage can be compared with `dvc.lock`."""
    digest = hashlib.md5()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def params_hash(params: Params) -> str:
    """A short content hash of the effective parameters (defaults included)."""
    canonical = json.dumps(params_to_dict(params), sort_keys=True).encode()
    return hashlib.sha256(canonical).hexdigest()[:16]


def git_commit(root: Path) -> str:
    """HEAD's commit, with ` +uncommitted changes` when tracked files differ from it, so a result
    built from code that no commit holds says so."""
    try:
        head = _git(root, "rev-parse", "HEAD")
        dirty = _git(root, "status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return "unknown (not a git checkout)"
    return f"{head} +uncommitted changes" if dirty else head


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, timeout=30, check=True
    )
    return done.stdout.strip()
