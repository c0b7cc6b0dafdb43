"""The names a backend is chosen by: ``get_backend``, the CLI's ``--backend`` and the app's picker."""

#: ``auto`` takes Sapiens2 when its pose weights are on disk, else lite (``core.backends.selection``).
BACKEND_NAMES = ("auto", "lite", "sapiens2")
