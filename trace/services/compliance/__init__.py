"""Compliance: the rules and the findings they raise."""
