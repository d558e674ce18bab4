"""HTTP API: OpenAI-compatible chat completions (token ids + logprobs, tools, SSE streaming,
n samples) and models; training steps, checkpoints, export and live LoRA reload."""

from __future__ import annotations

import hmac
import json
import queue
import random
import select
import socket
import threading
import time
import traceback
import urllib.error
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from .batch import BatchError
from .chat import ChatError, parse_tool_calls, render_continuation, render_prompt
from . import collective
from .checkpoint import export_merged, load_adapter_weights
from .engine import Engine
from .models import Policy
from .sampling import Row
from .trainer import StepConflict, Trainer


class ApiError(Exception):
    def __init__(self, status: int, message: str, kind: str = "invalid_request_error") -> None:
        super().__init__(message)
        self.status, self.kind = status, kind


class ClientGone(Exception):
    """The client closed its connection while its answer was being generated."""


DEFAULT_MAX_BODY = 256 << 20
DEFAULT_MAX_REQUESTS = 128


def _num(body: dict[str, Any], key: str, default: float, lo: float, hi: float) -> float:
    v = body.get(key)
    if v is None:
        return default
    if not isinstance(v, (int, float)) or isinstance(v, bool) or not (lo <= v <= hi):
        raise ApiError(400, f"'{key}' must be a number in [{lo}, {hi}] (got {v!r})")
    return float(v)


class App:
    """State shared by all request threads."""

    def __init__(
        self, policy: Policy, trainer: Trainer | None, output_dir: Path, served_name: str,
        max_batch_rows: int = 64, max_tokens_default: int = 512, sync_url: str | None = None,
        generate: bool = True,
        token: str = "", max_body: int = DEFAULT_MAX_BODY, sync_token: str | None = None,
    ) -> None:
        if not token:
            raise ValueError("the server needs a token (AGENTRL_TRAINER_TOKEN): it never serves without one")
        self.policy, self.trainer = policy, trainer
        self.engine = Engine(policy, max_batch_rows)
        self.output_dir = output_dir
        self.served_name = served_name
        self.max_tokens_default = max_tokens_default
        self.sync_url = sync_url.rstrip("/") if sync_url else None
        # Off when another server (vLLM) generates: a rollout sent here by mistake is an error,
        # not a silent sample from a different copy of the weights.
        self.generate = generate
        self.adapter_version = 0
        self.train_lock = threading.Lock()
        # Who may call: the holder of this token (the runner that started us). Training writes
        # weights and files, so a local user or a web page must not reach it.
        self.token, self.max_body, self.sync_token = token, max_body, sync_token

    def authorized(self, header: str | None) -> bool:
        return hmac.compare_digest((header or "").encode(), f"Bearer {self.token}".encode())

    def inside_output(self, d: Any, default: Path) -> Path:
        """A folder the caller names for us to write into, confined to our output folder."""
        if d is None:
            return default
        if not isinstance(d, str) or not d:
            raise ApiError(400, "'dir' must be a non-empty string: a folder inside the server's output folder")
        root = self.output_dir.resolve()
        p = (root / d).resolve()
        if p != root and root not in p.parents:
            raise ApiError(403, f"'dir' {d!r} is outside the server's output folder {root}: this server writes only "
                                "there. Fix: pass a path inside it (relative paths are taken from it), or start the "
                                "server with --output-dir set to a folder above the one you want", "forbidden")
        return p

    # -- chat ------------------------------------------------------------------------------
    def make_rows(self, body: dict[str, Any], on_token_for: Any = None) -> tuple[list[int], list[Row], list[str]]:
        prompt = self.prompt_ids(body)
        n = body.get("n", 1)
        if not isinstance(n, int) or isinstance(n, bool) or not (1 <= n <= 64):
            raise ApiError(400, f"'n' must be an integer from 1 to 64 (got {n!r})")
        mt = body.get("max_completion_tokens", body.get("max_tokens", self.max_tokens_default))
        if not isinstance(mt, int) or isinstance(mt, bool) or mt < 1:
            raise ApiError(400, f"'max_tokens' must be a positive integer (got {mt!r})")
        ctx = int(getattr(self.policy.model.config, "max_position_embeddings", 1 << 30))
        if len(prompt) >= ctx:
            raise ApiError(400, f"the prompt has {len(prompt)} tokens; the model's context is {ctx}. Shorten the messages.")
        mt = min(mt, ctx - len(prompt))
        temperature = _num(body, "temperature", 1.0, 0.0, 5.0)
        top_p = _num(body, "top_p", 1.0, 0.0, 1.0)
        if top_p == 0.0:
            raise ApiError(400, "'top_p' must be > 0")
        top_lp = body.get("top_logprobs") or 0
        if not isinstance(top_lp, int) or not (0 <= top_lp <= 20):
            raise ApiError(400, "'top_logprobs' must be an integer from 0 to 20")
        seed = body.get("seed")
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
            raise ApiError(400, "'seed' must be an integer")
        base_seed = seed if seed is not None else random.randrange(1 << 62)
        stop = body.get("stop") or []
        if isinstance(stop, str):
            stop = [stop]
        if not isinstance(stop, list) or not all(isinstance(s, str) and s for s in stop):
            raise ApiError(400, "'stop' must be a string or a list of non-empty strings")
        rows = []
        for i in range(n):
            row = Row(list(prompt), mt, temperature, top_p, base_seed + i, top_lp)
            row.on_token = self._on_token(row, stop, on_token_for(i) if on_token_for else None)
            rows.append(row)
        return prompt, rows, stop

    def prompt_ids(self, body: dict[str, Any]) -> list[int]:
        """The prompt of a request. With `prefix_token_ids` (a multi-turn episode's previous
        prompt + sampled tokens) only the messages after the last assistant message are rendered
        and appended, so every turn extends the exact token sequence of the episode."""
        tok = self.policy.tokenizer
        prefix = body.get("prefix_token_ids")
        try:
            if prefix is None:
                return render_prompt(tok, body.get("messages"), body.get("tools"))
            vocab = self.policy.vocab_size
            if (not isinstance(prefix, list) or not prefix
                    or not all(isinstance(x, int) and not isinstance(x, bool) and 0 <= x < vocab for x in prefix)):
                raise ApiError(400, f"'prefix_token_ids' must be a non-empty list of token ids of this model (0..{vocab - 1}): "
                                    "the previous turn's prompt_token_ids followed by its token_ids")
            return render_continuation(tok, body.get("messages"), body.get("tools"), prefix, self.policy.eos_ids())
        except ChatError as e:
            raise ApiError(400, str(e)) from e

    def _on_token(self, row: Row, stop: list[str], emit: Any) -> Any:
        tok = self.policy.tokenizer
        state = {"text": ""}

        def cb(tid: int, lp: float, top: list[tuple[int, float]]) -> bool:
            text = str(tok.decode(row.tokens, skip_special_tokens=True))
            hit = any(s in text for s in stop) if stop else False
            if emit is not None:
                # Hold back a partial UTF-8 character until it completes.
                delta = "" if text.endswith("\ufffd") else text[len(state["text"]):]
                if delta or not text.endswith("\ufffd"):
                    state["text"] = text if not text.endswith("\ufffd") else state["text"]
                emit(tid, lp, top, delta)
            return hit

        return cb

    def choice_text(self, row: Row, stop: list[str]) -> tuple[str, str]:
        text = str(self.policy.tokenizer.decode(row.tokens, skip_special_tokens=True))
        reason = row.finish_reason
        for s in stop:
            k = text.find(s)
            if k >= 0:
                text, reason = text[:k], "stop"
        return text, reason

    def logprob_entry(self, tid: int, lp: float, top: list[tuple[int, float]]) -> dict[str, Any]:
        dec = str(self.policy.tokenizer.decode([tid]))
        return {
            "token": dec, "logprob": lp, "bytes": list(dec.encode("utf-8")),
            "top_logprobs": [
                {"token": (d := str(self.policy.tokenizer.decode([i]))), "logprob": v, "bytes": list(d.encode("utf-8"))}
                for i, v in top
            ],
        }

    def need_generation(self) -> None:
        if not self.generate:
            raise ApiError(400, f"generation is off in this trainer (--no-generate): rollouts go to the policy server at {self.sync_url}")

    def chat(self, body: dict[str, Any], client_gone: Any = None) -> dict[str, Any]:
        self.need_generation()
        prompt, rows, stop = self.make_rows(body)
        job = self.engine.submit(rows)
        # Wake now and then to see whether the client is still there: nobody waits for an
        # answer to a closed connection, so its rows stop and free the batch.
        while not job.done.wait(0.25):
            if client_gone is not None and client_gone():
                job.cancel()
                job.done.wait()
                raise ClientGone()
        if job.error is not None:
            raise ApiError(500, f"generation failed: {job.error}", "server_error")
        tools = bool(body.get("tools")) and body.get("tool_choice") != "none"
        want_lp = bool(body.get("logprobs", False))
        choices = []
        for i, r in enumerate(rows):
            text, reason = self.choice_text(r, stop)
            msg: dict[str, Any] = {"role": "assistant", "content": text}
            if tools:
                content, calls = parse_tool_calls(text)
                if calls:
                    msg = {"role": "assistant", "content": content, "tool_calls": calls}
                    reason = "tool_calls" if reason == "stop" else reason
            choice: dict[str, Any] = {"index": i, "message": msg, "finish_reason": reason, "token_ids": r.tokens}
            choice["logprobs"] = (
                {"content": [self.logprob_entry(t, lp, top) for t, lp, top in zip(r.tokens, r.logprobs, r.tops)]}
                if want_lp else None
            )
            choices.append(choice)
        completion_tokens = sum(len(r.tokens) for r in rows)
        return {
            "id": "chatcmpl-" + uuid.uuid4().hex,
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model") or self.served_name,
            "choices": choices,
            "prompt_token_ids": prompt,
            "usage": {"prompt_tokens": len(prompt), "completion_tokens": completion_tokens,
                      "total_tokens": len(prompt) + completion_tokens},
            "adapter_version": self.adapter_version,
        }

    # -- training --------------------------------------------------------------------------
    def need_trainer(self) -> Trainer:
        if self.trainer is None:
            raise ApiError(400, "this server was started with --no-train; start it without that flag to train")
        return self.trainer

    def train_step(self, body: dict[str, Any]) -> dict[str, Any]:
        tr = self.need_trainer()
        if "trajectories" not in body:
            raise ApiError(400, "the body needs 'trajectories': a list of trajectory objects (see the training batch contract)")
        with self.train_lock:
            try:
                metrics: dict[str, Any] = collective.run(tr, "train_step", body["trajectories"], body.get("options"), body.get("step"))
            except StepConflict as e:
                raise ApiError(409, str(e), "step_conflict") from e
            except (BatchError, ValueError) as e:
                raise ApiError(400, str(e)) from e
            self.adapter_version += 1
            if self.sync_url:
                metrics["sync"] = self._push_adapter(tr)
        return metrics

    def sync(self) -> dict[str, Any]:
        """Pushes the current adapter now: step 0, or again after the policy server restarted."""
        tr = self.need_trainer()
        if not self.sync_url:
            raise ApiError(400, "this trainer has no --sync-url to push its adapter to")
        with self.train_lock:
            return self._push_adapter(tr)

    def _push_adapter(self, tr: Trainer) -> dict[str, Any]:
        """Separate-process mode: save the adapter and ask the policy server (ours or vLLM
        with VLLM_ALLOW_RUNTIME_LORA_UPDATING=True) to reload it. A failed push is reported in
        the result (`error`), not raised: the update itself has been applied and must not be
        retried; the caller re-syncs once the policy server is back."""
        if not tr.policy.is_lora:
            raise ApiError(400, "--sync-url pushes LoRA adapters; with --lora-rank 0 export the weights (POST /v1/export) and restart the policy server on them")
        path = save_adapter_only(tr, self.output_dir / "adapters" / f"step-{tr.step}")
        req = urllib.request.Request(
            f"{self.sync_url}/v1/load_lora_adapter",
            data=json.dumps({"lora_name": self.served_name, "lora_path": str(path), "load_inplace": True}).encode(),
            headers={"Content-Type": "application/json",
                     **({"Authorization": f"Bearer {self.sync_token}"} if self.sync_token else {})},
            method="POST",
        )
        out: dict[str, Any] = {"url": self.sync_url, "adapter": str(path), "step": tr.step}
        try:
            with urllib.request.urlopen(req, timeout=300) as resp:
                out["status"] = resp.status
        except urllib.error.HTTPError as e:
            out.update(status=e.code, error=f"{self.sync_url} refused the adapter ({e.code}): {e.read()[:300].decode(errors='replace')}")
        except (OSError, TimeoutError) as e:
            out["error"] = f"{self.sync_url} did not take the adapter: {e}"
        return out

    def checkpoint(self, body: dict[str, Any]) -> dict[str, Any]:
        tr = self.need_trainer()
        d = self.inside_output(body.get("dir"), self.output_dir / "checkpoints" / f"step-{tr.step}")
        with self.train_lock:
            path = collective.run(tr, "checkpoint", str(d))
        return {"dir": path, "step": tr.step}

    def export(self, body: dict[str, Any]) -> dict[str, Any]:
        tr = self.need_trainer()
        d = self.inside_output(body.get("dir"), self.output_dir / "export")
        with self.train_lock:
            path = export_merged(tr, d)
        return {"dir": str(path), "step": tr.step}

    def load_adapter(self, body: dict[str, Any]) -> dict[str, Any]:
        path = body.get("lora_path")
        if not isinstance(path, str):
            raise ApiError(400, "'lora_path' must be the folder of a PEFT adapter")
        if not Path(path, "adapter_config.json").is_file():  # checked here: every rank would fail on it
            raise ApiError(400, f"{path} has no adapter_config.json; pass a folder written by PEFT save_pretrained")
        try:
            with self.train_lock:
                if self.trainer is None:
                    load_adapter_weights(self.policy, path)
                else:
                    collective.run(self.trainer, "load_adapter", path)
        except (FileNotFoundError, ValueError) as e:
            raise ApiError(400, str(e)) from e
        self.adapter_version += 1
        return {"loaded": path, "adapter_version": self.adapter_version}


def save_adapter_only(tr: Trainer, d: Path) -> Path:
    with tr.full.lock:
        tr.full.model.save_pretrained(str(d))
    return d


class Handler(BaseHTTPRequestHandler):
    app: App
    protocol_version = "HTTP/1.1"
    # Seconds a socket may stay silent: a stuck or slow client frees its thread and slot.
    timeout = 120

    def log_message(self, format: str, *args: Any) -> None:  # quiet access log
        pass

    def _send(self, status: int, obj: Any) -> None:
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, message: str, kind: str) -> None:
        self._send(status, {"error": {"message": message, "type": kind, "code": status}})

    def _check_caller(self) -> None:
        """Only the runner that holds the token; never a web page (browsers add Origin to
        cross-origin requests and cannot add Authorization without a preflight we never answer)."""
        if self.headers.get("Origin") is not None:
            raise ApiError(403, f"requests from web pages are refused (Origin: {self.headers.get('Origin')}). Fix: call "
                                "this server from a program, not a browser", "forbidden")
        if not self.app.authorized(self.headers.get("Authorization")):
            raise ApiError(401, "missing or wrong token. Fix: send 'Authorization: Bearer TOKEN' with the token in "
                                "AGENTRL_TRAINER_TOKEN when the server started (or the one its READY line printed)",
                           "unauthorized")

    def _client_gone(self) -> bool:
        """The peer closed the connection (readable with nothing to read)."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""
        except BlockingIOError:
            return False
        except OSError:
            return True

    def _body(self) -> dict[str, Any]:
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != "application/json":
            raise ApiError(415, f"the body must be JSON sent with 'Content-Type: application/json' (got {ctype or 'none'!r})",
                           "unsupported_media_type")
        if self.headers.get("Transfer-Encoding"):
            raise ApiError(411, "chunked bodies are not taken. Fix: send the body with a Content-Length", "length_required")
        try:
            n = int(self.headers.get("Content-Length") or 0)
        except ValueError as e:
            raise ApiError(400, f"Content-Length is not a number ({self.headers.get('Content-Length')!r})") from e
        if n < 0 or n > self.app.max_body:
            raise ApiError(413, f"the body is {n} bytes; this server takes at most {self.app.max_body} bytes. Fix: send "
                                "fewer trajectories per step, or start the server with a larger --max-body-mb",
                           "payload_too_large")
        raw = self.rfile.read(n) if n else b""
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError as e:
            raise ApiError(400, f"the request body is not valid JSON ({e.msg} at char {e.pos})") from e
        if not isinstance(body, dict):
            raise ApiError(400, "the request body must be a JSON object")
        return body

    def do_GET(self) -> None:
        app = self.app
        try:
            if self.path in ("/health", "/v1/health"):
                self._send(200, {"ok": True, "aborted_rows": app.engine.aborted_rows})
                return
            self._check_caller()
            if self.path == "/v1/models":
                self._send(200, {"object": "list", "data": [
                    {"id": app.served_name, "object": "model", "created": 0, "owned_by": "agentrl",
                     "max_model_len": int(getattr(app.policy.model.config, "max_position_embeddings", 0))}]})
            elif self.path == "/v1/train/state":
                tr = app.need_trainer()
                self._send(200, {"step": tr.step, "options": tr.options.to_json(), "metrics_history": tr.history,
                                 "adapter_version": app.adapter_version, "lora": app.policy.is_lora})
            else:
                self._error(404, f"no route GET {self.path}", "not_found")
        except ApiError as e:
            self._error(e.status, str(e), e.kind)

    def do_POST(self) -> None:
        app = self.app
        try:
            try:
                self._check_caller()
                body = self._body()
            except ApiError:
                self.close_connection = True  # the unread body must not be taken for the next request
                raise
            if self.path == "/v1/chat/completions":
                if body.get("stream"):
                    app.need_generation()
                    self._stream(body)
                else:
                    self._send(200, app.chat(body, self._client_gone))
            elif self.path == "/v1/train/step":
                self._send(200, app.train_step(body))
            elif self.path == "/v1/checkpoints":
                self._send(200, app.checkpoint(body))
            elif self.path == "/v1/export":
                self._send(200, app.export(body))
            elif self.path == "/v1/sync":
                self._send(200, app.sync())
            elif self.path == "/v1/load_lora_adapter":
                self._send(200, app.load_adapter(body))
            else:
                self._error(404, f"no route POST {self.path}", "not_found")
        except ApiError as e:
            self._error(e.status, str(e), e.kind)
        except ClientGone:
            self.close_connection = True
        except Exception as e:  # never kill the server on one bad request
            traceback.print_exc()
            self._error(500, f"{type(e).__name__}: {e}", "server_error")

    def _stream(self, body: dict[str, Any]) -> None:
        app = self.app
        events: queue.Queue[Any] = queue.Queue()
        want_lp = bool(body.get("logprobs", False))

        def emitter(i: int) -> Any:
            return lambda tid, lp, top, delta: events.put((i, tid, lp, top, delta))

        prompt, rows, stop = app.make_rows(body, emitter)
        cid, created = "chatcmpl-" + uuid.uuid4().hex, int(time.time())
        model = body.get("model") or app.served_name
        job = app.engine.submit(rows)
        def finish() -> None:  # the end marker follows the last token event
            job.done.wait()
            events.put(None)

        threading.Thread(target=finish, daemon=True).start()
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()

        def send(obj: Any) -> None:
            try:
                self.wfile.write(b"data: " + json.dumps(obj).encode() + b"\n\n")
                self.wfile.flush()
            except OSError as e:  # the client has gone (or stopped reading): stop its rows
                job.cancel()
                raise ClientGone() from e

        def chunk(i: int, delta: dict[str, Any], **extra: Any) -> dict[str, Any]:
            c = {"index": i, "delta": delta, "finish_reason": None, **extra}
            return {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model, "choices": [c]}

        first = chunk(0, {"role": "assistant", "content": ""})
        first["prompt_token_ids"] = prompt
        send(first)
        while True:
            ev = events.get()
            if ev is None:
                break
            i, tid, lp, top, delta = ev
            extra: dict[str, Any] = {"token_ids": [tid]}
            if want_lp:
                extra["logprobs"] = {"content": [app.logprob_entry(tid, lp, top)]}
            send(chunk(i, {"content": delta}, **extra))
        if job.error is not None:
            send({"error": {"message": f"generation failed: {job.error}", "type": "server_error"}})
        else:
            for i, r in enumerate(rows):
                _, reason = app.choice_text(r, stop)
                end = chunk(i, {})
                end["choices"][0]["finish_reason"] = reason
                send(end)
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()
        self.close_connection = True


class BoundedServer(ThreadingHTTPServer):
    """A thread per connection, at most `max_requests` at once: past that a connection gets
    503 at once instead of another thread (a flood of connections cannot exhaust the process)."""

    daemon_threads = True

    def __init__(self, addr: tuple[str, int], handler: type[Handler], max_requests: int) -> None:
        super().__init__(addr, handler)
        self.max_requests = max_requests
        self._slots = threading.BoundedSemaphore(max_requests)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            msg = json.dumps({"error": {"message": f"the server is serving {self.max_requests} connections already; retry "
                                                  "later or start it with a larger --max-requests", "type": "overloaded",
                                        "code": 503}}).encode()
            try:
                request.settimeout(1)
                request.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                                b"Connection: close\r\nContent-Length: " + str(len(msg)).encode() + b"\r\n\r\n" + msg)
            except OSError:
                pass
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()


def make_server(app: App, host: str, port: int, max_requests: int = DEFAULT_MAX_REQUESTS) -> BoundedServer:
    handler = type("BoundHandler", (Handler,), {"app": app})
    return BoundedServer((host, port), handler, max_requests)
