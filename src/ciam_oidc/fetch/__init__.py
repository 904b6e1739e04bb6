"""Outbound fetches of documents clients name by URL (`protocol.ports.DocumentFetcher`)."""
