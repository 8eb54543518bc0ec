"""Figures for supervisors: reviewer feedback and the threshold advisor (more in issue 6)."""
