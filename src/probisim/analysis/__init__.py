"""Analyse one real trial with the statistics of the simulated ones.

``analyze(data, plan)`` takes a long-format table (one row per participant and
visit; CSV, pandas DataFrame or dict of columns) and an analysis plan (TOML file,
dict or :class:`AnalysisPlan`) and returns an :class:`AnalysisResult` whose
tables are pandas DataFrames; ``result.write(out)`` writes the results directory
(``effects.csv``, ``visit_means.csv``, ``flow.csv``, ``summary.json``,
``report.md``, ``plan.toml``, figures). The command line is
``probisim analyze DATA.csv --config PLAN.toml``.
"""

from .plan import AnalysisPlan, Endpoint, load_plan, plan_from_dict
from .run import EFFECT_COLUMNS, AnalysisResult, analyze

__all__ = ["AnalysisPlan", "AnalysisResult", "EFFECT_COLUMNS", "Endpoint", "analyze", "load_plan", "plan_from_dict"]
