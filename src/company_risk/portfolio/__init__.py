"""The portfolio of a supplier's unpaid invoices, seen through the scores of one day.

What the commercial scores are bought for: every open sales invoice by its customer's risk
class, due date and limit; the expected loss; which invoices will probably never be collected;
which customers are over their limit. Downstream of scoring: it reads a scored partition and
may call scoring's pure functions (the customers' status at D), never the reverse.

Modules by concern, pure functions on DataFrames except `run` (the I/O edge the CLI calls):
`ledger` (the CSV export of open invoices, parsed and checked row by row: `parse_ledger`),
`customers` (the status of customers outside the scored partition, from the history tables),
`figures` (the portfolio as of the scored day: `build_portfolio` -> `Portfolio`, with
`to_dict` for the API), `plots` and `page` (the self-contained HTML page), `example` (the
sample ledger of `--example`) and `run` (read, build, write).
"""

from __future__ import annotations

from company_risk.errors import CompanyRiskError


class PortfolioError(CompanyRiskError, ValueError):
    """A ledger that cannot be used at all (not UTF-8 text, a required column missing, no row
    that parses), or no scored day to value it with."""
