"""Sensors: signed SenML messages in, one signed record per sensor and window, excursions and what they touched."""
