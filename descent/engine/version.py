"""The engine's version, recorded on every run so that results can be traced to the code."""

ENGINE_VERSION = "1.0.0"
