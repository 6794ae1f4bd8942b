"""A small W&B-style face for scripts written for wandb: ``import tunestudio.wandb as wandb``.

init, log, config, summary, finish, alert — what most training scripts use.
Keywords with no equivalent (entity, tags, notes, mode, …) are accepted and
named once on stderr.
"""
from typing import Any, Dict, Optional

import tunestudio as _ts
from . import _core

__all__ = ["init", "log", "finish", "alert", "config", "summary", "run", "AlertLevel"]
AlertLevel = _ts.AlertLevel


def init(project: Optional[str] = None, name: Optional[str] = None, config: Any = None, group: Optional[str] = None,
         resume: Any = None, dir: Optional[str] = None, **kwargs: Any) -> _core.Run:
    """Starts a run. resume=True/'allow' continues the newest run with `name`; 'must' requires it."""
    for k, v in kwargs.items():
        if v is not None:
            _core._say_once(f"wandb-{k}", f"wandb.init({k}=...) has no equivalent in Tune Studio; ignored")
    mode = {None: "never", False: "never", "never": "never", True: "allow", "allow": "allow", "auto": "allow", "must": "must"}.get(resume)
    if mode is None:
        raise ValueError(f"wandb.init(resume=...) must be True, False, 'allow', 'auto', 'must' or 'never', got {resume!r}")
    if config is not None and not isinstance(config, dict):
        config = vars(config) if hasattr(config, "__dict__") else dict(config)
    return _ts.init(project=project or "default", name=name, config=config, group=group, resume=mode, dir=dir)


def log(data: Dict[str, Any], step: Optional[int] = None, commit: Any = None) -> None:
    _ts.log(data, step=step)


def finish(exit_code: Optional[int] = None, quiet: Any = None) -> None:
    if _ts._current is None:
        return
    _ts.finish("failed" if exit_code not in (None, 0) else None)


def alert(title: str, text: str = "", level: Any = None, wait_duration: Any = None) -> None:
    lv = getattr(level, "value", level) or "info"
    lv = {"INFO": "info", "WARN": "warn", "ERROR": "error"}.get(str(lv).upper(), str(lv).lower())
    _ts.alert(title, text=text or None, level=lv)


def __getattr__(name: str) -> Any:
    if name in ("run", "config", "summary"):
        return getattr(_ts, name)
    raise AttributeError(f"module 'tunestudio.wandb' has no attribute {name!r}")
