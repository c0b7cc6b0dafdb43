"""PDF reports of a subject's sessions (``core.reports.pdf``), and the notice they carry."""
