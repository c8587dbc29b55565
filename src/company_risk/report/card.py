"""The model card: what the champion is for, what it predicts, and where it must not be trusted.

The facts in the card (horizon, champion, training range, test figures, base rate) are passed in
from the evidence; the prose around them is fixed (the `card.*` templates of
`templates/prose.toml`), because the intended use and the limitations of a default model do not
change from run to run, and an auditor should find them worded the same way in every report.
"""

from __future__ import annotations

from dataclasses import dataclass

from company_risk.report.prose import text
from company_risk.report.render import Bullets, Heading, KeyValues, Note, Paragraph, Section

LIMITATIONS = ("accuracy", "deletions", "period", "calibration", "slices")
BEFORE_USE = (
    "retrain",
    "collect",
    "ingest",
    "base_rates",
    "label",
    "rerun",
    "slices",
    "gdpr",
)


@dataclass(frozen=True)
class CardFacts:
    horizon_months: int
    champion: str  # "xgboost on all (version 3, run …)" or "none yet"
    train_range: str  # "2016-01-01 .. 2021-10-01"
    test_range: str
    test_roc_auc: str
    test_pr_auc: str
    test_accuracy: str
    test_default_rate: str
    synthetic: bool  # the data came from the embedded synthetic world
    risk_classes: str  # "I < 2 % ≤ II < 5 % …"


def model_card(facts: CardFacts) -> Section:
    h = facts.horizon_months
    data = "synthetic" if facts.synthetic else "real"
    blocks = [
        KeyValues(
            [
                ("model", facts.champion),
                ("predicts", text("card.predicts", horizon=h)),
                ("training snapshots", facts.train_range),
                ("test snapshots", facts.test_range),
                ("test ROC-AUC", facts.test_roc_auc),
                ("test PR-AUC", facts.test_pr_auc),
                ("test accuracy (at the validation threshold)", facts.test_accuracy),
                ("test default rate", facts.test_default_rate),
                ("risk classes", facts.risk_classes),
                (
                    "data",
                    "embedded synthetic register" if facts.synthetic else "downloaded open data",
                ),
            ],
            caption="Summary",
        ),
        Heading("Intended use"),
        Paragraph(text("card.intended_use")),
        Bullets([text("card.users"), text("card.not_for")]),
        Heading("The label and the horizon"),
        Paragraph(text("card.label", horizon=h)),
        Heading("Known limitations"),
        Bullets([text(f"card.limit_{data}"), *(text(f"card.limit_{k}") for k in LIMITATIONS)]),
        Heading("Before use on real data"),
        Bullets([text(f"card.before_{k}") for k in BEFORE_USE]),
        Note(text("card.no_personal_data")),
    ]
    return Section("Model card", blocks)
