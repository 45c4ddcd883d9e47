"""`c2c publish`: the public transparency report (static site, PDFs, open data)."""
