"""Sizes and limits shared by schemas and services: each defined once, here."""

from __future__ import annotations

# Ids in one SQL ``IN (...)`` list: well under SQLite's 32,766 bound parameters.
IN_CHUNK = 5000

# Unit serials issued in one label run (POST /batches/<code>/labels).
MAX_LABEL_RUN = 10_000

# Labels drawn in one PDF (one print request); a larger run is printed in parts with start and count.
MAX_LABELS_PER_PRINT = 1000
