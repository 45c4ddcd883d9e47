"""Ingestion of statistical data: readers per format, one validator, one atomic load."""
