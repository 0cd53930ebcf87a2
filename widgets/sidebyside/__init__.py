"""sidebyside: PyTorch and TensorFlow side by side.

Graph capture and live graph widgets, device helpers, self-checks and a hardened autograder for a
notebook course. Importing this package imports neither framework; `setup()` does, in a safe order.
"""

__version__ = "0.1.0"


def setup(*args, **kwargs):
    """The first cell of every notebook. See `sidebyside.kernel.setup`."""
    from sidebyside.kernel import setup as _setup

    return _setup(*args, **kwargs)


def show(**values):
    """Print values from any framework identically. See `sidebyside.show.show`."""
    from sidebyside.show import show as _show

    return _show(**values)


def check(*args, **kwargs):
    """Self-check feedback for a "try it" exercise. See `sidebyside.selfcheck.check`."""
    from sidebyside.selfcheck import check as _check

    return _check(*args, **kwargs)


__all__ = ["__version__", "setup", "show", "check"]
