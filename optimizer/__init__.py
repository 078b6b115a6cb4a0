"""stockpile: critical-mineral security planning as a two-stage stochastic MILP."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("stockpile")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"
