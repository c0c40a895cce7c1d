"""Which PJSIP this process would run, for `ivr doctor` (ivr/sip is the only pjsua2 importer)."""

from __future__ import annotations


def pjsip_version() -> str:
    """The PJSIP version of the installed pjsua2 wheel.

    Raises ImportError when pjsua2 is not installed, and whatever SWIG raises when it is
    installed but cannot start (the doctor reports both)."""
    import pjsua2

    return str(pjsua2.Endpoint().libVersion().full)
