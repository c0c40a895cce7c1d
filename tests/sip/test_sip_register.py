"""Registration with digest auth against sipp acting as a registrar (password from the env)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from sipkit import free_port, sipp_path

pytestmark = [pytest.mark.sip]

SCENARIO = Path(__file__).resolve().parent / "scenarios" / "registrar.xml"


def registrar(tmp_path: Path, password: str) -> tuple[subprocess.Popen[str], int]:
    port = free_port()
    proc = subprocess.Popen(
        [sipp_path(), "-sf", str(SCENARIO), "-i", "127.0.0.1", "-p", str(port), "-m", "1",
         "-set", "pw", password, "-timeout", "20", "-nostdin", "-trace_msg",
         "-message_file", str(tmp_path / "registrar.log")],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    return proc, port


@pytest.mark.parametrize(("password", "ok", "code"), [("s3cret", True, 200),
                                                      ("wrong", False, 403)])
def test_register_with_digest_auth(start_agent, tmp_path: Path, password: str, ok: bool,
                                   code: int) -> None:
    sipp, port = registrar(tmp_path, "s3cret")
    try:
        agent = start_agent(env={"IVR_TEST_SIP_PW": password},
                            sip={"registrar": f"sip:127.0.0.1:{port}", "domain": "ivr.test",
                                 "password_env": "IVR_TEST_SIP_PW"})
        result = agent.wait_for("registration", timeout_s=15)
        assert (result["ok"], result["code"]) == (ok, code)
        sipp.wait(timeout=20)
    finally:
        if sipp.poll() is None:
            sipp.kill()
        sipp.wait()
    log = (tmp_path / "registrar.log").read_text(errors="replace")
    assert 'Authorization: Digest username="ivr"' in log
    assert "s3cret" not in log and "wrong" not in log  # only the digest travels


def test_missing_password_env_is_a_clear_startup_error(start_agent) -> None:
    agent = start_agent(wait=False, sip={"registrar": "sip:127.0.0.1:9",
                                         "password_env": "IVR_TEST_NO_SUCH_VAR"})
    error = agent.wait_for("error", timeout_s=15)
    assert "IVR_TEST_NO_SUCH_VAR" in error["message"]
    agent.expect_exit = 3
