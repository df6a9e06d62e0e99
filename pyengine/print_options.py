"""torch.set_printoptions / get_printoptions: how a Tensor's repr prints (precision of floats,
the element count past which the middle is summarized, how many items each edge keeps, the
line width, and whether floats print in scientific notation: None lets the values decide, as
torch). tensor.py's _format_body reads OPTIONS."""
import dataclasses
import math
import numbers


@dataclasses.dataclass
class _PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: object = None


OPTIONS = _PrintOptions()

_PROFILES = {"default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
             "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
             "full": dict(precision=4, threshold=math.inf, edgeitems=3, linewidth=80)}


def _check(name, v, positive=False):
    if v is None:
        return None
    if name == "threshold" and v == math.inf:
        return v
    if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < (1 if positive else 0):
        kind = "positive" if positive else "non-negative"
        inf = " (or math.inf)" if name == "threshold" else ""
        raise ValueError(f"[set_printoptions] {name} must be a {kind} int{inf}, got {v!r}")
    return int(v)


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None):
    """Set the repr options, as torch: a profile ('default', 'short', 'full') first, then each
    option given; sci_mode is always set (None: automatic)."""
    if profile is not None and profile not in _PROFILES:
        raise ValueError(f"[set_printoptions] profile must be 'default', 'short' or 'full', "
                         f"got {profile!r}")
    if sci_mode not in (None, True, False):
        raise ValueError(f"[set_printoptions] sci_mode must be None, True or False, got "
                         f"{sci_mode!r}")
    values = dict(precision=_check("precision", precision),
                  threshold=_check("threshold", threshold),
                  edgeitems=_check("edgeitems", edgeitems),
                  linewidth=_check("linewidth", linewidth, positive=True))
    if profile is not None:
        for k, v in _PROFILES[profile].items():
            setattr(OPTIONS, k, v)
    for k, v in values.items():
        if v is not None:
            setattr(OPTIONS, k, v)
    OPTIONS.sci_mode = sci_mode


def get_printoptions():
    """The current options as a dict that set_printoptions(**d) accepts."""
    return dataclasses.asdict(OPTIONS)
