"""The report's sentences: named templates in `templates/*.toml`, filled with figures.

`prose.toml` holds the core sections; a part of the report with many sentences of its own has
its own file beside it (its table names must not repeat another file's). The files ship with the package (pyproject.toml's package data) and is read through
importlib.resources, so the report reads the same wording installed or from a checkout. Each
template is a `string.Template`: the caller formats every figure and passes it by name, and a
placeholder left without a figure is an error rather than a `$name` in the report.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib.resources import files
from string import Template

TEMPLATE_DIR = "templates"


class ProseError(KeyError):
    """A template name the file does not hold, or a template filled without one of its figures."""


@cache
def templates() -> dict[str, Template]:
    """Every template by its dotted name (`section.key`), in the file's order."""
    found: dict[str, Template] = {}
    folder = files("company_risk.report").joinpath(TEMPLATE_DIR)
    for resource in sorted(folder.iterdir(), key=lambda r: r.name):
        if not resource.name.endswith(".toml"):
            continue
        for section, entries in tomllib.loads(resource.read_text(encoding="utf-8")).items():
            for key, value in entries.items():
                name = f"{section}.{key}"
                if name in found:
                    raise ProseError(f"template {name!r} is defined twice ({resource.name})")
                found[name] = Template(value)
    return found


def text(name: str, /, **figures: object) -> str:
    """The template `name` with its placeholders replaced by `figures` (as `str(figure)`)."""
    try:
        template = templates()[name]
    except KeyError:
        raise ProseError(f"no template {name!r} in {TEMPLATE_DIR}/*.toml") from None
    try:
        return template.substitute(figures)
    except KeyError as exc:
        raise ProseError(f"template {name!r} needs the figure {exc.args[0]!r}") from None
