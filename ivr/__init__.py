"""Hotline IVR agent: answers SIP calls and applies a customer-service standard."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ivr")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+src"
