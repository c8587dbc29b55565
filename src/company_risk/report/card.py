"""The model card: what the champion is for, what it predicts, and where it must not be trusted.

The facts in the card (horizon, champion, training range, test figures, base rate) are passed in
from the evidence; the prose around them is fixed, because the intended use and the limitations
of a default model do not change from run to run, and an auditor should find them worded the
same way in every report.
"""

from __future__ import annotations

from dataclasses import dataclass

from company_risk.report.render import Bullets, Heading, KeyValues, Note, Paragraph, Section


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
    blocks = [
        KeyValues(
            [
                ("model", facts.champion),
                (
                    "predicts",
                    f"probability that an Estonian company defaults within {h} months of the scoring date",
                ),
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
        Paragraph(
            "Ranking the companies on the Estonian e-Business Register by their risk of default, to "
            "support (not replace) a credit manager's decision on payment terms and credit limits for "
            "business customers, and to flag companies whose risk rose since the last daily run."
        ),
        Bullets(
            [
                "Users: credit and risk analysts, with the daily scores and their reasons; data scientists retraining the model.",
                "Not for: decisions about natural persons (board members are only evidence about the companies), "
                "automated refusal without human review, or registers other than the Estonian one without retraining.",
            ]
        ),
        Heading("The label and the horizon"),
        Paragraph(
            f"label(t) = 1 when the company defaults in the {h} months after the snapshot date t, i.e. it is "
            "declared bankrupt (status N) or deleted from the register (status K, or missing from the drops) "
            "without passing through a voluntary liquidation (L) first. Voluntary liquidation followed by "
            "deletion is a non-default exit. The population at t is every company with status R at t; features "
            "use only facts published by t."
        ),
        Heading("Known limitations"),
        Bullets(
            [
                (
                    "Synthetic default data: the companies, boards, tax debts and defaults in this run come from a "
                    "simulated world. Its base rates follow published Estonian figures, but the strength of every "
                    "signal was chosen by the simulation: the figures here say the pipeline works, not how well it "
                    "would predict real defaults."
                    if facts.synthetic
                    else "Real open data: the label relies on the register's status history and on deletions inferred "
                    "from companies missing from the drops; a gap in the downloaded drops shifts default dates."
                ),
                "Accuracy is misleading under class imbalance: with a default rate of a few per cent, predicting "
                "'no default' for everyone scores an accuracy near 1 − the default rate. Judge the model by ROC-AUC, "
                "PR-AUC (against the default rate as the no-skill level), the top-5 % precision and recall, and the "
                "calibration plot.",
                "Compulsory deletions (mostly for unfiled annual reports) far outnumber bankruptcies and are easier "
                "to foresee; a good overall AUC can hide a weaker ranking of bankruptcies alone.",
                "The temporal split tests one period: a business cycle unlike the test years can change both the "
                "default rate and which signals matter.",
                "Probabilities are calibrated on the validation snapshots; when the default rate drifts, the risk "
                "classes drift with it even if the ranking holds (watch the daily population-stability alerts).",
                "Slices with few defaults (rare legal forms, small counties, the youngest companies) are measured "
                "with wide uncertainty; see the slices section.",
            ]
        ),
        Heading("Before use on real data"),
        Bullets(
            [
                "Retrain on real drops: never score real companies with a model trained on the synthetic world.",
                "Collect before training: one day's real files give current boards with tenure starts, the status "
                "histories of surviving companies, annual reports from 2019, taxes paid from 2022 and only that day's "
                "debtor list. Deleted companies, past board members and past debts exist only in drops collected at "
                "the time, so training on real data needs at least 12 months of daily drops (or an archive of them), "
                "which the daily job collects in real mode.",
                "Check the ingest of real files (formats, encodings, status codes) on a sample against the register's web view.",
                "Compare the realised base rates (companies, defaults per year, share with tax debt) with the published figures in the data section.",
                "Re-examine the label: bankruptcy and compulsory deletion may deserve separate models or weights for the intended credit use.",
                "Re-run this report and check the champion's ROC-AUC interval, its calibration and the monotonicity of the risk classes.",
                "Review the slices for segments where the model is weaker, and the feature importances for features that could act as proxies "
                "for protected characteristics of the persons behind a company.",
                "Confirm the lawful basis for processing board members' data (GDPR): keep only pseudonymous person keys, as this pipeline does.",
            ]
        ),
        Note(
            "This report contains no personal data: persons appear only as counts and pseudonymous network statistics; no names or personal codes."
        ),
    ]
    return Section("Model card", blocks)
