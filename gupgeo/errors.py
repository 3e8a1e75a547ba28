"""The few exception classes gupgeo raises.

Each subclasses a built-in so callers can catch either the gupgeo class or the
usual Python one. Messages are written in French because planners read them.
"""

from __future__ import annotations


class GupgeoError(Exception):
    """Base class of every gupgeo error."""


class InputFileError(GupgeoError, ValueError):
    """A file could not be read or does not look like the expected layer."""


class InputNotFoundError(GupgeoError, FileNotFoundError):
    """A path given by the user does not exist."""


class SchemaError(GupgeoError, ValueError):
    """A layer misses a required column or has an unknown layer name."""


class CRSError(GupgeoError, ValueError):
    """A layer has no CRS and its coordinates do not decide one, or CRSs disagree."""


class PeriodError(GupgeoError, ValueError):
    """A period or frequency parameter could not be understood."""


class ValidationError(GupgeoError, ValueError):
    """Validation found fatal problems; the report is attached as ``report``."""

    def __init__(self, message: str, report: object | None = None) -> None:
        super().__init__(message)
        self.report = report


class OutputExistsError(GupgeoError, FileExistsError):
    """An output path holds files or tables gupgeo did not write: they are never replaced."""


class ManifestError(GupgeoError, ValueError):
    """A ``gupgeo.toml`` manifest cannot be read or holds an unknown key or value."""


class AnalysisError(GupgeoError, ValueError):
    """A statistical analysis cannot give a meaningful answer on the data received.

    Raised by the veille (hot spots, emerging hot spots) when there are too few events
    or cells, or when the study area holds no event at all: a map of noise is worse than
    a clear refusal.

    ``subject`` names the analysis ("points chauds émergents"), ``reason`` says why: the
    message is both; a note that already names the analysis prints ``reason`` alone.
    """

    def __init__(self, reason: str, *, subject: str = "") -> None:
        super().__init__(f"{subject} : {reason}" if subject else reason)
        self.subject = subject
        self.reason = reason


class BusyError(GupgeoError, TimeoutError):
    """Another process is writing the same territory or output folder (one writer at a time)."""
