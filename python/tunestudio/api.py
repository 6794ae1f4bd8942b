"""Reading runs back (trackio's ``Api``): every read goes through the `tunestudio` CLI's --json output, never SQLite."""
import math
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

from ._cli import find_store_dir, run_cli_json

__all__ = ["Api", "Run", "Runs"]


def _num(v: Any) -> Any:
    if v == "NaN":
        return math.nan
    if v == "Infinity":
        return math.inf
    if v == "-Infinity":
        return -math.inf
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v


class Run:
    """A stored run. `status`, `config` and the metric reads query the store each time (the run may still be going)."""

    def __init__(self, project: str, name: str, run_id: str, store: Path) -> None:
        self.project = project
        self.name = name
        self._id = run_id
        self._store = store

    @property
    def id(self) -> str:
        return self._id

    def _show(self) -> Dict[str, Any]:
        return run_cli_json(["show", self._id], self._store)

    @property
    def status(self) -> str:
        """running, finished, failed, cancelled, stopped or crashed."""
        return self._show()["status"]

    @property
    def config(self) -> Dict[str, Any]:
        return self._show().get("config", {})

    def final_metrics(self) -> Dict[str, Any]:
        """The last value of every metric (NaN and ±Inf as floats)."""
        return {m: _num(s.get("last")) for m, s in self._show().get("summary", {}).items()}

    def metrics(self) -> List[str]:
        """The names of the metrics this run logged."""
        return sorted(self._show().get("summary", {}).keys())

    def history(self, metric: str) -> List[Dict[str, Any]]:
        """Every point of `metric`, in step order: {"step", "value", "timestamp"}."""
        out = []
        for p in self._points():
            if p.get("metric") == metric:
                out.append({"step": p["step"], "value": _num(p["value"]), "timestamp": p.get("wall_time")})
        out.sort(key=lambda p: p["step"])
        return out

    def _points(self) -> List[Dict[str, Any]]:
        import json

        from ._cli import TuneStudioError, cli_argv
        import subprocess

        argv = cli_argv()
        if argv is None:
            run_cli_json(["show", self._id], self._store)  # raises the "no CLI" error
        p = subprocess.run([*argv, "export", self._id, "--format", "jsonl", "--dir", str(self._store)], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300)  # type: ignore[misc]
        if p.returncode != 0:
            raise TuneStudioError(f"tunestudio export {self._id}: {p.stderr.strip() or p.returncode}")
        return [json.loads(line) for line in p.stdout.splitlines() if line.strip()]

    def alerts(self, level: Optional[str] = None, since: Optional[str] = None) -> List[Dict[str, Any]]:
        args = ["alerts", "--run", self._id]
        if level:
            args += ["--level", getattr(level, "value", level)]
        if since:
            args += ["--since", since]
        return run_cli_json(args, self._store) or []

    def delete(self) -> bool:
        """Deletes the run with its metrics and alerts."""
        run_cli_json(["delete", self._id, "--yes"], self._store)
        return True

    def __repr__(self) -> str:
        return f"<Run {self.name} ({self._id}) in {self.project}>"


class Runs:
    """The runs of a project, oldest first (as trackio lists them)."""

    def __init__(self, project: str, store: Path) -> None:
        rows = run_cli_json(["runs", "--project", project, "--limit", "100000"], store) or []
        self._runs = [Run(project, r["name"], r["id"], store) for r in reversed(rows)]

    def __iter__(self) -> Iterator[Run]:
        return iter(self._runs)

    def __getitem__(self, i: int) -> Run:
        return self._runs[i]

    def __len__(self) -> int:
        return len(self._runs)

    def __repr__(self) -> str:
        return f"<Runs {[r.name for r in self._runs]}>"


class Api:
    """trackio's read API over the workspace store (`dir`, else found like the CLI finds it)."""

    def __init__(self, dir: Optional[str] = None) -> None:
        self._store = find_store_dir(dir)

    def runs(self, project: str) -> Runs:
        return Runs(project, self._store)

    def alerts(self, project: Optional[str] = None, run: Optional[str] = None, level: Optional[str] = None, since: Optional[str] = None) -> List[Dict[str, Any]]:
        """Alerts, oldest first, as dicts: id, run_id, run_name, level, reason, metric, step, title, text, data, created_at."""
        args = ["alerts"]
        if project:
            args += ["--project", project]
        if run:
            args += ["--run", run]
        if level:
            args += ["--level", getattr(level, "value", level)]
        if since:
            args += ["--since", since]
        return run_cli_json(args, self._store) or []
