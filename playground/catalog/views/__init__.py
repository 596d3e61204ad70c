"""Catalog pages: browse.py (catalog list and search), model.py (model page, payload),
uploads.py (file inputs)."""
