"""The one base of every named failure of the project.

A command that meets bad input, a bad configuration or a broken store raises a subclass of
`CompanyRiskError` whose message names the file, the row or item and the field (or the
parameter key). The CLI catches this one class, prints the message and exits with code 2;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class CompanyRiskError(Exception):
    """A named failure: the message says what is wrong and where; nothing was half-written."""
