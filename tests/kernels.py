"""A real ipykernel for tests that drive one the way JupyterLab does (one execute request per cell).

    with python_kernel(KERAS_BACKEND="tensorflow") as kc:
        kc.execute_interactive("print(1)", output_hook=...)
"""

from __future__ import annotations

import os
from contextlib import contextmanager

import jupyter_client


@contextmanager
def python_kernel(**env: str):
    """A python3 kernel with this process's environment plus `env`; always shut down."""
    km = jupyter_client.KernelManager(kernel_name="python3")
    # PYTEST_CURRENT_TEST set: ipykernel leaves fd-level output uncaptured
    km.start_kernel(env={**os.environ, "PYTEST_CURRENT_TEST": "", **env})
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=120)
        yield kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
