"""LibpodClient against a small HTTP server on a unix socket: how Podman's answers and
failures become rcontainer's results and errors (the real service is in tests/integration)."""

from __future__ import annotations

import json
import socketserver
import struct
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from rcontainer.backends.podman.api import Endpoint, LibpodClient
from rcontainer.backends.podman.exec_session import STDERR, STDOUT, WHOLE_FRAME, Demux
from rcontainer.errors import NotFound, OperationFailed, PodmanUnavailable


def frame(stream: int, data: bytes) -> bytes:
    return struct.pack(">BxxxL", stream, len(data)) + data


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: list[tuple[str, str, bytes]] = []

    def log_message(self, *args) -> None:  # quiet, and unix sockets have no client address
        pass

    def _answer(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Libpod-API-Version", "5.4.2")  # as Podman says its version on every answer
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _route(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        Handler.seen.append((method, self.path, self.rfile.read(length)))
        path = self.path.split("?")[0]
        if path == "/_ping":
            self._answer(200, b"OK", "text/plain")
        elif path.endswith("/libpod/info"):
            self._answer(200, json.dumps({"host": {"rootlessNetworkCmd": "pasta"}}).encode())
        elif path.endswith("/containers/missing/json"):
            self._answer(404, b'{"cause":"no such container","message":"no container with name missing"}')
        elif path.endswith("/containers/bad/start"):
            self._answer(500, b'{"message":"  OCI runtime error: crun: refused\\n"}')
        elif path.endswith("/containers/up/start"):
            self._answer(304, b"")
        elif path.endswith("/events"):  # a stream: chunked, split anywhere
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for piece in (b'{"Status": "sta', b'rt"}\n{"Status"', b': "die"}\n', b"\n"):
                self.wfile.write(b"%x;ext=1\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\nTrailer: x\r\n\r\n")
        elif path.endswith("/until-close"):
            self.send_response_only(200)
            self.end_headers()
            self.wfile.write(b"all of it")
            self.close_connection = True
        elif path.endswith("/cut-short"):
            self.send_response_only(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            self.wfile.write(b"not 100 bytes")
            self.close_connection = True
        elif path.endswith("/images/pull"):
            lines = b'{"stream":"Copying blob sha256:aaa"}\nnot json\n\n{"id":"abc"}\n'
            self._answer(200, lines)
        elif "/exec/" in path and path.endswith("/start"):
            upgraded = "upgrade" in path
            self.send_response_only(101 if upgraded else 200)
            self.send_header("Content-Type", "application/vnd.docker.raw-stream")
            if upgraded:
                self.send_header("Connection", "Upgrade")
                self.send_header("Upgrade", "tcp")
            self.end_headers()
            self.wfile.write(frame(STDOUT, b"out\n") + frame(STDOUT, b"") + frame(STDERR, b"err\n"))
            self.close_connection = True
        else:
            self._answer(200, json.dumps({"path": path}).encode())

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def serve(tmp_path: Path, server_class: type[Server]) -> Iterator[LibpodClient]:
    """A client of a fake service (``Handler``) on a socket in ``tmp_path``, served meanwhile."""
    sock = tmp_path / "podman.sock"
    server = server_class(str(sock), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    Handler.seen = []
    try:
        yield LibpodClient(Endpoint(sock, "test"), timeout=5)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def api(tmp_path: Path) -> Iterator[LibpodClient]:
    yield from serve(tmp_path, Server)


def test_requests_name_the_libpod_version_and_send_json(api):
    assert api.request("POST", "/containers/create", body={"name": "x"}).json() == {
        "path": "/v4.0.0/libpod/containers/create"
    }
    method, path, body = Handler.seen[-1]
    assert (method, path, json.loads(body)) == ("POST", "/v4.0.0/libpod/containers/create", {"name": "x"})


def test_list_parameters_repeat(api):
    api.request("POST", "/containers/c/wait", {"condition": ["exited", "stopped"]})
    assert Handler.seen[-1][1].endswith("/containers/c/wait?condition=exited&condition=stopped")


def test_a_missing_object_is_not_found_with_podmans_words(api):
    assert api.get_json("/containers/missing/json") is None
    with pytest.raises(NotFound, match="look: Podman said: no container with name missing"):
        api.request("GET", "/containers/missing/json", what="look")


def test_an_error_status_fails_with_podmans_message_and_ok_statuses_are_returned(api):
    with pytest.raises(OperationFailed) as info:
        api.request("POST", "/containers/bad/start", what="start bad")
    assert info.value.message == "start bad: Podman said: OCI runtime error: crun: refused"
    assert info.value.said == "OCI runtime error: crun: refused"
    assert api.request("POST", "/containers/up/start", ok=(304,)).status == 304


def test_stream_lines_yields_each_json_document_and_skips_the_rest(api):
    assert list(api.stream_lines("POST", "/images/pull")) == [
        {"stream": "Copying blob sha256:aaa"},
        {"id": "abc"},
    ]


@pytest.mark.parametrize("exec_id", ["plain", "upgrade"])
def test_an_exec_start_takes_the_connection_over_whether_or_not_podman_upgrades(api, exec_id):
    sock, early = api.upgraded(f"/exec/{exec_id}/start", {"Detach": False}, what="exec")
    with sock:
        stream = early
        while chunk := sock.recv(65536):
            stream += chunk
    assert list(Demux().feed(stream)) == [(STDOUT, b"out\n", True), (STDERR, b"err\n", True)]
    method, path, body = Handler.seen[-1]
    assert path == f"/v4.0.0/libpod/exec/{exec_id}/start" and json.loads(body) == {"Detach": False}


def test_an_exec_start_podman_refuses_fails_with_its_words(api):
    with pytest.raises(OperationFailed, match="exec in c: Podman said: OCI runtime error: crun: refused"):
        api.upgraded("/containers/bad/start", {}, what="exec in c")


def test_frames_come_whole_whatever_the_pieces_they_arrive_in_and_long_ones_in_pieces():
    stream = frame(STDOUT, b"hello") + frame(STDERR, b"") + frame(STDERR, b"world")
    demux = Demux()
    got = [item for i in range(len(stream)) for item in demux.feed(stream[i : i + 1])]
    assert got == [(STDOUT, b"hello", True), (STDERR, b"world", True)]
    long = b"x" * (WHOLE_FRAME + 10)
    pieces = list(Demux().feed(frame(STDOUT, long)[: WHOLE_FRAME // 2]))
    assert pieces and all(s == STDOUT and not whole for s, _, whole in pieces)
    demux = Demux()
    data = frame(STDOUT, long) + frame(STDERR, b"after")
    got = [item for i in range(0, len(data), 4096) for item in demux.feed(data[i : i + 4096])]
    assert b"".join(p for s, p, _ in got if s == STDOUT) == long
    assert got[-1] == (STDERR, b"after", True)


def test_chunked_streams_and_bodies_read_until_close_arrive_whole(api):
    assert list(api.stream_lines("GET", "/events")) == [{"Status": "start"}, {"Status": "die"}]
    assert b"".join(api.stream_bytes("GET", "/events")) == b'{"Status": "start"}\n{"Status": "die"}\n\n'
    assert api.request("GET", "/until-close").body == b"all of it"


def test_an_answer_cut_short_is_podman_unavailable(api):
    with pytest.raises(PodmanUnavailable):
        api.request("GET", "/cut-short")


def test_a_socket_nobody_serves_is_podman_unavailable(tmp_path):
    api = LibpodClient(Endpoint(tmp_path / "none.sock", "test"), timeout=1)
    assert api.ping() is False
    with pytest.raises(PodmanUnavailable, match="no Podman service answers on .*none.sock"):
        api.get_json("/info")


def test_ping_answers_when_a_service_does(api):
    assert api.ping() is True


def test_the_version_comes_from_any_answer_else_one_ping(api):
    assert api.version() == "5.4.2"
    assert [path for _, path, _ in Handler.seen] == ["/_ping"]
    other = LibpodClient(api.endpoint, timeout=5)
    other.request("GET", "/containers/json")
    assert other.version() == "5.4.2"
    assert [path for _, path, _ in Handler.seen][1:] == ["/v4.0.0/libpod/containers/json"]  # no ping


def test_info_is_asked_once_per_client(api):
    assert api.info() == {"host": {"rootlessNetworkCmd": "pasta"}}
    assert api.info()["host"]["rootlessNetworkCmd"] == "pasta"
    assert [path for _, path, _ in Handler.seen] == ["/v4.0.0/libpod/info"]


class Counting(Server):
    """The same server, counting the connections it accepted."""

    accepted = 0

    def get_request(self):  # noqa: ANN201 - socketserver's signature
        Counting.accepted += 1
        return super().get_request()


@pytest.fixture
def counted(tmp_path: Path) -> Iterator[LibpodClient]:
    Counting.accepted = 0
    yield from serve(tmp_path, Counting)


def test_a_commands_plain_requests_share_one_connection(counted):
    counted.request("GET", "/containers/a/json")
    counted.request("POST", "/containers/create", body={"name": "x"})
    assert counted.get_json("/containers/missing/json") is None  # an error answer keeps it too
    counted.request("POST", "/containers/up/start", ok=(304,))  # no body
    assert [p for _, p, _ in Handler.seen][-1].endswith("/containers/up/start")
    assert Counting.accepted == 1


def test_an_answer_that_ends_with_the_connection_is_not_reused(counted):
    counted.request("GET", "/until-close")
    counted.request("GET", "/containers/a/json")
    assert Counting.accepted == 2


def test_a_kept_connection_the_service_closed_is_replaced_and_the_request_sent_again(counted):
    counted.request("GET", "/containers/a/json")
    kept = counted._idle[0]
    kept.shutdown(2)  # as a service that closed an idle connection: the next send finds it gone
    assert counted.request("GET", "/containers/b/json").json() == {"path": "/v4.0.0/libpod/containers/b/json"}
    assert Counting.accepted == 2


def test_trace_names_each_request_on_stderr_and_is_silent_when_off(counted, monkeypatch, capsys):
    from rcontainer.backends.podman import api

    counted.request("GET", "/containers/a/json")
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(api, "TRACE", True)
    counted.request("GET", "/containers/a/json")
    with pytest.raises(NotFound):
        counted.request("GET", "/containers/missing/json")
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("rcontainer: trace: GET /containers/a/json 200 ") and lines[0].endswith(" ms")
    assert lines[1].startswith("rcontainer: trace: GET /containers/missing/json ")
    assert "PodmanNotFound" in lines[1]
