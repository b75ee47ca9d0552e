"""Interchange: EPCIS 2.0 JSON-LD documents and key-data-element spreadsheets."""
