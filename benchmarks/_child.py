"""What the benchmarks share: run one measured step in a fresh interpreter, so
its peak RSS is its own and nothing warmed up in an earlier step is reused."""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_worker(script: str, op: str, **spec) -> dict:
    """Run ``script _worker SPEC`` and return the JSON it wrote to ``spec["result"]``."""
    with tempfile.NamedTemporaryFile("r", suffix=".json") as result:
        spec = {"op": op, "result": result.name, **spec}
        subprocess.run(
            [sys.executable, str(Path(script).resolve()), "_worker", json.dumps(spec)],
            check=True,
            cwd=ROOT,
        )
        return json.load(result)
