"""torch._higher_order_ops.cond: see pyengine/control_flow.py."""
from ..control_flow import cond  # noqa: F401,A004
