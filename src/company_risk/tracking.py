"""MLflow experiments of the project, each keeping its artifacts under `mlartifacts/`.

Without an artifact location MLflow puts an experiment's artifacts in `./mlruns` of whatever
directory the process that first created it ran from. Every experiment of the project (training
`company-risk`, daily scoring `company-risk-scoring`) is created here instead, with the project's
`ProjectPaths.mlartifacts`, so all of their artifacts sit in one place beside `mlflow.db`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from company_risk.config import ProjectPaths

if TYPE_CHECKING:
    import mlflow


def experiment_id(client: mlflow.MlflowClient, name: str, paths: ProjectPaths) -> str:
    """The id of experiment `name`, created with its artifacts under `paths.mlartifacts` when
    it does not exist yet (an existing experiment keeps the location it was created with)."""
    from mlflow.exceptions import MlflowException

    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        return experiment.experiment_id
    paths.mlartifacts.mkdir(parents=True, exist_ok=True)
    try:
        return client.create_experiment(
            name, artifact_location=paths.mlartifacts.resolve().as_uri()
        )
    except MlflowException:
        # created meanwhile by another process: use that one
        experiment = client.get_experiment_by_name(name)
        if experiment is None:
            raise
        return experiment.experiment_id
