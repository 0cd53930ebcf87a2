"""Self-check exercises, one module per notebook (e.g. `lab01.py`, `course02.py`).

Each module registers its exercises with `sidebyside.selfcheck.exercise`.
"""
