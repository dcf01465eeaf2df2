"""askshow: grounded answers to TV fans' questions, cited word for word from fan articles."""

__version__ = "0.1.0"
