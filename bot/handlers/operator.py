"""(stub: being written)"""

from typing import Any


def register(app: Any, deps: Any) -> None:
    """Nothing yet."""
