"""Suyuan scanner client: handheld barcode scanners record handoffs, offline first.

A separate program that talks HTTP to the service's ``/api/v1`` only; it never imports ``trace``.
"""

__version__ = "0.1.0"
