"""Alert levels and reasons (``from trackio.alerts import AlertLevel`` ports as ``from tunestudio.alerts import AlertLevel``)."""
from enum import Enum

__all__ = ["AlertLevel", "AlertReason"]


class AlertLevel(str, Enum):
    """How serious an alert is. Compares equal to its string value (``AlertLevel.WARN == "warn"``)."""

    INFO = "info"
    WARN = "warn"
    ERROR = "error"


class AlertReason:
    """Why an alert was raised: the ``reason`` of every alert Tune Studio stores."""

    NAN = "nan"
    INF = "inf"
    ABOVE_MAX = "above_max"
    BELOW_MIN = "below_min"
    SPIKE = "spike"
    STAGNATION = "stagnation"
    CUSTOM = "custom"
    STALLED = "stalled"
    CRASHED = "crashed"
    # trackio's spellings of the same reasons
    PATIENCE = "stagnation"
    MAX_VALUE = "above_max"
    MIN_VALUE = "below_min"


def level_value(level: object) -> str:
    """'info' | 'warn' | 'error' from an AlertLevel or a string; a clear error otherwise."""
    v = level.value if isinstance(level, AlertLevel) else level
    if v not in ("info", "warn", "error"):
        raise ValueError(f"alert level must be AlertLevel.INFO/WARN/ERROR or 'info'/'warn'/'error', got {level!r}")
    return str(v)
