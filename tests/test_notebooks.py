"""The notebooks are committed without outputs and run top to bottom on the tiny world.

Each notebook's first code cell (tagged `parameters`) names the project directory; the test
replaces it with the tiny project's and executes the notebook in a fresh kernel with nbclient.
"""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = ("01-explore-register.ipynb", "02-compare-models.ipynb", "03-daily-scores.ipynb")
DEFAULT_PARAMETER = 'PROJECT_DIR = Path("..")'


@pytest.fixture(scope="module")
def notebooks_dir(pytestconfig):
    return pytestconfig.rootpath / "notebooks"


def parameter_cell(book) -> nbformat.NotebookNode:
    cells = [c for c in book.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1, "exactly one cell tagged `parameters`"
    return cells[0]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_committed_without_outputs(notebooks_dir, name):
    book = nbformat.read(notebooks_dir / name, as_version=4)
    nbformat.validate(book)
    code = [c for c in book.cells if c.cell_type == "code"]
    assert code and all(c.outputs == [] and c.execution_count is None for c in code)
    assert parameter_cell(book) is code[0]
    assert DEFAULT_PARAMETER in code[0].source
    assert any(
        "from company_risk" in c.source for c in code
    )  # the notebooks use the package's code


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_top_to_bottom_on_the_tiny_world(
    notebooks_dir, tiny_project, personal_data, name
):
    book = nbformat.read(notebooks_dir / name, as_version=4)
    cell = parameter_cell(book)
    cell.source = cell.source.replace(
        DEFAULT_PARAMETER, f"PROJECT_DIR = Path({str(tiny_project)!r})"
    )
    NotebookClient(
        book,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(notebooks_dir)}},
    ).execute()

    outputs = [o for c in book.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert images, "every notebook draws at least one figure"
    shown = "\n".join(
        str(o.get("text", ""))
        + str(o.get("data", {}).get("text/plain", ""))
        + str(o.get("data", {}).get("text/html", ""))
        for o in outputs
    )
    leaked = sorted(s for s in personal_data if s in shown)
    assert leaked == [], f"{name} shows {leaked[:5]}"
