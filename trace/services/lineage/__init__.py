"""Lineage: tracing batches up and downstream, the lineage drawing, recalls and exports."""
