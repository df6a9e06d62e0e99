"""pe.onnx: export Sequential models to ONNX (no onnx package needed; `pyengine[onnx]` adds
onnx + onnxruntime for checking the files). See docs/data.md."""
from .export import export

__all__ = ["export"]
