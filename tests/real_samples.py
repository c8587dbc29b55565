"""Where the verbatim real rows of the published files are, and the one sample that is not a
file in its published layout (the current EMTA rows, stored as JSON lines), rebuilt as one.

The samples live outside the project (`../shared/real-samples/` from its root) and are never
copied into it; a test that needs them skips with a message where they are absent.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import pytest

from company_risk import formats as F

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "real-samples"
CURRENT_ROWS = "tasutud_maksud_kaesolev_aasta_eng.rows.jsonl.txt"
needs_real = pytest.mark.skipif(not REAL.is_dir(), reason=f"real samples not found at {REAL}")


def real_sample(name: str) -> Path:
    """The path of one real sample, or a skip naming it when the samples are absent."""
    path = REAL / name
    if not path.is_file():
        pytest.skip(f"real sample {name} not found in {REAL} (the shared samples are absent)")
    return path


def current_rows() -> list[dict]:
    """The real rows of EMTA's current-generation English file (NaN = an empty cell)."""
    text = real_sample(CURRENT_ROWS).read_text("utf-8")
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def current_csv(path: Path, rows: list[dict], header=F.TAX_PAYMENTS_COLUMNS, names=None) -> Path:
    """The current-generation layout: `,`, every field quoted, UTF-8 with a BOM; None/NaN is
    an empty cell, a float is written as Python writes it (`1178.0`)."""
    buf = io.StringIO()
    writer = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow([names[c] for c in header] if names else header)
    for row in rows:
        cells = []
        for column in header:
            value = row.get(column)
            missing = value is None or (isinstance(value, float) and math.isnan(value))
            cells.append("" if missing else str(value))
        writer.writerow(cells)
    path.write_bytes(("\ufeff" + buf.getvalue()).encode("utf-8"))
    return path
