"""Results directories: write a trial's tables, summaries, report and figures
atomically, and read them back."""

from .results_dir import FILES, LoadedResults, OutputExistsError, StoreError, read_results, write_results

__all__ = ["FILES", "LoadedResults", "OutputExistsError", "StoreError", "read_results", "write_results"]
