"""Executions, feedback, learning examples and statistics through the real app."""
