"""Adapters: the only modules that touch file formats (pandas, CSV, Excel, JSON, Pabulib)."""
