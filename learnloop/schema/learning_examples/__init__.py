"""GraphQL types and root fields of learning examples."""
