"""The supervised study as one file: configurations, curves and analyses that synscale runs,
resumes and stores. ``config`` (the study file), ``plan`` (what it makes and what exists),
``runner`` (the stages), ``estimate`` (time from measured throughputs), ``analysis`` (fits,
per-class, exchange rate), ``summary`` (what ``study plan`` and ``study status`` print)."""

from synscale.study.config import StudyConfig, load_study
from synscale.study.plan import StudyPlan, build_plan
from synscale.study.runner import run_study

__all__ = ["StudyConfig", "StudyPlan", "build_plan", "load_study", "run_study"]
