"""torch._higher_order_ops.scan: see pyengine/control_flow.py."""
from ..control_flow import scan  # noqa: F401,A004
