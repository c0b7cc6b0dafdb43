"""Streamlit-only helpers shared by the pages: cached resources, widgets, charts, notices, errors.

This is the one package inside ``core`` that imports streamlit; everything it shows is computed
elsewhere in ``core`` (measurements, imaging, store), so the CLI produces the same numbers.
"""
