"""Adapters behind the domain's LLM protocols: chat client, replay cache, offline embeddings."""
