"""Audit: checking the log and the rows against their records, the page's verdict, audit bundles."""
