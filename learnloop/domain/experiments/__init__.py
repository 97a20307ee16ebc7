"""A/B experiments: assignment, lifecycle rules, outcome statistics and canary deployments."""
