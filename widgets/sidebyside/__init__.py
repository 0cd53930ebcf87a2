"""sidebyside: PyTorch and TensorFlow side by side.

Graph capture and live graph widgets, device helpers, self-checks and a hardened autograder for a
notebook course. Importing this package imports neither framework; `setup()` does, in a safe order.
"""

__version__ = "0.1.0"

# Imported now, not on first call: the function `show` shares its name with the module
# `sidebyside.show`, and the first import of that module (by show() or any exercise) would otherwise
# rebind `sidebyside.show` to the module, so a later `from sidebyside import show` got a module
# ("'module' object is not callable"). The module needs only NumPy.
from sidebyside.show import show  # noqa: E402


def setup(*args, **kwargs):
    """The first cell of every notebook. See `sidebyside.kernel.setup`."""
    from sidebyside.kernel import setup as _setup

    return _setup(*args, **kwargs)


def check(*args, **kwargs):
    """Self-check feedback for a "try it" exercise. See `sidebyside.selfcheck.check`."""
    from sidebyside.selfcheck import check as _check

    return _check(*args, **kwargs)


__all__ = ["__version__", "setup", "show", "check"]
