"""Every MLflow experiment of the project keeps its artifacts under mlartifacts/."""

import mlflow

from company_risk import tracking
from company_risk.artifacts import SCORING_EXPERIMENT as SCORING
from company_risk.artifacts import TRAINING_EXPERIMENT as TRAINING
from company_risk.config import ProjectPaths


def test_training_and_scoring_experiments_share_the_project_artifact_location(tmp_path):
    paths = ProjectPaths(tmp_path)
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    ids = [tracking.experiment_id(client, name, paths) for name in (TRAINING, SCORING)]
    assert len(set(ids)) == 2
    locations = {client.get_experiment(i).artifact_location for i in ids}
    assert locations == {paths.mlartifacts.resolve().as_uri()}
    assert paths.mlartifacts.is_dir()
    assert tracking.experiment_id(client, SCORING, paths) == ids[1]  # found, not created again


def test_an_existing_experiment_keeps_its_location(tmp_path):
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    elsewhere = (tmp_path / "elsewhere").as_uri()
    made = client.create_experiment(SCORING, artifact_location=elsewhere)
    assert tracking.experiment_id(client, SCORING, ProjectPaths(tmp_path / "p")) == made
    assert client.get_experiment(made).artifact_location == elsewhere
