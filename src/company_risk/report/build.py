"""The `report` stage: collect the evidence, compute the figures, place them in the document,
write HTML and Markdown.

`write_report` is the stage's entry point (the CLI's `company-risk report` calls it). The only
I/O of the stage besides company_risk.report.collect; both files are written atomically, so a
failed run leaves the previous report in place.
"""

from __future__ import annotations

from pathlib import Path

from threadpoolctl import threadpool_limits

from company_risk.atomic import write_text
from company_risk.config import Params
from company_risk.report.analysis import analyse
from company_risk.report.collect import ReportSources, collect_evidence
from company_risk.report.render import to_html, to_markdown
from company_risk.report.sections import document

HTML_NAME = "model_comparison.html"
MARKDOWN_NAME = "model_comparison.md"


def write_report(
    sources: ReportSources, params: Params, generated_on: str | None, out: Path
) -> list[Path]:
    """Write `<out>/model_comparison.html` and `.md`; return their paths. Dated `generated_on`,
    by default the newest data's date (so rerunning on unchanged inputs rewrites the same bytes).
    Raises company_risk.report.collect.ReportError when there is no training run to report on."""
    evidence = collect_evidence(sources, params)
    # the bootstraps are thousands of small weighted sums: threaded BLAS only adds contention
    # there (about 4x slower on 2 cores), so the analysis runs single-threaded
    with threadpool_limits(limits=1):
        figures = analyse(evidence, generated_on)
        report = document(evidence, figures)
    html_path = write_text(to_html(report), Path(out) / HTML_NAME)
    md_path = write_text(to_markdown(report, HTML_NAME), Path(out) / MARKDOWN_NAME)
    return [html_path, md_path]
