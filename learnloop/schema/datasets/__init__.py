"""GraphQL types and root fields of training datasets and their examples."""
