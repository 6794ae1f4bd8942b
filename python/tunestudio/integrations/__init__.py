"""Tune Studio for Hugging Face Trainer and PyTorch Lightning.

    from tunestudio.integrations import TuneStudioCallback, TuneStudioLogger
    Trainer(..., callbacks=[TuneStudioCallback()])        # transformers
    lightning.Trainer(logger=TuneStudioLogger())           # Lightning

Nothing is imported at module load: transformers and Lightning are used only
when they are already imported (then their base classes are used, so
isinstance checks pass); the classes follow their documented signatures and
no version-specific internals.
"""
import os
import sys
from typing import Any, Dict, Optional

import tunestudio as _ts

__all__ = ["TuneStudioCallback", "TuneStudioLogger", "rewrite_logs"]


def _loaded(*names: str) -> Any:
    for n in names:
        mod_name, _, attr = n.rpartition(".")
        mod = sys.modules.get(mod_name)
        if mod is not None and hasattr(mod, attr):
            return getattr(mod, attr)
    return object


def rewrite_logs(logs: Dict[str, Any]) -> Dict[str, Any]:
    """HF's own trackers' names: eval_x → eval/x, test_x → test/x, everything else train/x (numbers only)."""
    out: Dict[str, Any] = {}
    for k, v in logs.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)) and not hasattr(v, "item"):
            continue
        if k.startswith("eval_"):
            out["eval/" + k[5:]] = v
        elif k.startswith("test_"):
            out["test/" + k[5:]] = v
        else:
            out["train/" + k] = v
    return out


def _to_dict(obj: Any) -> Dict[str, Any]:
    if obj is None:
        return {}
    if isinstance(obj, dict):
        return dict(obj)
    for m in ("to_dict", "to_diff_dict"):
        f = getattr(obj, m, None)
        if callable(f):
            try:
                d = f()
                if isinstance(d, dict):
                    return d
            except Exception:  # noqa: BLE001 - a config that cannot say itself is left out
                pass
    return dict(vars(obj)) if hasattr(obj, "__dict__") else {}


class TuneStudioCallback(_loaded("transformers.TrainerCallback")):  # type: ignore[misc]
    """transformers `TrainerCallback`: config from TrainingArguments, train/ and eval/ metrics, checkpoints, and watchers that stop training."""

    def __init__(self, project: Optional[str] = None, name: Optional[str] = None, watch: Optional[Dict[str, Dict[str, Any]]] = None, dir: Optional[str] = None) -> None:
        self.project = project or os.environ.get("TUNESTUDIO_PROJECT") or "huggingface"
        self.name = name
        self.watches = watch or {}
        self.dir = dir
        self.run: Optional[_ts.Run] = None

    # every event of the documented TrainerCallback interface
    def on_init_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any: return control
    def on_epoch_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any: return control
    def on_epoch_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any: return control
    def on_step_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any: return control
    def on_pre_optimizer_step(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any: return control
    def on_optimizer_step(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any: return control
    def on_substep_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any: return control
    def on_predict(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any: return control
    def on_prediction_step(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any: return control

    def _main(self, state: Any) -> bool:
        return bool(getattr(state, "is_world_process_zero", True))

    def on_train_begin(self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any) -> Any:
        if not self._main(state) or (self.run is not None and not self.run._ended):
            return control
        config = _to_dict(args)
        model_config = _to_dict(getattr(model, "config", None))
        if model_config:
            config["model_config"] = model_config
        name = self.name or getattr(args, "run_name", None) or None
        self.run = _ts.init(project=self.project, name=name, config=config, dir=self.dir)
        for metric, opts in self.watches.items():
            self.run.watch(metric, **opts)
        return control

    def on_log(self, args: Any, state: Any, control: Any, logs: Optional[Dict[str, Any]] = None, **kwargs: Any) -> Any:
        if self.run is None or self.run._ended or not logs:
            return control
        metrics = rewrite_logs(logs)
        if metrics:
            self.run.log(metrics, step=int(getattr(state, "global_step", 0)))
        return control

    def _stop(self, control: Any) -> Any:
        if self.run is not None and not self.run._ended and self.run.should_stop():
            control.should_training_stop = True
        return control

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any:
        return self._stop(control)

    def on_evaluate(self, args: Any, state: Any, control: Any, metrics: Optional[Dict[str, Any]] = None, **kwargs: Any) -> Any:
        return self._stop(control)

    def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any:
        if self.run is not None and not self.run._ended:
            step = int(getattr(state, "global_step", 0))
            path = os.path.join(str(getattr(args, "output_dir", ".")), f"checkpoint-{step}")
            best = getattr(state, "best_metric", None)
            self.run.log_checkpoint(path, step=step, metrics={"best_metric": best} if isinstance(best, (int, float)) else None)
        return control

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any:
        if self.run is not None and not self.run._ended:
            self.run.finish()
            if _ts._current is self.run:
                _ts._current = None
        return control


class TuneStudioLogger(_loaded("lightning.pytorch.loggers.Logger", "pytorch_lightning.loggers.Logger")):  # type: ignore[misc]
    """Lightning `Logger`: log_metrics, log_hyperparams, finalize(status); `name` is the project, `version` the run id."""

    def __init__(self, project: Optional[str] = None, name: Optional[str] = None, config: Optional[Dict[str, Any]] = None, dir: Optional[str] = None) -> None:
        if type(self).__mro__[1] is not object:
            super().__init__()
        self._project = project or os.environ.get("TUNESTUDIO_PROJECT") or "lightning"
        self._name = name
        self._config = config
        self._dir = dir
        self._run: Optional[_ts.Run] = None

    @property
    def experiment(self) -> "_ts.Run":
        """The Tune Studio run (started on first use)."""
        if self._run is None or self._run._ended:
            self._run = _ts.init(project=self._project, name=self._name, config=self._config, dir=self._dir)
        return self._run

    @property
    def name(self) -> str:
        return self._project

    @property
    def version(self) -> str:
        return self.experiment.id

    @property
    def save_dir(self) -> Optional[str]:
        return str(self.experiment.store) if self.experiment.store else None

    @property
    def log_dir(self) -> Optional[str]:
        return self.save_dir

    def log_metrics(self, metrics: Dict[str, Any], step: Optional[int] = None) -> None:
        self.experiment.log(metrics, step=step)

    def log_hyperparams(self, params: Any, *args: Any, **kwargs: Any) -> None:
        d = params if isinstance(params, dict) else vars(params) if hasattr(params, "__dict__") else dict(params)
        self.experiment.config.update({str(k): (v if isinstance(v, (int, float, str, bool, type(None), list, dict)) else str(v)) for k, v in d.items()})

    def log_graph(self, model: Any, input_array: Any = None) -> None:
        pass

    def save(self) -> None:
        pass

    def after_save_checkpoint(self, checkpoint_callback: Any) -> None:
        path = getattr(checkpoint_callback, "last_model_path", None) or getattr(checkpoint_callback, "best_model_path", None)
        if path:
            score = getattr(checkpoint_callback, "best_model_score", None)
            score = score.item() if hasattr(score, "item") else score
            self.experiment.log_checkpoint(path, metrics={"best_model_score": score} if isinstance(score, (int, float)) else None)

    def should_stop(self) -> bool:
        """For a Lightning callback: `trainer.should_stop = logger.should_stop()`."""
        return self._run is not None and not self._run._ended and self._run.should_stop()

    def finalize(self, status: str) -> None:
        """Lightning calls this with 'success', 'failed' or 'finished' (and 'interrupted' on Ctrl-C in some versions)."""
        if self._run is None or self._run._ended:
            return
        self._run.finish("failed" if status in ("failed", "interrupted") else None)
        if _ts._current is self._run:
            _ts._current = None
