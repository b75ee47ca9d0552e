"""Marshmallow schemas: input (``...In``) and output (``...Out``) apart. Shape checks only."""
