"""torch._higher_order_ops.map: see pyengine/control_flow.py."""
from ..control_flow import map  # noqa: F401,A004
