"""GraphQL for experiments: the Experiment type and its results, and the root fields."""
