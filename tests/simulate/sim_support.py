"""Constants shared by the simulate tests (a uniquely named module, unlike conftest)."""

QUIET_DBFS = -50.0  # real speech attenuated to this active level: a quiet caller
