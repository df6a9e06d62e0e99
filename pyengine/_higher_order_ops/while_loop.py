"""torch._higher_order_ops.while_loop: see pyengine/control_flow.py."""
from ..control_flow import while_loop  # noqa: F401,A004
