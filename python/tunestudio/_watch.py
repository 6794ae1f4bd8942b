"""Eager checks of watch() options, and custom ``fn`` watchers (the only rules that run in Python).

The built-in rules (nan, max_value, min_value, spike, patience) are applied by
the Tune Studio runtime to every value, whatever the source; this module only
refuses a bad watch() at once, with the same messages as the runtime, so a
mistake fails at registration and not mid-training.
"""
import inspect
import math
from typing import Any, Callable, Dict, List, Optional

__all__ = ["WatchError", "check_watch", "check_fn", "normalize_result"]

_KNOWN = ("nan", "max_value", "min_value", "spike_factor", "window", "patience", "min_delta", "mode", "stop", "level")


class WatchError(ValueError):
    """A watch() call that cannot work (raised by watch(), never mid-training)."""


def _finite(v: Any, name: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise WatchError(f"'{name}' must be a finite number, got {v!r}")
    return v


def _whole(v: Any, name: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise WatchError(f"'{name}' must be a whole number >= 1, got {v!r}")
    return v


def check_watch(metric: Any, options: Dict[str, Any], custom: bool = False) -> Dict[str, Any]:
    """The options as the runtime takes them (None values dropped); WatchError on anything it would refuse."""
    if not isinstance(metric, str) or not metric.strip():
        raise WatchError("a watcher needs a metric name")
    o = {k: v for k, v in options.items() if v is not None}
    for k in o:
        if k not in _KNOWN:
            raise WatchError(f"unknown watcher option '{k}' for metric '{metric}'; known: {', '.join(_KNOWN)}")
    if "nan" in o:
        if not isinstance(o["nan"], bool):
            raise WatchError("'nan' must be True or False")
        if custom:
            raise WatchError("'nan' does not apply to a custom watcher function: check the value in the function")
    for k in ("max_value", "min_value"):
        if k in o:
            _finite(o[k], k)
    if "spike_factor" in o and _finite(o["spike_factor"], "spike_factor") <= 1:
        raise WatchError(f"'spike_factor' must be greater than 1 (3 means \"3x the recent level\"), got {o['spike_factor']!r}")
    if "window" in o:
        _whole(o["window"], "window")
        if "spike_factor" not in o:
            raise WatchError("'window' only applies with 'spike_factor'")
    if "patience" in o:
        _whole(o["patience"], "patience")
    if "min_delta" in o:
        if _finite(o["min_delta"], "min_delta") < 0:
            raise WatchError(f"'min_delta' must be >= 0, got {o['min_delta']!r}")
        if "patience" not in o:
            raise WatchError("'min_delta' only applies with 'patience'")
    if "mode" in o:
        if o["mode"] not in ("min", "max"):
            raise WatchError(f"'mode' must be 'min' or 'max' (lower case), got {o['mode']!r}")
        if "patience" not in o:
            raise WatchError("'mode' only applies with 'patience'")
    if "stop" in o and not isinstance(o["stop"], bool):
        raise WatchError("'stop' must be True or False")
    if "level" in o:
        lv = getattr(o["level"], "value", o["level"])
        if lv not in ("info", "warn", "error"):
            raise WatchError("'level' must be 'info', 'warn' or 'error'")
        o["level"] = lv
    if not custom and o.get("nan") is False and not any(k in o for k in ("max_value", "min_value", "spike_factor", "patience")):
        raise WatchError(f"the watcher for '{metric}' has no condition (nan is False): give nan, max_value, min_value, spike_factor or patience")
    if "max_value" in o and "min_value" in o and o["min_value"] > o["max_value"]:
        raise WatchError(f"'min_value' ({o['min_value']}) is above 'max_value' ({o['max_value']})")
    return o


def check_fn(metric: str, fn: Any) -> None:
    """A custom watcher is called as fn(value, step): refuse one that cannot be called so."""
    if not callable(fn):
        raise WatchError(f"watch('{metric}', fn=...): fn must be callable as fn(value, step), got {type(fn).__name__}")
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return  # a builtin without a signature: trust it
    try:
        sig.bind(0.0, 0)
    except TypeError:
        n = len(sig.parameters)
        name = getattr(fn, "__name__", "fn")
        raise WatchError(
            f"watch('{metric}', fn={name}): a custom watcher is called as fn(value, step) with 2 arguments, "
            f"but {name} takes {n}; define it as def {name}(value, step): ..."
        ) from None


_LEVELS = {"info": "info", "warn": "warn", "warning": "warn", "error": "error"}


def normalize_result(result: Any) -> Optional[Dict[str, Any]]:
    """One verdict from what fn returned: None/False/[] (fine), True, an alert dict, or a list of them (trackio's shape)."""
    if not result:
        return None
    if result is True:
        return {}
    items: List[Any] = list(result) if isinstance(result, (list, tuple)) else [result]
    dicts = [d for d in items if isinstance(d, dict)]
    if not dicts:
        return {"title": "custom watcher returned something that is not an alert", "text": f"expected None, True, an alert dict or a list of them; got {result!r}"[:300], "level": "error", "stop": False}

    def one(d: Dict[str, Any]) -> Dict[str, Any]:
        lv = getattr(d.get("level"), "value", d.get("level"))
        return {
            "title": d.get("title") if isinstance(d.get("title"), str) else None,
            "text": d.get("text") if isinstance(d.get("text"), str) else None,
            "level": _LEVELS.get(lv.lower()) if isinstance(lv, str) else None,
            "stop": d.get("stop") if isinstance(d.get("stop"), bool) else None,
            "data": d.get("data") if isinstance(d.get("data"), dict) else None,
        }

    verdicts = [one(d) for d in dicts]
    if len(verdicts) == 1:
        return verdicts[0]
    rank = {"info": 0, "warn": 1, "error": 2}
    levels = [v["level"] for v in verdicts if v["level"]]
    stops = [v["stop"] for v in verdicts if v["stop"] is not None]
    return {
        "title": next((v["title"] for v in verdicts if v["title"]), None),
        "text": "\n".join(t for t in (v["text"] or v["title"] for v in verdicts) if t) or None,
        "level": max(levels, key=lambda x: rank[x]) if levels else None,
        "stop": any(stops) if stops else None,
        "data": dict(verdicts[0]["data"] or {}, alerts=verdicts),
    }


class CustomWatcher:
    """fn(value, step) on every logged value of one metric; an alert opens when it fires and closes when it stops firing."""

    def __init__(self, metric: str, fn: Callable[..., Any], stop: Optional[bool], level: Optional[str]) -> None:
        self.metric = metric
        self.fn = fn
        self.stop = stop
        self.level = level
        self.open = False

    def check(self, value: float, step: int) -> Optional[Dict[str, Any]]:
        """The alert to raise now (when an episode opens), else None."""
        try:
            verdict = normalize_result(self.fn(value, step))
        except Exception as e:  # a bug in the user's rule is an alert, not a crash of the training
            verdict = {"title": f"{self.metric}: custom watcher raised {type(e).__name__}", "text": str(e)[:500], "level": "error", "stop": False}
        if verdict is None:
            self.open = False
            return None
        if self.open:
            return None
        self.open = True
        name = getattr(self.fn, "__name__", "custom rule")
        stop = verdict.get("stop")
        if stop is None:
            stop = bool(self.stop)
        shown = value if math.isfinite(value) else str(value)
        return {
            "title": verdict.get("title") or f"{self.metric}: {name} fired",
            "text": verdict.get("text") or f"{name} fired on {self.metric} = {shown} at step {step}.",
            "level": verdict.get("level") or self.level or "warn",
            "stop": stop,
            "data": dict(verdict.get("data") or {}),
        }
