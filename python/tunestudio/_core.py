"""The live run: init/log/alert/watch/should_stop/finish.

Two ways out, one protocol (README "Tracking"):
- supervised (a Tune Studio job or `tunestudio run`, TUNESTUDIO_SUPERVISED=1):
  protocol lines on stdout, flushed; should_stop() reads $TUNESTUDIO_CONTROL.
- unsupervised: the same lines appended to a run file in the store folder
  (<store>/runfiles/), which the VS Code runtime or a `tunestudio follow`
  process (started here, detached, when none lives) ingests; should_stop()
  reads the control file the follower writes beside it.
This module never opens SQLite and applies no built-in watcher: the runtime
does, for every source alike.
"""
import atexit
import json
import math
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import weakref
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from ._cli import TuneStudioError, cli_argv, find_store_dir, run_cli_json
from ._watch import CustomWatcher, check_fn, check_watch
from .alerts import AlertLevel, level_value

PREFIX = "@tunestudio "
META = "@tunestudio-run "
RUN_FILE_DIR = "runfiles"
_dumps = json.JSONEncoder(allow_nan=True, separators=(",", ":"), default=str).encode


def _say(msg: str) -> None:
    try:
        sys.stderr.write(f"tunestudio: {msg}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


_said: set = set()


def _say_once(key: str, msg: str) -> None:
    if key not in _said:
        _said.add(key)
        _say(msg)


# ------------------------------------------------------------------ process facts


def process_start_token(pid: int) -> Optional[str]:
    """`<boot id>:<start ticks>` as the runtime computes it (src/runtime/os/process.ts), so a recycled pid is not mistaken."""
    try:
        with open(f"/proc/{pid}/stat", "r") as f:
            text = f.read()
        fields = text[text.rindex(")") + 1 :].split()
        if fields[0] in ("Z", "X"):
            return None  # a zombie is gone, whatever its pid says
        ticks = fields[19]  # field 22; fields[0] is field 3
    except (OSError, ValueError, IndexError):
        return None
    try:
        with open("/proc/sys/kernel/random/boot_id", "r") as f:
            boot = f.read().strip()[:8]
    except OSError:
        boot = ""
    return f"{boot}:{ticks}" if boot else ticks


_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
_ADJ = ["amber", "brave", "calm", "crisp", "eager", "gentle", "hazy", "jolly", "keen", "lucid", "mellow", "nimble", "proud", "quiet", "rapid", "silver", "tidy", "vivid", "warm", "zesty"]
_NOUN = ["anchor", "breeze", "cedar", "delta", "ember", "fjord", "grove", "harbor", "island", "kestrel", "lagoon", "meadow", "nebula", "orchid", "pebble", "quartz", "river", "summit", "valley", "willow"]


def new_run_id() -> str:
    """Same shape as the runtime's ids: 8 base-36 chars of milliseconds, then 4 random."""
    n = int(time.time() * 1000)
    s = ""
    while n:
        n, r = divmod(n, 36)
        s = _ALPHABET[r] + s
    return s.rjust(8, "0")[-8:] + "".join(random.choice(_ALPHABET) for _ in range(4))


# ------------------------------------------------------------------ values


def _coerce(v: Any) -> Any:
    """numpy / torch scalars and 0-d tensors become numbers; anything else goes as text (the runtime refuses and counts it)."""
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return v
    item = getattr(v, "item", None)
    if callable(item):
        try:
            x = item()
            if isinstance(x, (int, float)) and not isinstance(x, bool):
                return x
        except (ValueError, RuntimeError, TypeError):
            pass  # a tensor with more than one element
    try:
        x = float(v)  # Decimal, Fraction, numpy.float128 …
        return x
    except (TypeError, ValueError):
        return str(v)[:200]


def _step(step: Any) -> Optional[int]:
    if step is None:
        return None
    try:
        import operator

        s = operator.index(step)  # int, numpy ints, 0-d integer tensors
    except TypeError:
        item = getattr(step, "item", None)
        s = item() if callable(item) else step
        if isinstance(s, float) and s.is_integer():
            s = int(s)
    if not isinstance(s, int) or isinstance(s, bool) or s < 0:
        raise ValueError(f"step must be a whole number >= 0, got {step!r}")
    return s


# ------------------------------------------------------------------ sinks


class _FileSink:
    """Appends to the run file through a buffer; a background thread flushes it every 0.2 s."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.f = open(path, "ab", buffering=1 << 16)
        self.dirty = False

    def write(self, line: str) -> None:
        self.f.write(line.encode("utf-8"))
        self.dirty = True

    def flush(self) -> None:
        self.dirty = False
        try:
            self.f.flush()
        except ValueError:
            pass  # closed

    def close(self) -> None:
        try:
            self.f.flush()
            os.fsync(self.f.fileno())
        except (OSError, ValueError):
            pass
        try:
            self.f.close()
        except OSError:
            pass


class _StdoutSink:
    """Protocol lines on stdout, flushed at once (the supervisor reads the job's log file)."""

    dirty = False

    def write(self, line: str) -> None:
        try:
            sys.stdout.write(line)
            sys.stdout.flush()
        except (OSError, ValueError):
            sys.__stdout__.write(line)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        try:
            sys.stdout.flush()
        except (OSError, ValueError):
            pass


_sinks: "weakref.WeakSet[_FileSink]" = weakref.WeakSet()
_flusher: Optional[threading.Thread] = None


def _flush_loop() -> None:
    while True:
        time.sleep(0.2)
        for s in list(_sinks):
            if s.dirty:
                s.flush()


def _start_flusher(sink: _FileSink) -> None:
    global _flusher
    _sinks.add(sink)
    if _flusher is None:
        _flusher = threading.Thread(target=_flush_loop, name="tunestudio-flush", daemon=True)
        _flusher.start()


# ------------------------------------------------------------------ follower


_spawned: Optional[subprocess.Popen] = None


def _follower_alive(runfiles: Path) -> bool:
    try:
        info = json.loads((runfiles / "follower.json").read_text())
        pid = int(info["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return False
    token = process_start_token(pid)
    return token is not None and (not info.get("pid_start") or token == info["pid_start"])


def _ensure_follower(store: Path, runfiles: Path) -> bool:
    """True when something will ingest the run file now: a live follower, or one started here."""
    global _spawned
    if _follower_alive(runfiles):
        return True
    if _spawned is not None and _spawned.poll() is None:
        return True
    argv = cli_argv()
    if argv is None:
        _say_once(
            "no-node",
            f"Node.js and the `tunestudio` command were not found, so nothing ingests this run now. Nothing is lost: "
            f"its run file waits in {runfiles} and is read the next time Tune Studio opens this store "
            f"(VS Code, or `tunestudio follow --dir {store}`). Set TUNESTUDIO_CLI to the tunestudio command to track live.",
        )
        return False
    try:
        log = open(runfiles / "follower-errors.txt", "ab")
        try:
            _spawned = subprocess.Popen(
                [*argv, "follow", "--dir", str(store)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=log,
                cwd=str(store),
                start_new_session=True,  # not killed with our process group (Ctrl-C, kill -9 of a job group)
                close_fds=True,
            )
        finally:
            log.close()
        return True
    except OSError as e:
        _say_once("spawn", f"cannot start `{' '.join(argv)} follow` ({e}); the run file waits in {runfiles} for Tune Studio to read it")
        return False


# ------------------------------------------------------------------ config / summary


class _Config(dict):
    """The run's config; changes (run.config["lr"] = …, .update(), attribute style) are recorded."""

    def __init__(self, run: "Run", data: Dict[str, Any]) -> None:
        super().__init__(data)
        object.__setattr__(self, "_run", run)

    def __setitem__(self, k: str, v: Any) -> None:
        super().__setitem__(k, v)
        self._run._emit({"config": {k: v}})

    def update(self, *a: Any, **kw: Any) -> None:  # type: ignore[override]
        patch = dict(*a, **kw)
        super().update(patch)
        if patch:
            self._run._emit({"config": patch})

    def __getattr__(self, k: str) -> Any:
        try:
            return self[k]
        except KeyError:
            raise AttributeError(k) from None

    def __setattr__(self, k: str, v: Any) -> None:
        self[k] = v


class _Summary(dict):
    """wandb's run.summary: kept in the config under "summary"."""

    def __init__(self, run: "Run") -> None:
        super().__init__()
        self._run = run

    def __setitem__(self, k: str, v: Any) -> None:
        super().__setitem__(k, _coerce(v))
        self._run._emit({"config": {"summary": dict(self)}})

    def update(self, *a: Any, **kw: Any) -> None:  # type: ignore[override]
        for k, v in dict(*a, **kw).items():
            super().__setitem__(k, _coerce(v))
        self._run._emit({"config": {"summary": dict(self)}})


# ------------------------------------------------------------------ the run


class Run:
    """A live run. Made by init(); ``.id`` and ``.name`` name it in the store (`tunestudio show ID`)."""

    def __init__(
        self,
        project: str,
        name: Optional[str],
        config: Optional[Dict[str, Any]],
        group: Optional[str],
        resume: str,
        store: Optional[str],
    ) -> None:
        if not isinstance(project, str) or not project.strip():
            raise ValueError("init(project=...) needs a project name, e.g. init(project='gpt2-lora')")
        if resume not in ("never", "allow", "must"):
            raise ValueError(f"init(resume=...) must be 'never', 'allow' or 'must', got {resume!r}")
        if config is not None and not isinstance(config, dict):
            config = dict(config)  # argparse.Namespace has no items(); vars() it first
        self.project = project
        self.group = group
        self._custom: List[CustomWatcher] = []
        self._ended = False
        self._stop_reason: Optional[str] = None
        self._last_check = 0.0
        self._control_mtime: Optional[float] = None
        self._next_step = 0
        self._wait_for_follower = False
        self._last_follower_check = time.monotonic()
        self._pid = os.getpid()  # a forked child (DataLoader worker) inherits the run but must never end it
        self.supervised = os.environ.get("TUNESTUDIO_SUPERVISED") == "1" and bool(os.environ.get("TUNESTUDIO_RUN_ID"))
        cfg = dict(config or {})
        if self.supervised:
            self.id = os.environ["TUNESTUDIO_RUN_ID"]
            self.name = name or self.id
            self.store = None
            self.run_file = None
            self._control = os.environ.get("TUNESTUDIO_CONTROL")
            self._sink: Any = _StdoutSink()
            if resume == "must":
                _say_once("supervised-resume", "init(resume='must') under a Tune Studio job: the job's run goes on (a job is one run)")
            patch = dict(cfg)
            if group:
                patch.setdefault("group", group)
            if patch:
                self._sink.write(PREFIX + _dumps({"config": patch}) + "\n")
        else:
            self.store = find_store_dir(store)
            runfiles = self.store / RUN_FILE_DIR
            runfiles.mkdir(parents=True, exist_ok=True)
            existing = _find_run_to_resume(self.store, project, name) if resume != "never" and name else None
            if resume == "must" and existing is None:
                raise TuneStudioError(
                    f"init(resume='must'): no run named '{name}' in project '{project}' in {self.store}; "
                    f"use resume='allow' to start it when it does not exist"
                )
            self.id = existing or new_run_id()
            self.name = name or f"{random.choice(_ADJ)}-{random.choice(_NOUN)}-{self.id[-4:]}"
            stem = f"{self.id}-{os.getpid()}-{''.join(random.choice(_ALPHABET) for _ in range(4))}"
            self.run_file = runfiles / f"{stem}.log"
            self._control = str(runfiles / f"{stem}.control.json")
            header = {
                "version": 1,
                "run_id": self.id,
                "project": project,
                "name": self.name,
                "config": cfg,
                "pid": os.getpid(),
                "pid_start": process_start_token(os.getpid()),
                "host": socket.gethostname(),
                "resume": existing is not None,
                "group": group,
            }
            sink = _FileSink(self.run_file)
            sink.write(META + _dumps(header) + "\n")
            sink.flush()
            self._sink = sink
            _start_flusher(sink)
            # The file is written before we look for a follower: one that is just leaving looks once more after.
            self._wait_for_follower = _ensure_follower(self.store, runfiles)
        self.config = _Config(self, cfg)
        self.summary = _Summary(self)

    def __repr__(self) -> str:
        return f"<tunestudio.Run {self.name} ({self.id}) project={self.project}>"

    # -------------------------------------------------------------- writing

    def _emit(self, message: Dict[str, Any]) -> None:
        if self._ended:
            raise RuntimeError(f"run '{self.name}' ({self.id}) is finished; call init() for a new run")
        self._sink.write(PREFIX + _dumps(message) + "\n")

    def log(self, metrics: Dict[str, Any], step: Optional[int] = None) -> None:
        """Logs numbers at `step` (default: one past the highest step so far). NaN and ±Inf are kept."""
        if self._ended:
            raise RuntimeError(f"run '{self.name}' ({self.id}) is finished; cannot log. Call init() for a new run.")
        # Fast path: plain numbers go as they are (json.dumps itself writes int/float keys as text).
        clean = metrics if type(metrics) is dict else dict(metrics)
        for v in clean.values():
            t = type(v)
            if t is not float and t is not int:
                clean = {(k if type(k) is str else str(k)): (v if type(v) in (float, int) else _coerce(v)) for k, v in metrics.items()}
                break
        if step is None:
            msg: Dict[str, Any] = {"metrics": clean}
            s = self._next_step
        else:
            s = step if type(step) is int and step >= 0 else _step(step)
            msg = {"step": s, "metrics": clean}
        try:
            line = PREFIX + _dumps(msg) + "\n"
        except (TypeError, ValueError):
            # A key json cannot write (a tuple), or a Mapping that is not a dict: names as text.
            clean = {str(k): (v if type(v) in (float, int) else _coerce(v)) for k, v in metrics.items()}
            msg["metrics"] = clean
            line = PREFIX + _dumps(msg) + "\n"
        self._sink.write(line)
        if s >= self._next_step:
            self._next_step = s + 1
        if self._custom:
            self._run_custom(clean, s)

    def _run_custom(self, values: Dict[str, Any], step: int) -> None:
        for w in self._custom:
            v = values.get(w.metric)
            if not isinstance(v, (int, float)) or isinstance(v, bool):
                continue
            a = w.check(float(v), step)
            if a is None:
                continue
            data = dict(a["data"], reason="custom", stop=a["stop"])
            self._emit({"alert": {"title": a["title"], "text": a["text"], "level": a["level"], "metric": w.metric, "step": step, "data": data}})
            if a["stop"] and not self._stop_reason:
                self._stop_reason = a["title"]
                self._emit({"stop": {"reason": a["title"]}})

    def alert(
        self,
        title: str,
        text: Optional[str] = None,
        level: Any = AlertLevel.WARN,
        data: Optional[Dict[str, Any]] = None,
        webhook_url: Optional[str] = None,
    ) -> None:
        """Raises an alert on this run now (shown in VS Code, `tunestudio alerts`)."""
        if not isinstance(title, str) or not title.strip():
            raise ValueError("alert(title=...) needs a title")
        lv = level_value(level)
        if webhook_url:
            _say_once("webhook", "alert(webhook_url=...) has no equivalent in Tune Studio (alerts show in VS Code and `tunestudio alerts`); not posted")
        a: Dict[str, Any] = {"title": title, "level": lv}
        if text is not None:
            a["text"] = str(text)
        if data is not None:
            if not isinstance(data, dict):
                raise ValueError(f"alert(data=...) must be a dict, got {type(data).__name__}")
            a["data"] = {str(k): _coerce(v) if not isinstance(v, (str, dict, list, type(None))) else v for k, v in data.items()}
        self._emit({"alert": a})
        _say(f"[{lv.upper()}] {title}" + (f": {text}" if text else ""))

    def log_checkpoint(self, path: str, step: Optional[int] = None, metrics: Optional[Dict[str, Any]] = None) -> None:
        """Records a checkpoint (shown on the run; `tunestudio show`)."""
        c: Dict[str, Any] = {"path": str(path)}
        if step is not None:
            c["step"] = _step(step)
        if metrics:
            c["metrics"] = {str(k): _coerce(v) for k, v in metrics.items()}
        self._emit({"checkpoint": c})

    def watch(
        self,
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
        """Watches a metric. Built-in rules run in Tune Studio; `fn(value, step)` runs here. Checked now: a mistake fails here."""
        builtin = dict(nan=nan, max_value=max_value, min_value=min_value, spike_factor=spike_factor, window=window, patience=patience, min_delta=min_delta, mode=mode)
        if fn is not None:
            check_fn(metric, fn)
            extra = check_watch(metric, dict(builtin, stop=stop, level=level), custom=True)
            rules = {k: v for k, v in extra.items() if k not in ("stop", "level")}
            if rules:
                self._emit({"watch": dict({"metric": metric}, **check_watch(metric, dict(builtin, stop=stop, level=level)))})
            self._custom.append(CustomWatcher(metric, fn, stop, extra.get("level")))
            return
        opts = check_watch(metric, dict(builtin, stop=stop, level=level))
        self._emit({"watch": dict({"metric": metric}, **opts)})

    def should_stop(self) -> bool:
        """True once a watcher (here or in Tune Studio) or `tunestudio stop` asked this run to stop."""
        if self._stop_reason:
            return True
        now = time.monotonic()
        if now - self._last_check < 0.2:
            return False
        self._last_check = now
        if self._sink.dirty:
            self._sink.flush()  # the runtime judges what it has read
        if self._wait_for_follower and now - self._last_follower_check >= 2.0:
            # A follower that died (killed, out of memory) is replaced; it resumes at the last committed position.
            self._last_follower_check = now
            assert self.store is not None and self.run_file is not None
            _ensure_follower(self.store, self.run_file.parent)
        reason = _stop_in_control_file(self._control, self)
        if reason:
            self._stop_reason = reason
        return bool(self._stop_reason)

    @property
    def stop_reason(self) -> Optional[str]:
        return self._stop_reason

    def finish(self, status: Optional[str] = None) -> None:
        """Ends the run: `finished` (or `stopped` when a stop was requested). Returns when every point is stored, or safely in the run file."""
        if status not in (None, "finished", "failed", "stopped"):
            raise ValueError(f"finish(status=...) must be 'finished', 'failed' or 'stopped', got {status!r}")
        if status is None:
            status = "stopped" if self._stop_reason else "finished"
        reason = f"stopped: {self._stop_reason}" if status == "stopped" and self._stop_reason else None
        self._end(status, reason=reason)
        if self._wait_for_follower:
            self._wait_ingested()

    def _end(self, status: str, reason: Optional[str] = None, exit_code: Optional[int] = None, sig: Optional[str] = None) -> None:
        if self._ended:
            return
        self._ended = True
        _active.discard(self)
        if self.run_file is not None:
            end = {"status": status, "exit_code": exit_code, "signal": sig, "reason": reason}
            self._sink.write(META + _dumps({"end": end}) + "\n")
        self._sink.close()

    def _wait_ingested(self) -> None:
        """Until the follower has read the file to its end and settled the run (it then removes the file)."""
        assert self.run_file is not None and self.store is not None
        limit = float(os.environ.get("TUNESTUDIO_FINISH_TIMEOUT", "60"))
        t0 = time.monotonic()
        delay = 0.005
        runfiles = self.run_file.parent
        last_spawn = 0.0
        while self.run_file.exists():
            now = time.monotonic()
            following = _follower_alive(runfiles) or (_spawned is not None and _spawned.poll() is None)
            if not following and now - last_spawn >= 2.0:
                # The follower died (killed, out of memory): a new one goes on from the last committed position.
                last_spawn = now
                following = _ensure_follower(self.store, runfiles)
            if now - t0 > limit or not following:
                if self.run_file.exists():
                    _say(f"run '{self.name}' ({self.id}) is safely in {self.run_file}; Tune Studio reads it the next time it opens this store")
                return
            time.sleep(delay)
            delay = min(delay * 2, 0.05)


def _stop_in_control_file(path: Optional[str], run: Run) -> Optional[str]:
    if not path:
        return None
    try:
        m = os.stat(path).st_mtime
    except OSError:
        return None
    if m == run._control_mtime:
        return None
    run._control_mtime = m
    try:
        with open(path, "r") as f:
            cmds = json.load(f).get("commands", [])
    except (OSError, ValueError, AttributeError):
        run._control_mtime = None  # being replaced: read again next time
        return None
    for c in cmds:
        if isinstance(c, dict) and c.get("cmd") == "stop":
            return str(c.get("reason") or "stop requested")
    return None


def _find_run_to_resume(store: Path, project: str, name: str) -> Optional[str]:
    """The newest run with this name: from run files still waiting to be read, or from the store (through the CLI)."""
    ids: List[str] = []
    for p in (store / RUN_FILE_DIR).glob("*.log"):
        try:
            with open(p, "rb") as f:
                first = f.readline().decode("utf-8", "replace")
            h = json.loads(first[len(META) :]) if first.startswith(META) else None
        except (OSError, ValueError):
            continue
        if isinstance(h, dict) and h.get("project") == project and h.get("name") == name:
            ids.append(str(h.get("run_id")))
    if (store / "studio.db").exists():
        try:
            runs = run_cli_json(["runs", "--project", project], store)
        except TuneStudioError as e:
            if cli_argv() is None:
                raise TuneStudioError(f"init(resume=...): cannot look for run '{name}' in the store: {e}") from e
            runs = []  # no such project yet
        ids += [r["id"] for r in runs or [] if isinstance(r, dict) and r.get("name") == name]
    return max(ids) if ids else None  # ids sort by creation time


# ------------------------------------------------------------------ exit hooks

_active: "set[Run]" = set()
_last_exc: Dict[str, Any] = {}
_hooks = False


def _install_hooks() -> None:
    global _hooks
    if _hooks:
        return
    _hooks = True
    prev = sys.excepthook

    def excepthook(t: Any, v: Any, tb: Any) -> None:
        _last_exc["e"] = v
        prev(t, v, tb)

    sys.excepthook = excepthook
    atexit.register(_at_exit)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        try:
            if signal.getsignal(sig) is signal.SIG_DFL and threading.current_thread() is threading.main_thread():
                signal.signal(sig, _on_signal)
        except (ValueError, OSError):
            pass


def _at_exit() -> None:
    e = _last_exc.get("e")
    if isinstance(e, KeyboardInterrupt):
        reason = "interrupted (KeyboardInterrupt)"
    elif e is not None:
        reason = f"uncaught exception: {type(e).__name__}: {e}"[:300]
    else:
        reason = "exited without finish()"
    for run in list(_active):
        if run._pid != os.getpid():
            continue
        if run.supervised:
            run._end("finished")
        else:
            run._end("failed", reason=reason)


def _on_signal(signum: int, frame: Any) -> None:
    name = signal.Signals(signum).name
    for run in list(_active):
        if not run.supervised and run._pid == os.getpid():
            run._end("failed", reason=f"interrupted by {name}", sig=name)
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def register(run: Run) -> None:
    _install_hooks()
    _active.add(run)
