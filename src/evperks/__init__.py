"""evperks: the promotion and loyalty engine of an EV-charging operator."""

__version__ = "0.1.0"
