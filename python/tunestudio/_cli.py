"""Finding the store and the ``tunestudio`` command, and calling it (argument lists, never a shell)."""
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, List, Optional

__all__ = ["find_store_dir", "cli_argv", "run_cli_json", "TuneStudioError"]


class TuneStudioError(RuntimeError):
    """A Tune Studio operation failed; the message says what, why and what to do."""


def find_store_dir(explicit: Optional[str] = None) -> Path:
    """As the CLI finds it: the argument, else $TUNESTUDIO_DIR, else the nearest .tunestudio/ upward, else ./.tunestudio."""
    if explicit:
        return Path(explicit).resolve()
    env = os.environ.get("TUNESTUDIO_DIR")
    if env:
        return Path(env).resolve()
    here = Path.cwd().resolve()
    for d in (here, *here.parents):
        if (d / ".tunestudio").is_dir():
            return d / ".tunestudio"
    return here / ".tunestudio"


def _node() -> Optional[str]:
    explicit = os.environ.get("TUNESTUDIO_NODE")
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    return shutil.which("node")


def cli_argv() -> Optional[List[str]]:
    """How to run `tunestudio`: $TUNESTUDIO_CLI, else `tunestudio` on PATH, else the CLI next to this package; None without Node."""
    explicit = os.environ.get("TUNESTUDIO_CLI")
    if explicit:
        if explicit.endswith((".js", ".cjs", ".mjs")):
            node = _node()
            return [node, explicit] if node else None
        return [explicit]
    on_path = shutil.which("tunestudio")
    if on_path:
        return [on_path]
    bundled = Path(__file__).resolve().parents[2] / "bin" / "tunestudio.js"
    node = _node()
    if bundled.is_file() and (bundled.parent.parent / "dist" / "cli.js").is_file() and node:
        return [node, str(bundled)]
    return None


def run_cli_json(args: List[str], store: Path, timeout: float = 120.0) -> Any:
    """Runs `tunestudio ARGS --json --dir STORE` and returns its parsed output; TuneStudioError naming the cause otherwise."""
    argv = cli_argv()
    if argv is None:
        raise TuneStudioError(
            "cannot read the Tune Studio store: the `tunestudio` command was not found (no TUNESTUDIO_CLI, "
            "nothing on PATH, no Node.js). Open a terminal in VS Code with Tune Studio installed, or set TUNESTUDIO_CLI."
        )
    cmd = [*argv, *args, "--json", "--dir", str(store)]
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
    except OSError as e:
        raise TuneStudioError(f"cannot run {argv[0]}: {e}; set TUNESTUDIO_CLI to the tunestudio command") from e
    if p.returncode != 0:
        msg = p.stderr.strip()
        try:
            msg = json.loads(msg.splitlines()[-1])["error"]
        except (ValueError, KeyError, IndexError, TypeError):
            pass
        raise TuneStudioError(f"tunestudio {' '.join(args)}: {msg or f'exit code {p.returncode}'}")
    out = p.stdout.strip()
    return json.loads(out) if out else None
