"""Render a report `Document` as one self-contained HTML file and as Markdown.

The document is a list of sections made of a few block types (heading, paragraph, list, table,
key-value table, figure, note). Both renderers walk the same blocks, so the HTML and the
Markdown say the same thing. The HTML has no script, no external stylesheet, font or image:
figures are embedded as base64 PNG, the style is inline, so it opens in any browser offline and
an auditor can archive it as one file. Every text is escaped.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass, field

import pandas as pd

from company_risk.png import data_uri


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Note:
    """A highlighted paragraph: a warning or a conclusion the reader must not miss."""

    text: str


@dataclass(frozen=True)
class Bullets:
    items: list[str]


@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class Table:
    frame: pd.DataFrame
    caption: str = ""


@dataclass(frozen=True)
class KeyValues:
    pairs: list[tuple[str, str]]
    caption: str = ""


@dataclass(frozen=True)
class Figure:
    png: bytes
    caption: str


Block = Paragraph | Note | Bullets | Heading | Table | KeyValues | Figure


@dataclass(frozen=True)
class Section:
    title: str
    blocks: list[Block] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-")


@dataclass(frozen=True)
class Document:
    title: str
    subtitle: str
    sections: list[Section]


STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; margin: 2em auto;
       max-width: 1150px; padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.7em; margin-bottom: 0.1em; } h2 { border-bottom: 1px solid #ccc; margin-top: 2em; }
h3 { margin-top: 1.4em; } .subtitle { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: 0.6em 0 1.2em; font-size: 0.85em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.55em; text-align: left; vertical-align: top; }
th { background: #f2f2f2; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
caption { caption-side: top; text-align: left; font-weight: 600; padding-bottom: 0.3em; }
figure { margin: 1em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: 0.85em; color: #555; }
.note { background: #fff8e1; border-left: 4px solid #f9a825; padding: 0.5em 0.8em; }
nav ol { columns: 2; font-size: 0.9em; }
"""


# -------------------------------------------------------------------------------- formatting
def cell_text(value: object) -> str:
    """A table cell as text: floats to 4 significant digits, missing values as an en dash."""
    if value is None:
        return "–"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "–"
        return f"{value:.4g}" if abs(value) < 1e6 else f"{value:,.0f}"
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if value is pd.NaT:
        return "–"
    return str(value)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# ------------------------------------------------------------------------------------- HTML
def to_html(doc: Document) -> str:
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(doc.title)}</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        f"<h1>{e(doc.title)}</h1>",
        f'<p class="subtitle">{e(doc.subtitle)}</p>',
        "<nav><ol>",
        *[f'<li><a href="#{s.anchor}">{e(s.title)}</a></li>' for s in doc.sections],
        "</ol></nav>",
    ]
    for section in doc.sections:
        parts.append(f'<section id="{section.anchor}">')
        parts.append(f"<h2>{e(section.title)}</h2>")
        parts.extend(_html_block(block) for block in section.blocks)
        parts.append("</section>")
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


def _html_block(block: Block) -> str:
    e = html.escape
    if isinstance(block, Heading):
        return f"<h3>{e(block.text)}</h3>"
    if isinstance(block, Paragraph):
        return f"<p>{e(block.text)}</p>"
    if isinstance(block, Note):
        return f'<p class="note">{e(block.text)}</p>'
    if isinstance(block, Bullets):
        return "<ul>" + "".join(f"<li>{e(item)}</li>" for item in block.items) + "</ul>"
    if isinstance(block, KeyValues):
        return _html_table(pd.DataFrame(block.pairs, columns=["item", "value"]), block.caption)
    if isinstance(block, Table):
        return _html_table(block.frame, block.caption)
    if isinstance(block, Figure):
        return (
            f'<figure><img src="{data_uri(block.png)}" alt="{e(block.caption)}">'
            f"<figcaption>{e(block.caption)}</figcaption></figure>"
        )
    raise TypeError(f"unknown block {type(block).__name__}")


def _html_table(frame: pd.DataFrame, caption: str) -> str:
    e = html.escape
    head = "".join(f"<th>{e(str(c))}</th>" for c in frame.columns)
    body = []
    for row in frame.itertuples(index=False):
        cells = "".join(
            f'<td class="num">{e(cell_text(v))}</td>'
            if _is_number(v)
            else f"<td>{e(cell_text(v))}</td>"
            for v in row
        )
        body.append(f"<tr>{cells}</tr>")
    cap = f"<caption>{e(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


# --------------------------------------------------------------------------------- Markdown
def to_markdown(doc: Document, html_name: str) -> str:
    """Markdown with the same text and tables; figures are named and left to the HTML file
    `html_name` (base64 images would make the Markdown unreadable in a diff)."""
    lines = [f"# {doc.title}", "", doc.subtitle, ""]
    lines += [f"{i}. [{s.title}](#{s.anchor})" for i, s in enumerate(doc.sections, start=1)]
    lines.append("")
    for section in doc.sections:
        lines += [f"## {section.title}", ""]
        for block in section.blocks:
            lines += _md_block(block, html_name)
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _md_block(block: Block, html_name: str) -> list[str]:
    if isinstance(block, Heading):
        return [f"### {block.text}"]
    if isinstance(block, Paragraph):
        return [block.text]
    if isinstance(block, Note):
        return [f"> **Note.** {block.text}"]
    if isinstance(block, Bullets):
        return [f"- {item}" for item in block.items]
    if isinstance(block, KeyValues):
        return _md_table(pd.DataFrame(block.pairs, columns=["item", "value"]), block.caption)
    if isinstance(block, Table):
        return _md_table(block.frame, block.caption)
    if isinstance(block, Figure):
        return [f"*Figure: {block.caption} (see {html_name}).*"]
    raise TypeError(f"unknown block {type(block).__name__}")


def _md_table(frame: pd.DataFrame, caption: str) -> list[str]:
    def esc(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = [f"**{caption}**", ""] if caption else []
    lines.append("| " + " | ".join(esc(str(c)) for c in frame.columns) + " |")
    lines.append(
        "| "
        + " | ".join("---:" if _numeric_column(frame[c]) else "---" for c in frame.columns)
        + " |"
    )
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(esc(cell_text(v)) for v in row) + " |")
    return lines


def _numeric_column(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
