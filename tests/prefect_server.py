"""One Prefect server on 127.0.0.1, shared by the command-line runs of a test module.

With no Prefect server configured, every `casereview run` starts a temporary one of its own and waits for it
(about 6 s of each run on a 2-core machine). The end-to-end tests run the command some thirty times; they give
each run this server's address (``PREFECT_API_URL``) instead, so the flows are the same real Prefect flows,
recorded by a real server, without the wait. The tests of the temporary server itself (a run stopped by Ctrl+C,
a run killed outright) leave the address out, so that their runs start their own as users' runs do.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

STARTUP_SECONDS = 120


class SharedPrefectServer:
    """Prefect's API server (uvicorn, as Prefect starts its temporary one) with its database under ``home``,
    started on first use by ``api_url`` and stopped by ``stop``."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.process: subprocess.Popen | None = None
        self.url = ""

    def api_url(self) -> str:
        """The server's API address, starting the server the first time."""
        if self.process is None or self.process.poll() is not None:
            self._start()
        return self.url

    def _start(self) -> None:
        import prefect

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        # as Prefect's temporary server is started: no web interface, and its background services run as they do
        # for a temporary server
        env = {**os.environ, "PREFECT_HOME": str(self.home), "PREFECT_UI_ENABLED": "0",
               "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1",
               "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}
        env.pop("PREFECT_API_URL", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--app-dir", str(Path(prefect.__file__).parent.parent), "--factory",
             "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(port), "--log-level",
             "error", "--lifespan", "on"],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # in the test session's process group: Ctrl+C, or stopping the whole test run, stops it too
        self.url = f"http://127.0.0.1:{port}/api"
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the shared Prefect server did not start within {STARTUP_SECONDS} s")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
