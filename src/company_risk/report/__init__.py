"""The auditor report: model comparison, champion decision, slices, lineage and model card.

`company-risk report` writes `reports/model_comparison.html` (one self-contained file) and
`reports/model_comparison.md` from MLflow and the pipeline's outputs (company_risk.report.build).
"""
