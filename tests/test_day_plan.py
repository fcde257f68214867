"""The order of a trial day is written once, in probisim.trial.loop, and is the order that runs."""

import re

from probisim.trial import loop


def test_the_documented_day_plan_is_the_one_that_runs():
    documented = re.findall(r"^(\d)\. ``(\w+)``", loop.__doc__, flags=re.MULTILINE)
    assert [int(k) for k, _ in documented] == list(range(1, len(loop.DAY_PLAN) + 1))
    assert [name for _, name in documented] == [step.__name__ for step in loop.DAY_PLAN]


def test_every_step_says_which_step_it_is():
    for k, step in enumerate(loop.DAY_PLAN, start=1):
        assert step.__doc__.startswith(f"Step {k}:"), step.__name__
