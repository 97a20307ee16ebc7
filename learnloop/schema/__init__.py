"""Strawberry types, inputs, enums and errors, and the Schema object. Declarative and thin."""
