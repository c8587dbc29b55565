"""The `train` stage: model x feature-set grid, temporal validation, MLflow tracking and the
champion/challenger registry. Entry point: company_risk.train.run.run_training."""
