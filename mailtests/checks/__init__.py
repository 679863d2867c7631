"""The compliance checks: pure functions from DNS answers to findings.

Each check is registered under its catalog id with :func:`check`; it receives a
:class:`~mailtests.checks.context.Context` (the domain, its configuration and a
recording view of the DNS layer) and returns a :class:`~mailtests.result.Finding`.
"""

from __future__ import annotations

from collections.abc import Callable

from ..catalog import CHECKS
from ..result import Finding

CheckFunction = Callable[..., Finding]
REGISTRY: dict[str, CheckFunction] = {}


def check(check_id: str) -> Callable[[CheckFunction], CheckFunction]:
    """Register a function as the implementation of a catalog id."""
    if check_id not in CHECKS:
        raise KeyError(f"{check_id} is not in the catalog")

    def register(fn: CheckFunction) -> CheckFunction:
        REGISTRY[check_id] = fn
        fn.check_id = check_id  # type: ignore[attr-defined]
        return fn

    return register


def load_all() -> dict[str, CheckFunction]:
    """Import every check module so that all checks are registered."""
    import importlib
    import pkgutil

    for info in pkgutil.iter_modules(__path__):
        if info.name not in ("context", "common"):
            importlib.import_module(f"{__name__}.{info.name}")
    return REGISTRY
