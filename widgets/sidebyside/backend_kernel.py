"""A second Jupyter kernel on another Keras backend, and the `%%keras_backend` cell magic (lesson 11).

Keras reads `KERAS_BACKEND` once, when it is first imported, so one process runs one backend. The
course kernel runs TensorFlow (`setup()` imports keras); to put the same Keras model on PyTorch next
to it, a notebook starts a second, real ipykernel whose environment says `KERAS_BACKEND=torch`:

    torch_side = start_backend_kernel("torch", env)   # env: what setup() returned

After that, a cell that starts with `%%keras_backend torch` runs in the torch-backend kernel and shows
its output here; `%%keras_backend torch tensorflow` runs it there and here (shared definitions).
`torch_side.push(name=value)` and `torch_side.pull("name")` copy values there and back (pickled);
`torch_side.shutdown()` stops the kernel.
"""

from __future__ import annotations

import base64
import os
import pickle
import subprocess
import sys
import weakref

DEFAULT_TIMEOUT_S = 300  # one cell in the second kernel (imports on a busy 2-core machine included)

# Runs first in the second kernel: the same quiet logs, thread count and seeds as setup() gives the
# course kernel, so that outputs are deterministic and timings compare like with like.
_PREPARE = """
from sidebyside.kernel import quiet_tensorflow_logs
quiet_tensorflow_logs()
import torch
import keras
torch.set_num_threads({threads})
keras.utils.set_random_seed({seed})
assert keras.backend.backend() == {backend!r}, keras.backend.backend()
"""


class BackendKernelError(RuntimeError):
    """A cell failed in the second kernel; the message carries its exception name and message."""

    def __init__(self, backend: str, ename: str, evalue: str):
        super().__init__(f"{ename}: {evalue} (raised in the {backend}-backend kernel)")
        self.ename, self.evalue = ename, evalue


class BackendKernel:
    """A running ipykernel whose Keras uses `backend`. Use `start_backend_kernel` to make one."""

    def __init__(self, backend: str, *, threads: int, seed: int, timeout_s: float = DEFAULT_TIMEOUT_S):
        from jupyter_client import KernelManager

        self.backend = backend
        self.timeout_s = timeout_s
        env = {**os.environ, "KERAS_BACKEND": backend}
        self._manager = KernelManager(kernel_name="python3")
        # The child's own stdout/stderr (ipykernel's start-up warnings, fd-level C++ logs) would land in
        # this kernel's output; everything a cell prints travels as messages instead.
        self._manager.start_kernel(env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._client = self._manager.client()
        self._client.start_channels()
        # Stop the child with this kernel even if the notebook never calls shutdown().
        self._finalizer = weakref.finalize(self, _stop, self._manager, self._client)
        try:
            self._client.wait_for_ready(timeout=timeout_s)
            self.run(_PREPARE.format(threads=threads, seed=seed, backend=backend), echo=False)
        except BaseException:
            self.shutdown()
            raise

    @property
    def alive(self) -> bool:
        return self._finalizer.alive and self._manager.is_alive()

    def run(self, code: str, *, echo: bool = True) -> None:
        """Execute `code` there; print its output here (echo=True); raise BackendKernelError on error."""
        if not self.alive:
            raise RuntimeError(f"the {self.backend}-backend kernel is not running (shut down?)")
        error: dict = {}

        def forward(msg) -> None:
            kind, content = msg["msg_type"], msg["content"]
            if kind == "error":
                error.update(content)
            elif not echo:
                return
            elif kind == "stream":
                stream = sys.stderr if content["name"] == "stderr" else sys.stdout
                stream.write(content["text"])
                stream.flush()
            elif kind in ("execute_result", "display_data"):
                from IPython.display import display

                display(content["data"], raw=True)

        reply = self._client.execute_interactive(code, timeout=self.timeout_s, output_hook=forward)
        if reply["content"]["status"] != "ok":
            raise BackendKernelError(self.backend, error.get("ename", reply["content"].get("ename", "?")),
                                     error.get("evalue", reply["content"].get("evalue", "")))

    def pull(self, name: str):
        """The value of the expression `name` in the second kernel, copied here (by pickle)."""
        expression = f"__import__('sidebyside.backend_kernel').backend_kernel._dumps({name})"
        reply = self._client.execute(
            "", silent=True, user_expressions={"value": expression}, reply=True, timeout=self.timeout_s)
        result = reply["content"]["user_expressions"]["value"]
        if result["status"] != "ok":
            raise BackendKernelError(self.backend, result["ename"], result["evalue"])
        return _loads(result["data"]["text/plain"])

    def push(self, **values) -> None:
        """Copy values from here into the second kernel's namespace, under the given names."""
        for name, value in values.items():
            if not name.isidentifier():
                raise ValueError(f"{name!r} is not a Python name")
            self.run(f"{name} = __import__('sidebyside.backend_kernel').backend_kernel._loads("
                     f"{_dumps(value)!r})", echo=False)

    def shutdown(self) -> None:
        """Stop the kernel (safe to call twice)."""
        self._finalizer()


def _stop(manager, client) -> None:
    client.stop_channels()
    if manager.has_kernel:
        manager.shutdown_kernel(now=True)


def _dumps(value) -> str:
    return base64.b64encode(pickle.dumps(value)).decode("ascii")


def _loads(text: str):
    return pickle.loads(base64.b64decode(text.strip("'\"")))


def start_backend_kernel(backend: str, env, *, register_magic: bool = True) -> BackendKernel:
    """Start a kernel whose Keras runs `backend`, with the threads and seed of `env` (from setup()).

    With register_magic (and an IPython shell), cells can start with `%%keras_backend BACKEND ...`.
    """
    kernel = BackendKernel(backend, threads=env.threads, seed=env.seed)
    if register_magic:
        _register(kernel)
    return kernel


_KERNELS: dict[str, BackendKernel] = {}


def _register(kernel: BackendKernel) -> None:
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return
    _KERNELS[kernel.backend] = kernel
    shell.register_magic_function(keras_backend, "cell", "keras_backend")


def keras_backend(line: str, cell: str) -> None:
    """`%%keras_backend torch [tensorflow]`: run the cell in each named backend's kernel, in order.

    The name of this kernel's own backend runs the cell here (as plain statements: a bare last
    expression is not displayed); any other name needs a kernel started with start_backend_kernel.
    With two names, each output is headed by its backend.
    """
    import keras
    from IPython import get_ipython

    names = line.split()
    if not names:
        raise ValueError("name a backend: %%keras_backend torch (or torch tensorflow)")
    here = keras.backend.backend()
    unknown = [n for n in names if n != here and n not in _KERNELS]
    if unknown:
        raise ValueError(f"no kernel for backend {unknown[0]!r}: this kernel runs {here!r}; start one "
                         f"with start_backend_kernel({unknown[0]!r}, env)")
    for name in names:
        if len(names) > 1:
            print(f"[{name} backend]")
        if name == here:
            get_ipython().ex(cell)  # definitions and prints; a last expression is not displayed
        else:
            _KERNELS[name].run(cell)
