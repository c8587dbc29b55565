"""The HTTP API and the company card over the daily scores (`company-risk serve`).

Entry point: `company_risk.serve.app.create_app`. The served day in memory and its switch:
`served`; API keys and browser sessions: `auth`; watchlist webhooks: `webhooks`; the card and
the documentation pages: `card`; response shapes for the OpenAPI document: `schemas`.
"""
