"""The notebooks under docs/notebooks run top to bottom in a fresh kernel; their asserts are the checks."""

import pathlib

import nbclient
import nbformat
import pytest

NOTEBOOKS = sorted((pathlib.Path(__file__).parent.parent / "docs" / "notebooks").glob("*.ipynb"))


def test_there_are_three_notebooks():
    assert {p.stem for p in NOTEBOOKS} >= {"smoothing_lemma_s2", "compile_and_certify", "prefix_length"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path):
    nb = nbformat.read(path, as_version=4)
    # a failing assert (or any error) in a cell raises CellExecutionError, naming the cell
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
