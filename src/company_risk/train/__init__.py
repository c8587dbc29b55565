"""The `train` stage: model x feature-set grid, temporal validation, MLflow tracking and the
champion/challenger registry.

Convention: the stage's entry point is `run.py`'s `run_training` (what `company-risk train`
calls), a short sequence of named steps, next to the pure modules it calls (candidates, split,
plots, and registry's gate); the models themselves are company_risk.model_table's."""
