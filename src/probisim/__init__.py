"""probisim: agent-based simulation of probiotic trials."""
