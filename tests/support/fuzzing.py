"""Hypothesis profiles for the property-based tests, and the decorator that runs a property
under each of them.

- ``ci``: the default run (a few hundred generated inputs per property; every fuzz file
  together stays under a minute on a 2-core machine).
- ``long``: thousands of inputs per property; those tests carry the ``slow`` mark, so
  ``pytest -m slow tests/test_fuzz.py tests/test_fuzz_parsers.py`` runs them.

A property is written once with :func:`fuzz` and collected as ``test_x[ci]`` and
``test_x[long]``; no test sets its own ``max_examples``, so the profiles decide.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.internal.reflection import function_digest

settings.register_profile(
    "ci",
    max_examples=200,
    deadline=None,  # a shared CI machine stalls now and then; slowness is not the property
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
settings.register_profile("long", parent=settings.get_profile("ci"), max_examples=5_000)

PROFILES = [pytest.param("ci", id="ci"), pytest.param("long", id="long", marks=pytest.mark.slow)]


def fuzz(*strategies: st.SearchStrategy) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Turn ``prop(*generated, *, fixture...)`` into a test run under each profile.

    The property's keyword-only parameters are pytest fixtures (module- or session-scoped
    ones: the same value serves every generated input); the others are generated.
    """

    def decorate(prop: Callable[..., Any]) -> Callable[..., Any]:
        fixtures = [p.name for p in inspect.signature(prop).parameters.values() if p.kind is inspect.Parameter.KEYWORD_ONLY]

        def test(profile: str, **fixture_values: Any) -> None:
            def run(values: tuple) -> None:
                prop(*values, **fixture_values)

            # Reported under the property's own name, and its failing examples saved and
            # replayed under its own key (every ``run`` has the same source).
            run.__name__, run.__qualname__ = prop.__name__, prop.__qualname__
            check = settings(settings.get_profile(profile))(given(st.tuples(*strategies))(run))
            check._hypothesis_internal_database_key = function_digest(prop) + profile.encode()  # type: ignore[attr-defined]
            check()

        params = [inspect.Parameter("profile", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        params += [inspect.Parameter(f, inspect.Parameter.KEYWORD_ONLY) for f in fixtures]
        test.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        test.__name__, test.__qualname__, test.__doc__ = prop.__name__, prop.__qualname__, prop.__doc__
        test.__module__ = prop.__module__
        test.pytestmark = list(getattr(prop, "pytestmark", []))  # type: ignore[attr-defined]  # xfail and the like
        return pytest.mark.parametrize("profile", PROFILES)(test)

    return decorate
