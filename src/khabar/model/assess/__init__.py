"""How good a run is: scoring, report.md and plots, the switch between runs, cross-validation."""
