"""AI contact center backend: an AI answers customers first, people stay in control."""

__version__ = "0.1.0"
