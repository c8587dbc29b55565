"""company-risk: 12-month default prediction and daily scoring for the Estonian business register."""

__version__ = "0.1.0"
