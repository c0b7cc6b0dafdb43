"""Sapiens Measure: body measurements from photos and walking videos, computed locally.

The package is plain Python except ``core.app`` (Streamlit helpers). Importing it has no side effects.
"""

__version__ = "0.1.0"
