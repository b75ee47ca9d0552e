"""Records: how a record comes in (events, capture, sensors, batches, corrections) and the pipeline."""
