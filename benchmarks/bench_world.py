"""Benchmark of the default world: can the comparison tell the models apart, and how long does
`make run`'s pipeline take?

Clones the repository's committed HEAD into a temporary folder (what a fresh clone holds),
runs `dvc repro` there with the installed environment, and records into reports/benchmarks.json
under `world`:
- the wall time of the whole pipeline and of each stage (from the stages' own log lines);
- the champion's test ROC-AUC and the half-width of its company-bootstrap interval (target
  ≤ 0.015);
- the paired test of every other run against the champion: how many are told apart, and the
  smallest ROC-AUC difference that is (target: a difference of 0.02 is told apart).

The install (`make install`) is not timed here: a fresh clone's `make run` adds it.

    .venv/bin/python benchmarks/bench_world.py [--keep /tmp/world]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from results import record

from company_risk.config import ProjectPaths, load_params
from company_risk.report.analysis import analyse
from company_risk.report.collect import ReportSources, collect_evidence

REPO = Path(__file__).resolve().parents[1]
STAGE_DONE = re.compile(r"INFO company_risk\.(\w+): \w+: done in ([\d.]+) s")


def repro(clone: Path) -> tuple[float, dict[str, float], str]:
    """Run the pipeline in `clone`; (seconds, seconds per stage, the log)."""
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "PYTHONPATH": str(clone / "src"),  # the clone's code, not the installed checkout's
    }
    env.pop("MLFLOW_TRACKING_URI", None)
    started = time.perf_counter()
    done = subprocess.run(
        ["dvc", "repro"], cwd=clone, env=env, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - started
    log = done.stdout + done.stderr
    if done.returncode:
        raise SystemExit(f"dvc repro failed ({done.returncode}):\n{log[-4000:]}")
    stages = {m[1]: float(m[2]) for m in STAGE_DONE.finditer(log)}
    return seconds, stages, log


def separability(root: Path) -> dict[str, float | int]:
    """The champion's interval and the paired tests, as the report computes them."""
    paths = ProjectPaths(root)
    params = load_params(paths.params)
    sources = ReportSources.from_paths(paths, paths.params, paths.tracking_uri({}))
    analysis = analyse(collect_evidence(sources, params))
    champion = analysis.champion.row
    low, high = champion["test_roc_auc_low"], champion["test_roc_auc_high"]
    pairs = analysis.comparison.against_champion
    roc = pairs.loc[pairs["metric"] == "roc_auc"]
    told = roc.loc[roc["told_apart"]]
    untold = roc.loc[~roc["told_apart"]]
    return {
        "n_companies": params.synth.n_companies,
        "champion": f"{champion['model']}__{champion['feature_set']}",
        "champion_test_roc_auc": round(float(champion["test_roc_auc"]), 4),
        "champion_test_roc_auc_half_width": round(float(high - low) / 2, 4),
        "pairs": len(roc),
        "pairs_told_apart": len(told),
        "smallest_difference_told_apart": round(float(told["difference"].abs().min()), 4)
        if len(told)
        else None,
        "largest_difference_not_told_apart": round(float(untold["difference"].abs().max()), 4)
        if len(untold)
        else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keep", type=Path, help="clone here and keep it (default: a temp dir)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="company-risk-world-") as scratch:
        clone = args.keep or Path(scratch) / "clone"
        subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True)
        seconds, stages, _ = repro(clone)
        figures = {
            "pipeline_seconds": round(seconds, 1),
            **{f"{stage}_seconds": round(s, 1) for stage, s in stages.items()},
            **separability(clone),
        }
    record("world", figures, REPO / "reports" / "benchmarks.json")


if __name__ == "__main__":
    main()
