"""Tune Studio's Python client: log runs, watch metrics, stop bad runs.

    import tunestudio as ts            # or: import tunestudio as trackio
    run = ts.init(project="gpt2-lora", config={"lr": 3e-4})
    ts.watch("train/loss", nan=True, spike_factor=3.0, window=10)
    for step in range(steps):
        ts.log({"train/loss": loss.item()}, step=step)
        if ts.should_stop():
            break
    ts.finish()

Standard library only. The runs land in the workspace's Tune Studio store
(found like the `tunestudio` CLI finds it); see docs/python.md.
"""
from typing import Any, Callable, Dict, Optional

from . import _core
from ._cli import TuneStudioError, find_store_dir
from ._watch import WatchError
from .alerts import AlertLevel, AlertReason
from .api import Api

__all__ = [
    "init", "log", "alert", "watch", "should_stop", "finish", "Run", "Api",
    "AlertLevel", "AlertReason", "TuneStudioError", "WatchError", "find_store_dir", "run", "config", "summary",
]
__version__ = "0.1.0"

Run = _core.Run
_current: Optional[_core.Run] = None

# trackio's init() keywords with no equivalent here, and what Tune Studio does instead.
_NO_EQUIVALENT = {
    "space_id": "runs are stored in the workspace's local store, not on a Hugging Face Space",
    "space_storage": "runs are stored in the workspace's local store",
    "dataset_id": "runs are stored in the workspace's local store, not in a dataset",
    "bucket_id": "runs are stored in the workspace's local store, not in a bucket",
    "server_url": "no team server is configured yet; the run is stored locally",
    "webhook_url": "alerts show in VS Code and `tunestudio alerts`; no webhook is posted",
    "webhook_min_level": "alerts show in VS Code at or above tuneStudio.alerts.notifyLevel; no webhook is posted",
    "auto_log_gpu": "GPU metrics are logged for Tune Studio jobs (system/…); not from an unsupervised script",
    "gpu_log_interval": "GPU metrics are logged for Tune Studio jobs every 10 s",
    "auto_log_cpu": "CPU and memory are logged for Tune Studio jobs (system/…)",
    "cpu_log_interval": "CPU metrics are logged for Tune Studio jobs every 10 s",
    "settings": "there are no extra settings",
    "private": "the store is local to the workspace",
}


def init(
    project: str = "default",
    name: Optional[str] = None,
    group: Optional[str] = None,
    space_id: Optional[str] = None,
    server_url: Optional[str] = None,
    space_storage: Any = None,
    dataset_id: Optional[str] = None,
    bucket_id: Optional[str] = None,
    config: Optional[Dict[str, Any]] = None,
    resume: str = "never",
    settings: Any = None,
    private: Optional[bool] = None,
    embed: bool = True,
    auto_log_gpu: Optional[bool] = None,
    gpu_log_interval: float = 10.0,
    auto_log_cpu: Optional[bool] = None,
    cpu_log_interval: float = 10.0,
    webhook_url: Optional[str] = None,
    webhook_min_level: Any = None,
    dir: Optional[str] = None,
    **unknown: Any,
) -> _core.Run:
    """Starts a run (finishing the previous one, as trackio does) and returns it; `resume` 'allow'/'must' continues the newest run with `name`."""
    global _current
    given = dict(space_id=space_id, server_url=server_url, space_storage=space_storage, dataset_id=dataset_id, bucket_id=bucket_id,
                 settings=settings, private=private, auto_log_gpu=auto_log_gpu, auto_log_cpu=auto_log_cpu,
                 webhook_url=webhook_url, webhook_min_level=webhook_min_level)
    for k, v in given.items():
        if v is not None and v is not False:
            _core._say_once(f"init-{k}", f"init({k}=...) has no equivalent in Tune Studio: {_NO_EQUIVALENT[k]}")
    if gpu_log_interval != 10.0:
        _core._say_once("init-gpu_log_interval", f"init(gpu_log_interval=...) has no equivalent in Tune Studio: {_NO_EQUIVALENT['gpu_log_interval']}")
    if cpu_log_interval != 10.0:
        _core._say_once("init-cpu_log_interval", f"init(cpu_log_interval=...) has no equivalent in Tune Studio: {_NO_EQUIVALENT['cpu_log_interval']}")
    for k in unknown:
        _core._say_once(f"init-{k}", f"init({k}=...) is not a trackio or Tune Studio keyword; ignored")
    if _current is not None and not _current._ended:
        _current.finish()
    if _current is not None and _current.supervised and _core.os.environ.get("TUNESTUDIO_SUPERVISED") == "1":
        _core._say_once("supervised-second-init", "a second init() under a Tune Studio job continues the job's run (one job is one run)")
    r = _core.Run(project, name, config, group, resume, dir)
    _core.register(r)
    _current = r
    return r


def _run(what: str) -> _core.Run:
    if _current is None or _current._ended:
        raise RuntimeError(f"call tunestudio.init() before tunestudio.{what}()")
    return _current


def log(metrics: Dict[str, Any], step: Optional[int] = None) -> None:
    """Logs metrics on the current run."""
    _run("log").log(metrics, step)


def alert(title: str, text: Optional[str] = None, level: Any = AlertLevel.WARN, data: Optional[Dict[str, Any]] = None, webhook_url: Optional[str] = None) -> None:
    """Raises an alert on the current run."""
    _run("alert").alert(title, text=text, level=level, data=data, webhook_url=webhook_url)


def watch(
    metric: str,
    nan: Optional[bool] = None,
    max_value: Optional[float] = None,
    min_value: Optional[float] = None,
    spike_factor: Optional[float] = None,
    window: Optional[int] = None,
    patience: Optional[int] = None,
    min_delta: Optional[float] = None,
    mode: Optional[str] = None,
    fn: Optional[Callable[[float, int], Any]] = None,
    stop: Optional[bool] = None,
    level: Any = None,
) -> None:
    """Watches a metric of the current run (README "Watchers"); checked at once."""
    _run("watch").watch(metric, nan=nan, max_value=max_value, min_value=min_value, spike_factor=spike_factor, window=window,
                        patience=patience, min_delta=min_delta, mode=mode, fn=fn, stop=stop, level=level)


def should_stop() -> bool:
    """True once a watcher or `tunestudio stop` asked the current run to stop (False with no run)."""
    return bool(_current is not None and not _current._ended and _current.should_stop())


def finish(status: Optional[str] = None) -> None:
    """Finishes the current run (see Run.finish)."""
    global _current
    r = _run("finish")
    try:
        r.finish(status)
    finally:
        _current = None


def __getattr__(name: str) -> Any:
    # wandb-style module attributes: tunestudio.run, .config, .summary
    if name == "run":
        return _current
    if name == "config":
        return _current.config if _current else None
    if name == "summary":
        return _current.summary if _current else None
    raise AttributeError(f"module 'tunestudio' has no attribute {name!r}")
