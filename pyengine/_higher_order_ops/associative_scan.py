"""torch._higher_order_ops.associative_scan: see pyengine/control_flow.py."""
from ..control_flow import associative_scan  # noqa: F401,A004
