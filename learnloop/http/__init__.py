"""Routes that are not GraphQL: exports, artifact downloads, health, metrics, UI files."""
