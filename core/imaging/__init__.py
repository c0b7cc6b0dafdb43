"""Pure image functions: safe decoding, overlays, skin crops, relighting, hair recolour.

Import the submodules directly (``from core.imaging.decode import decode_image``); this package
imports nothing heavy by itself.
"""
