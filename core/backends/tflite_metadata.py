"""Add the image-input metadata that MediaPipe Tasks needs to a bare ``.tflite`` model.

The legacy MediaPipe solution models (as shipped inside the ``mediapipe`` 0.10 wheels) carry no
``TFLITE_METADATA``; the Tasks API reads the input normalisation (``(pixel - mean) / std``) and the
colour space from it. ``mediapipe>=1.2`` no longer imports its own ``metadata_writers``, so this
writes the metadata with ``flatbuffers`` and the schema modules that mediapipe ships.
"""

from __future__ import annotations

import numpy as np

#: The flatbuffers file identifiers of a TFLite model and of its metadata.
_MODEL_ID = b"TFL3"
_METADATA_ID = b"M001"
METADATA_NAME = "TFLITE_METADATA"


def has_metadata(model_bytes: bytes) -> bool:
    """True when the model already has a ``TFLITE_METADATA`` entry."""
    from mediapipe.tasks.metadata import schema_py_generated as schema

    model = schema.Model.GetRootAsModel(model_bytes, 0)
    return any(
        model.Metadata(i).Name() == METADATA_NAME.encode() for i in range(model.MetadataLength())
    )


def _metadata(name: str, description: str, mean: float, std: float, n_outputs: int) -> bytes:
    import flatbuffers
    from mediapipe.tasks.metadata import metadata_schema_py_generated as md

    norm = md.NormalizationOptionsT()
    norm.mean, norm.std = [float(mean)], [float(std)]
    unit = md.ProcessUnitT()
    unit.optionsType = md.ProcessUnitOptions.NormalizationOptions
    unit.options = norm
    image = md.ImagePropertiesT()
    image.colorSpace = md.ColorSpaceType.RGB
    content = md.ContentT()
    content.contentPropertiesType = md.ContentProperties.ImageProperties
    content.contentProperties = image
    stats = md.StatsT()
    # The range the normalised input takes, for uint8 pixels 0-255.
    stats.min, stats.max = [(0.0 - mean) / std], [(255.0 - mean) / std]
    tensor_in = md.TensorMetadataT()
    tensor_in.name, tensor_in.description = "image", "Input image to be processed."
    tensor_in.content, tensor_in.processUnits, tensor_in.stats = content, [unit], stats
    outputs = []
    for i in range(n_outputs):
        out = md.TensorMetadataT()
        out.name = f"out{i}"
        out.content = md.ContentT()
        out.content.contentPropertiesType = md.ContentProperties.FeatureProperties
        out.content.contentProperties = md.FeaturePropertiesT()
        out.stats = md.StatsT()
        outputs.append(out)
    subgraph = md.SubGraphMetadataT()
    subgraph.inputTensorMetadata, subgraph.outputTensorMetadata = [tensor_in], outputs
    meta = md.ModelMetadataT()
    meta.name, meta.description = name, description
    meta.subgraphMetadata = [subgraph]
    meta.minParserVersion = "1.0.0"
    builder = flatbuffers.Builder(1024)
    builder.Finish(meta.Pack(builder), file_identifier=_METADATA_ID)
    return bytes(builder.Output())


def add_image_metadata(
    model_bytes: bytes, *, name: str, description: str, mean: float = 0.0, std: float = 255.0
) -> bytes:
    """``model_bytes`` with an RGB image-input ``TFLITE_METADATA`` entry (mean, std) added.

    The output is a function of the input bytes and the arguments only (flatbuffers writes no
    timestamps), so a pinned source model gives the same file every time.

    Raises ``ValueError`` when the model already has metadata or has more than one input.
    """
    from mediapipe.tasks.metadata import schema_py_generated as schema

    if has_metadata(model_bytes):
        raise ValueError(f"model {name} already has {METADATA_NAME}")
    model = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(model_bytes, 0))
    graph = model.subgraphs[0]
    if len(graph.inputs) != 1:
        raise ValueError(f"model {name} has {len(graph.inputs)} inputs; an image model has one")
    buffer = schema.BufferT()
    buffer.data = np.frombuffer(
        _metadata(name, description, mean, std, len(graph.outputs)), dtype=np.uint8
    )
    model.buffers.append(buffer)
    entry = schema.MetadataT()
    entry.name, entry.buffer = METADATA_NAME, len(model.buffers) - 1
    model.metadata = [*(model.metadata or []), entry]
    import flatbuffers

    builder = flatbuffers.Builder(len(model_bytes) + 4096)
    builder.Finish(model.Pack(builder), file_identifier=_MODEL_ID)
    return bytes(builder.Output())
