"""Experiment tests reuse the training fixtures (a worker completes the runs canaries deploy)."""

from tests.training.conftest import training_api

__all__ = ["training_api"]
