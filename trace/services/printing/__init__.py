"""Printing: unit labels and 合格证 certificates."""
