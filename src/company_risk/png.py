"""Matplotlib figures as PNG bytes and data URIs, for the self-contained HTML pages (the
auditor report, the portfolio page): one resolution, no timestamp in the file, so a page
rebuilt from the same figures is the same bytes."""

from __future__ import annotations

import base64
import io

from matplotlib.figure import Figure

DPI = 100


def to_png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    return buffer.getvalue()


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
