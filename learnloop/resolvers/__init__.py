"""Translate GraphQL to domain calls and back: request context, permissions, dataloaders."""
