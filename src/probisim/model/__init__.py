"""The model: parameters, taxa and strains, compilation into kernel arrays, the
population generator, interventions, and the engine that steps a population day
by day (with the one-call :func:`simulate`)."""

from .compile import CompiledModel, ModelConfig, check_intervention_names, compile_model
from .engine import (
    DAY_OFFSET,
    HOST_UNITS,
    Engine,
    SimConfig,
    SimResult,
    SimulationError,
    load_sim_config,
    resolve_defaults,
    simulate,
    strains_in,
)
from .interventions import (
    INTERVENTION_KINDS,
    Antibiotic,
    DayContext,
    Diet,
    Intervention,
    Placebo,
    Prebiotic,
    Probiotic,
    StressManagement,
    Stressor,
    resolve_end_day,
)
from .params import HostParams, MicrobiomeParams, MoodParams
from .population import PRESETS, TRAITS, Population, PopulationConfig, TraitDist, Traits, generate, preset_traits
from .taxa import DEFAULT_STRAINS, DEFAULT_TAXA, Strain, Taxon

__all__ = ["CompiledModel", "ModelConfig", "check_intervention_names", "compile_model", "DAY_OFFSET", "HOST_UNITS",
           "Engine", "SimConfig", "SimResult", "SimulationError", "load_sim_config", "resolve_defaults", "simulate",
           "strains_in", "INTERVENTION_KINDS", "Antibiotic", "DayContext", "Diet", "Intervention", "Placebo",
           "Prebiotic", "Probiotic", "Stressor", "StressManagement", "resolve_end_day",
           "HostParams", "MicrobiomeParams", "MoodParams",
           "PRESETS", "TRAITS", "Traits", "Population", "PopulationConfig", "TraitDist", "generate", "preset_traits",
           "DEFAULT_STRAINS", "DEFAULT_TAXA", "Strain", "Taxon"]
