import sys
from pathlib import Path

# Test modules share small helpers by importing each other (e.g. `from test_kernel import ...`).
sys.path.insert(0, str(Path(__file__).parent))
