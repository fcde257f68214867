"""Figures: trial results (:mod:`.trial_plots`) and sweeps (:mod:`.sweep_plots`).
Every function takes result objects and an optional ``ax``; none reads or writes
results directories."""
