"""Where a call's speech is recognised: behind one small interface, one module per backend.

* ``inprocess``: the vosk model loaded in this process, decoded on a thread pool
  (ivr.media.asr.RecognizerPool). Simple; every worker process holds its own model.
* ``service``: a client of the host's recogniser service (``server``), one process holding the
  one model for every worker; audio goes over a Unix socket (``wire``).

The agent picks one with ``open_backend`` ([asr] service_socket set -> service).
"""

from ivr.media.asr_backends.base import RecognizerBackend, open_backend

__all__ = ["RecognizerBackend", "open_backend"]
