"""Shared by the Python tests: a temp store per test, the real `tunestudio` CLI, real child processes, waiting on conditions."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

ROOT = Path(__file__).resolve().parents[2]
PYTHON_DIR = ROOT / "python"
CLI_JS = ROOT / "bin" / "tunestudio.js"
NODE = os.environ.get("TUNESTUDIO_NODE") or shutil.which("node") or "node"


def wait_for(check: Callable[[], Any], what: str, timeout: float = 60.0, interval: float = 0.05) -> Any:
    """Polls `check` until it returns something truthy; fails naming `what` (never a fixed sleep)."""
    deadline = time.monotonic() + timeout
    last: Optional[BaseException] = None
    while True:
        try:
            v = check()
            if v:
                return v
        except Exception as e:  # noqa: BLE001 - reported on timeout
            last = e
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}" + (f"; last error: {last}" if last else ""))
        time.sleep(interval)


class StoreTest(unittest.TestCase):
    """Each test gets its own folder and store, and the environment a VS Code terminal would give."""

    def setUp(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="tunestudio-py-"))
        self.store = self.tmp / ".tunestudio"
        self.env = dict(os.environ)
        for k in ("TUNESTUDIO_SUPERVISED", "TUNESTUDIO_RUN_ID", "TUNESTUDIO_CONTROL", "TUNESTUDIO_JOB_ID", "TUNESTUDIO_JOB_DIR"):
            self.env.pop(k, None)
        self.env.update(
            TUNESTUDIO_DIR=str(self.store),
            TUNESTUDIO_CLI=str(CLI_JS),
            TUNESTUDIO_NODE=NODE,
            PYTHONPATH=str(PYTHON_DIR) + os.pathsep + self.env.get("PYTHONPATH", ""),
            PYTHONUNBUFFERED="1",
        )
        self.procs: List[subprocess.Popen] = []

    def tearDown(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        # A follower started by a test's client ends by itself once its files are settled; wait for it so no process outlives the test.
        try:
            wait_for(lambda: not self.follower_pid(), "the follower to exit", timeout=30)
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def follower_pid(self) -> Optional[int]:
        """The pid of the live follower of this store, if any (a zombie or a recycled pid is not one)."""
        try:
            info = json.loads((self.store / "runfiles" / "follower.json").read_text())
            stat = Path(f"/proc/{info['pid']}/stat").read_text()
        except (OSError, ValueError, KeyError):
            return None
        fields = stat[stat.rindex(")") + 1 :].split()
        return None if fields[0] in ("Z", "X") else int(info["pid"])

    def script(self, name: str, code: str) -> Path:
        p = self.tmp / name
        p.write_text(code)
        return p

    def python(self, script: Path, *args: str, env: Optional[Dict[str, str]] = None, check: bool = True, timeout: float = 180) -> subprocess.CompletedProcess:
        r = subprocess.run([sys.executable, str(script), *args], cwd=self.tmp, env=env or self.env, capture_output=True, text=True, timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError(f"{script.name} exited {r.returncode}\nstdout:\n{r.stdout}\nstderr:\n{r.stderr}")
        return r

    def spawn(self, argv: List[str], env: Optional[Dict[str, str]] = None) -> subprocess.Popen:
        p = subprocess.Popen(argv, cwd=self.tmp, env=env or self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.procs.append(p)
        return p

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        r = subprocess.run([NODE, str(CLI_JS), *args, "--dir", str(self.store)], cwd=self.tmp, env=self.env, capture_output=True, text=True, timeout=120)
        if check and r.returncode != 0:
            raise AssertionError(f"tunestudio {' '.join(args)} exited {r.returncode}: {r.stderr}")
        return r

    def cli_json(self, *args: str) -> Any:
        return json.loads(self.cli(*args, "--json").stdout)

    def points(self, run: str) -> List[Dict[str, Any]]:
        out = self.cli("export", run, "--format", "jsonl").stdout
        return [json.loads(l) for l in out.splitlines() if l.strip()]

    def runs(self, project: Optional[str] = None) -> List[Dict[str, Any]]:
        return self.cli_json("runs", *(["--project", project] if project else [])) if self.store.joinpath("studio.db").exists() else []
