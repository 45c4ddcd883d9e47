"""Stage 8, publish: files for the public and for print.

The transparency report (static site, open data with `datapackage.json`, SDMX-CSV and Open SDG
exports), the PDF engines (WeasyPrint in-process, a local Chromium over a pipe) and the workshop kit PDFs.
May import: every earlier stage; only `cli` imports it.
"""
