"""Catalog: products, categories and their template versions."""
