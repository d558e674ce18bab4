"""The policy server as a real process on loopback with a tiny real model."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest


# The token of the server a URL belongs to (tests register it when they start a server).
TOKENS: dict[str, str] = {}


def started(srv: Any) -> Any:
    TOKENS[srv.url] = srv.token
    return srv


def call(url: str, path: str, body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKENS.get(url, '')}"}
    req = urllib.request.Request(url + path, data=data, headers=headers, method="GET" if body is None else "POST")
    try:
        with urllib.request.urlopen(req, timeout=300) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def sse(url: str, body: Any) -> list[Any]:
    req = urllib.request.Request(url + "/v1/chat/completions", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKENS[url]}"},
                                 method="POST")
    events = []
    with urllib.request.urlopen(req, timeout=300) as r:
        assert r.headers["Content-Type"] == "text/event-stream"
        for raw in r:
            line = raw.decode().strip()
            if line.startswith("data: "):
                events.append(line[6:] if line == "data: [DONE]" else json.loads(line[6:]))
    return events


MSGS = [{"role": "user", "content": "What is 2 + 2?"}]


def test_chat_train_and_live_adapter(tiny_model_dir: Path, start_server: Any, tmp_path: Path) -> None:
    srv = started(start_server("--model", str(tiny_model_dir), "--lora-rank", "4", "--lr", "0.05", "--output-dir", str(tmp_path)))
    url = srv.url
    status, models = call(url, "/v1/models")
    assert status == 200 and models["data"][0]["id"] == str(tiny_model_dir)

    req = {"messages": MSGS, "n": 3, "max_tokens": 8, "temperature": 1.0, "seed": 7, "logprobs": True,
           "top_logprobs": 2, "return_token_ids": True}
    status, r1 = call(url, "/v1/chat/completions", req)
    assert status == 200, r1
    # prompt ids are the chat template's rendering of the messages
    assert len(r1["prompt_token_ids"]) == r1["usage"]["prompt_tokens"] > 5
    assert len(r1["choices"]) == 3
    for c in r1["choices"]:
        lps = c["logprobs"]["content"]
        assert len(c["token_ids"]) == len(lps) >= 1
        assert all(e["logprob"] <= 0 and len(e["top_logprobs"]) == 2 for e in lps)
        assert all(e["top_logprobs"][0]["logprob"] >= e["logprob"] - 1e-6 for e in lps)
    # a continuation must be token ids of this model, after an assistant turn
    bad = {**req, "messages": [*MSGS, {"role": "assistant", "content": "4"}, {"role": "user", "content": "and 3 + 3?"}]}
    status, err = call(url, "/v1/chat/completions", {**bad, "prefix_token_ids": [1, -5]})
    assert status == 400 and "'prefix_token_ids' must be a non-empty list of token ids" in err["error"]["message"]
    status, err = call(url, "/v1/chat/completions", {**req, "prefix_token_ids": r1["prompt_token_ids"]})
    assert status == 400 and "no assistant message" in err["error"]["message"]
    prefix = r1["prompt_token_ids"] + r1["choices"][0]["token_ids"]
    status, cont = call(url, "/v1/chat/completions", {**bad, "n": 1, "prefix_token_ids": prefix})
    assert status == 200 and cont["prompt_token_ids"][: len(prefix)] == prefix

    # a fixed seed reproduces the samples; the n samples differ from each other
    _, again = call(url, "/v1/chat/completions", req)
    assert [c["token_ids"] for c in again["choices"]] == [c["token_ids"] for c in r1["choices"]]
    assert len({tuple(c["token_ids"]) for c in r1["choices"]}) > 1

    # streaming carries the same tokens as the non-streamed call with the same seed
    events = sse(url, {**req, "n": 1, "stream": True})
    assert events[-1] == "[DONE]" and events[0]["prompt_token_ids"] == r1["prompt_token_ids"]
    streamed = [t for e in events[1:-1] for t in e["choices"][0].get("token_ids", [])]
    assert streamed == r1["choices"][0]["token_ids"]
    assert events[-2]["choices"][0]["finish_reason"] in ("stop", "length")

    # one training step from the sampled tokens, then the live model's logprobs differ
    trajs = [{"trajectory_id": f"t{i}", "task_id": "a", "group_id": "a", "sample_index": i, "reward": [1.0, 0.0, 0.0][i],
              "components": {"correct": [1.0, 0.0, 0.0][i]}, "component_weights": {"correct": 1.0},
              "segments": [{"prompt_token_ids": r1["prompt_token_ids"], "completion_token_ids": c["token_ids"],
                            "logprobs": [e["logprob"] for e in c["logprobs"]["content"]]}]}
             for i, c in enumerate(r1["choices"])]
    status, m = call(url, "/v1/train/step", {"trajectories": trajs, "step": 1})
    assert status == 200, m
    assert m["step"] == 1 and m["updated"] and m["grad_norm"] > 0
    assert m["logprob_drift_max"] < 1e-3  # the server's logprobs are the trainer's
    for key in ("loss", "kl", "entropy", "clip_fraction", "tokens_per_s", "zero_variance_groups", "reward_components"):
        assert key in m
    _, after = call(url, "/v1/chat/completions", req)
    before_lp = r1["choices"][0]["logprobs"]["content"][0]["logprob"]
    after_lp = after["choices"][0]["logprobs"]["content"][0]["logprob"]
    assert after["prompt_token_ids"] == r1["prompt_token_ids"]
    assert abs(after_lp - before_lp) > 1e-4 or after["choices"][0]["token_ids"][0] != r1["choices"][0]["token_ids"][0]

    # a retried step is refused with the step to send
    status, err = call(url, "/v1/train/step", {"trajectories": trajs, "step": 1})
    assert status == 409 and "send step 2" in err["error"]["message"]

    # checkpoint, then a new server resumes at the same step with the same live model
    status, ck = call(url, "/v1/checkpoints", {})
    assert status == 200 and ck["step"] == 1 and Path(ck["dir"], "dcp", ".metadata").is_file()
    srv2 = started(start_server("--resume", ck["dir"], "--model", str(tiny_model_dir), "--lora-rank", "4"))
    _, state = call(srv2.url, "/v1/train/state")
    assert state["step"] == 1 and len(state["metrics_history"]) == 1
    _, resumed = call(srv2.url, "/v1/chat/completions", req)
    assert resumed["choices"][0]["logprobs"]["content"][0]["logprob"] == pytest.approx(after_lp, abs=1e-4)


def test_bad_requests_get_clear_errors(tiny_model_dir: Path, start_server: Any, tmp_path: Path) -> None:
    srv = started(start_server("--model", str(tiny_model_dir), "--lora-rank", "4", "--output-dir", str(tmp_path)))
    status, e = call(srv.url, "/v1/chat/completions", {"messages": []})
    assert status == 400 and "'messages' must be a non-empty list" in e["error"]["message"]
    status, e = call(srv.url, "/v1/chat/completions", {"messages": MSGS, "n": 0})
    assert status == 400 and "'n' must be an integer" in e["error"]["message"]
    status, e = call(srv.url, "/v1/chat/completions", {"messages": MSGS, "temperature": -1})
    assert status == 400 and "'temperature'" in e["error"]["message"]
    status, e = call(srv.url, "/v1/train/step", {"trajectories": [{"group_id": "g", "reward": 1}]})
    assert status == 400 and "missing 'segments'" in e["error"]["message"]
    status, e = call(srv.url, "/v1/train/step", {"trajectories": [], "options": {}})
    assert status == 400 and "non-empty list" in e["error"]["message"]
    status, e = call(srv.url, "/v1/nope", {})
    assert status == 404


def test_tool_calls_are_parsed_and_tools_rendered(tiny_model_dir: Path) -> None:
    from agentrl_trainer.chat import parse_tool_calls, render_prompt
    from agentrl_trainer.models import load_tokenizer

    tok = load_tokenizer(str(tiny_model_dir))
    tools = [{"type": "function", "function": {"name": "add", "description": "add two numbers",
                                               "parameters": {"type": "object", "properties": {"a": {"type": "number"}}}}}]
    with_tools = tok.decode(render_prompt(tok, MSGS, tools))
    assert '"name": "add"' in with_tools and "<tool_call>" in with_tools
    assert '"name": "add"' not in tok.decode(render_prompt(tok, MSGS))
    # a multi-turn history with a tool call and its result renders without error
    hist = MSGS + [{"role": "assistant", "content": None, "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "add", "arguments": "{\"a\": 2}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "4"}]
    text = tok.decode(render_prompt(tok, hist, tools))
    assert "<tool_response>\n4\n</tool_response>" in text
    content, calls = parse_tool_calls('Sure. <tool_call>{"name": "add", "arguments": {"a": 2, "b": 2}}</tool_call>')
    assert content == "Sure." and calls[0]["function"]["name"] == "add"
    assert json.loads(calls[0]["function"]["arguments"]) == {"a": 2, "b": 2}
    content, calls = parse_tool_calls("<tool_call>{not json}</tool_call>")
    assert calls == [] and content == "<tool_call>{not json}</tool_call>"


def test_concurrent_requests_share_a_batch(tiny_model_dir: Path) -> None:
    from agentrl_trainer.engine import Engine
    from agentrl_trainer.models import LoraSettings, load_policy
    from agentrl_trainer.sampling import Row

    pol = load_policy(str(tiny_model_dir), LoraSettings(rank=4, alpha=8), device="cpu")
    eng = Engine(pol)
    with pol.lock:  # the worker cannot generate until every job is queued
        jobs = [eng.submit([Row([1, 2, 3 + i], 4, 1.0, 1.0, seed=i)]) for i in range(3)]
    for j in jobs:
        j.done.wait(timeout=120)
        assert j.error is None and len(j.rows[0].tokens) >= 1
    assert eng.max_rows_seen >= 2 and eng.batches < 3


def test_separate_trainer_pushes_adapter_to_policy_server(tiny_model_dir: Path, start_server: Any, tmp_path: Path) -> None:
    # The GPU layout: a generation-only policy server (vLLM there, ours here) and a trainer
    # process that, after each step, saves the adapter and asks the server to load it.
    gen = started(start_server("--model", str(tiny_model_dir), "--lora-rank", "4", "--no-train", "--output-dir", str(tmp_path / "g")))
    trn = started(start_server("--model", str(tiny_model_dir), "--lora-rank", "4", "--lr", "0.05",
                               "--output-dir", str(tmp_path / "t"), "--sync-url", gen.url,
                               env={"AGENTRL_SYNC_API_KEY": gen.token}))
    req = {"messages": MSGS, "n": 2, "max_tokens": 6, "seed": 3, "logprobs": True}
    _, r = call(gen.url, "/v1/chat/completions", req)
    trajs = [{"group_id": "g", "reward": float(i), "segments": [{
        "prompt_token_ids": r["prompt_token_ids"], "completion_token_ids": c["token_ids"],
        "logprobs": [e["logprob"] for e in c["logprobs"]["content"]]}]} for i, c in enumerate(r["choices"])]
    status, m = call(trn.url, "/v1/train/step", {"trajectories": trajs})
    assert status == 200 and m["sync"]["status"] == 200
    assert Path(m["sync"]["adapter"], "adapter_model.safetensors").is_file()
    _, on_gen = call(gen.url, "/v1/chat/completions", req)
    _, on_trn = call(trn.url, "/v1/chat/completions", req)
    assert on_gen["adapter_version"] == 1
    assert on_gen["choices"][0]["token_ids"] == on_trn["choices"][0]["token_ids"]
    lg = [e["logprob"] for e in on_gen["choices"][0]["logprobs"]["content"]]
    lt = [e["logprob"] for e in on_trn["choices"][0]["logprobs"]["content"]]
    assert lg == pytest.approx(lt, abs=1e-4)
    status, e = call(gen.url, "/v1/train/step", {"trajectories": trajs})
    assert status == 400 and "--no-train" in e["error"]["message"]


def test_trainer_without_generation_reports_a_failed_push_and_syncs_again(tiny_model_dir: Path, start_server: Any, tmp_path: Path) -> None:
    # vLLM layout: the trainer generates nothing; a push to a policy server that is down is data in
    # the step's metrics (the update stands), and POST /v1/sync pushes the current adapter later.
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    trn = started(start_server("--model", str(tiny_model_dir), "--lora-rank", "4", "--lr", "0.05", "--no-generate",
                               "--output-dir", str(tmp_path / "t"), "--sync-url", dead))
    status, e = call(trn.url, "/v1/chat/completions", {"messages": MSGS, "max_tokens": 2})
    assert status == 400 and "--no-generate" in e["error"]["message"]
    gen = started(start_server("--model", str(tiny_model_dir), "--lora-rank", "4", "--no-train", "--output-dir", str(tmp_path / "g")))
    _, r = call(gen.url, "/v1/chat/completions", {"messages": MSGS, "n": 2, "max_tokens": 4, "seed": 1, "logprobs": True})
    trajs = [{"group_id": "g", "reward": float(i), "segments": [{
        "prompt_token_ids": r["prompt_token_ids"], "completion_token_ids": c["token_ids"],
        "logprobs": [e["logprob"] for e in c["logprobs"]["content"]]}]} for i, c in enumerate(r["choices"])]
    status, m = call(trn.url, "/v1/train/step", {"trajectories": trajs})
    assert status == 200 and m["step"] == 1 and dead in m["sync"]["error"]
    status, s2 = call(trn.url, "/v1/sync", {})
    assert status == 200 and s2["step"] == 1 and "error" in s2
