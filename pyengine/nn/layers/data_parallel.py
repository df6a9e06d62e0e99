"""nn.DataParallel for machines without CUDA devices, which is what torch's does there: the
wrapped module runs as is (programs such as the blitz data-parallel tutorial or
`model = nn.DataParallel(model)` in training scripts keep working, and `model.module` and the
'module.'-prefixed state_dict keys are torch's). Device ids are refused: pyengine has no CUDA
tensors to scatter to."""
from ..module import Module


class DataParallel(Module):
    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"[DataParallel] module must be an nn.Module, got "
                            f"{type(module).__name__}")
        if device_ids or output_device is not None:
            raise RuntimeError(f"[DataParallel] device_ids={device_ids!r} / output_device="
                               f"{output_device!r}: pyengine has no CUDA devices to run "
                               "replicas on (without devices DataParallel runs the module as is)")
        if not isinstance(dim, int) or isinstance(dim, bool):
            raise TypeError(f"[DataParallel] dim must be an int, got {dim!r}")
        self.module = module
        self.device_ids, self.output_device, self.dim = [], None, dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)
