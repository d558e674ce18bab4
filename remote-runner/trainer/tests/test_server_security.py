"""Attacks on the trainer's HTTP server: callers without the token, web pages (cross-origin
simple requests), writes outside its output folder, huge bodies, connection floods, and
clients that leave while their answer is being generated."""

from __future__ import annotations

import http.client
import json
import socket
import time
from pathlib import Path
from typing import Any

import pytest

MSGS = [{"role": "user", "content": "Count to one thousand."}]


def request(srv: Any, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    host, port = srv.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=120)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, json.loads(r.read() or b"null")
    finally:
        conn.close()


def authed(srv: Any, **extra: str) -> dict[str, str]:
    return {"Content-Type": "application/json", "Authorization": f"Bearer {srv.token}", **extra}


@pytest.fixture
def srv(tiny_model_dir: Path, start_server: Any, tmp_path: Path) -> Any:
    return start_server("--model", str(tiny_model_dir), "--lora-rank", "4", "--output-dir", str(tmp_path / "out"),
                        "--max-body-mb", "1", "--max-requests", "3")


def wait_until(cond: Any, what: str, limit_s: float = 120) -> None:
    end = time.monotonic() + limit_s
    while not cond():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_unauthenticated_requests_are_refused(srv: Any, tmp_path: Path) -> None:
    target = tmp_path / "out" / "planted"
    body = json.dumps({"dir": str(target)}).encode()
    for headers in ({"Content-Type": "application/json"},
                    {"Content-Type": "application/json", "Authorization": "Bearer wrong"},
                    {"Content-Type": "application/json", "Authorization": f"Bearer {srv.token}x"}):
        status, e = request(srv, "POST", "/v1/checkpoints", body, headers)
        assert status == 401 and "Authorization: Bearer" in e["error"]["message"]
    status, e = request(srv, "GET", "/v1/train/state")
    assert status == 401
    status, e = request(srv, "POST", "/v1/train/step", json.dumps({"trajectories": []}).encode(), {"Content-Type": "application/json"})
    assert status == 401
    assert not target.exists()
    # the health probe needs no token and tells nothing about the model
    status, h = request(srv, "GET", "/v1/health")
    assert status == 200 and h["ok"] is True
    status, state = request(srv, "GET", "/v1/train/state", headers=authed(srv))
    assert status == 200 and state["step"] == 0


def test_cross_origin_requests_are_refused(srv: Any, tmp_path: Path) -> None:
    # What a web page can send without a preflight: a "simple" POST with a text/plain body.
    payload = json.dumps({"trajectories": [{"group_id": "g", "reward": 1, "segments": []}]}).encode()
    status, e = request(srv, "POST", "/v1/train/step", payload, {"Content-Type": "text/plain", "Origin": "http://evil.example"})
    assert status == 403 and "web pages" in e["error"]["message"]
    # even a page that somehow had the token is refused, and so is a non-JSON body
    status, e = request(srv, "POST", "/v1/checkpoints", b"{}", authed(srv, Origin="http://evil.example"))
    assert status == 403
    status, e = request(srv, "POST", "/v1/checkpoints", b"{}", {**authed(srv), "Content-Type": "text/plain"})
    assert status == 415 and "application/json" in e["error"]["message"]
    status, e = request(srv, "POST", "/v1/checkpoints", b"{}", {**authed(srv), "Content-Type": "application/x-www-form-urlencoded"})
    assert status == 415
    assert not (tmp_path / "out" / "checkpoints").exists()


def test_checkpoints_stay_inside_the_output_folder(srv: Any, tmp_path: Path) -> None:
    for d in (str(tmp_path / "elsewhere"), "../elsewhere", "/tmp"):
        status, e = request(srv, "POST", "/v1/checkpoints", json.dumps({"dir": d}).encode(), authed(srv))
        assert status == 403 and "outside the server's output folder" in e["error"]["message"], e
        status, e = request(srv, "POST", "/v1/export", json.dumps({"dir": d}).encode(), authed(srv))
        assert status == 403
    assert not (tmp_path / "elsewhere").exists()
    status, ck = request(srv, "POST", "/v1/checkpoints", json.dumps({"dir": "mine"}).encode(), authed(srv))
    assert status == 200 and Path(ck["dir"]) == (tmp_path / "out" / "mine").resolve()
    assert (tmp_path / "out" / "mine" / "dcp" / ".metadata").is_file()


def test_bodies_are_capped(srv: Any) -> None:
    # refused from the header, before any of the body is read (the server answers and hangs up)
    host, port = srv.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as s:
        s.sendall((f"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                   f"Authorization: Bearer {srv.token}\r\nContent-Length: {2 << 20}\r\n\r\n").encode() + b"{" * 1000)
        r = http.client.HTTPResponse(s)
        r.begin()
        assert r.status == 413 and "--max-body-mb" in json.loads(r.read())["error"]["message"]
    status, e = request(srv, "POST", "/v1/chat/completions", b"{}", {**authed(srv), "Content-Length": "99999999999"})
    assert status == 413


def test_a_connection_flood_gets_503_not_threads(srv: Any) -> None:
    host, port = srv.url.removeprefix("http://").split(":")
    held = [socket.create_connection((host, int(port))) for _ in range(3)]  # silent clients hold every slot
    try:
        def refused() -> bool:
            try:
                return request(srv, "GET", "/v1/health")[0] == 503
            except OSError:
                return False
        wait_until(refused, "a 503 while every slot is held")
        status, e = request(srv, "GET", "/v1/health")
        assert status == 503 and "--max-requests" in e["error"]["message"]
    finally:
        for s in held:
            s.close()
    wait_until(lambda: request(srv, "GET", "/v1/health")[0] == 200, "the slots to come back")


def test_generation_stops_when_the_client_goes(srv: Any) -> None:
    host, port = srv.url.removeprefix("http://").split(":")
    body = {"messages": MSGS, "max_tokens": 1000, "temperature": 1.0, "seed": 1}
    # streamed: the client reads the first event and leaves
    conn = http.client.HTTPConnection(host, int(port), timeout=120)
    conn.request("POST", "/v1/chat/completions", json.dumps({**body, "stream": True}).encode(), authed(srv))
    r = conn.getresponse()
    assert r.status == 200 and r.readline().startswith(b"data: ")
    r.close()  # the connection was the response's (Connection: close): this hangs up
    conn.close()
    wait_until(lambda: request(srv, "GET", "/v1/health")[1]["aborted_rows"] >= 1, "the streamed rows to stop")
    # not streamed: the client sends the request and hangs up before the answer
    raw = json.dumps({**body, "n": 2}).encode()
    s = socket.create_connection((host, int(port)))
    head = (f"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {srv.token}\r\nContent-Length: {len(raw)}\r\n\r\n").encode()
    s.sendall(head + raw)
    s.close()
    wait_until(lambda: request(srv, "GET", "/v1/health")[1]["aborted_rows"] >= 3, "the unstreamed rows to stop")
