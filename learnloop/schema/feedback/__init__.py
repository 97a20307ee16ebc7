"""GraphQL types and root fields of feedback and its statistics."""
