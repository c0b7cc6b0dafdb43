"""Batch processing of archives: many photos and videos, on a local process pool or Ray actors.

``core.batch.run.run_batch`` is the entry point (``python -m core batch``); see docs/BATCH.md.
Ray is imported only by ``core.batch.ray_engine``, when that engine starts.
"""
