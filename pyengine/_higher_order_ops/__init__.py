"""torch._higher_order_ops: the import paths of torch's control-flow operators
(`from torch._higher_order_ops.scan import scan`); they are pyengine/control_flow.py's."""
from ..control_flow import associative_scan, cond, map, scan, while_loop  # noqa: F401,A004
