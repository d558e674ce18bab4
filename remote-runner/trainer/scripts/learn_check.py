"""Drives the policy server the way `agentrl train` will: rollouts through the chat endpoint
(token ids + logprobs), rewards, POST /v1/train/step, repeat. Prints the reward curve and,
last, one JSON summary {steps, reward_first, reward_last, tokens_per_s, ...}.

Task: the calculator example's arithmetic, answered as <answer>N</answer>.
  python scripts/learn_check.py --steps 20 --json
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

SYSTEM = "You are a calculator. Reply with only the result, written as <answer>NUMBER</answer>."
# Two worked examples as earlier turns, so the small model knows the answer format.
SHOTS = [
    {"role": "user", "content": "What is 4 + 3?"}, {"role": "assistant", "content": "<answer>7</answer>"},
    {"role": "user", "content": "What is 9 - 5?"}, {"role": "assistant", "content": "<answer>4</answer>"},
]
ANSWER_RE = re.compile(r"<answer>\s*(-?\d+)\s*</answer>")


def make_task(rng: random.Random, max_operand: int, ops: str) -> dict[str, Any]:
    a, b = rng.randint(1, max_operand), rng.randint(1, max_operand)
    op = rng.choice(ops)
    return {"question": f"What is {a} {op} {b}?", "answer": a + b if op == "+" else a - b}


def score(text: str, answer: int) -> dict[str, float]:
    m = ANSWER_RE.search(text)
    return {"correct": 1.0 if (m and int(m.group(1)) == answer) else 0.0, "format": 1.0 if m else 0.0}


# The server's token: this script passes it when it starts the server (AGENTRL_TRAINER_TOKEN).
TOKEN = secrets.token_urlsafe(32)


def post(url: str, body: Any, timeout: float = 900) -> Any:
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}
    req = urllib.request.Request(url, json.dumps(body).encode(), headers, method="POST")
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read())


def start_server(args: argparse.Namespace) -> tuple[subprocess.Popen[str], str]:
    cmd = [sys.executable, "-m", "agentrl_trainer", "serve", "--port", "0", "--seed", str(args.seed),
           "--lora-rank", str(args.lora_rank), "--lora-alpha", str(args.lora_alpha), "--lr", str(args.lr),
           "--estimator", args.estimator, "--micro-batch", str(args.micro_batch), "--output-dir", args.output_dir]
    if args.model:
        cmd += ["--model", args.model]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            cwd=Path(__file__).resolve().parents[1], env={**os.environ, "AGENTRL_TRAINER_TOKEN": TOKEN})
    assert proc.stdout is not None
    for line in proc.stdout:  # blocks until the server prints READY (or exits)
        if line.startswith("READY "):
            return proc, json.loads(line[6:])["url"]
    raise RuntimeError(f"policy server exited with code {proc.wait()} before READY")


def rollout(url: str, task: dict[str, Any], args: argparse.Namespace, seed: int) -> list[dict[str, Any]]:
    msgs = [{"role": "system", "content": SYSTEM}, *SHOTS, {"role": "user", "content": task["question"]}]
    resp = post(f"{url}/v1/chat/completions", {
        "messages": msgs, "n": args.group, "max_tokens": args.max_tokens, "temperature": args.temperature,
        "seed": seed, "logprobs": True, "return_token_ids": True})
    out = []
    for c in resp["choices"]:
        comps = score(c["message"]["content"] or "", task["answer"])
        out.append({
            "text": c["message"]["content"], "components": comps,
            "reward": comps["correct"] + args.format_weight * comps["format"],
            "segment": {"prompt_token_ids": resp["prompt_token_ids"], "completion_token_ids": c["token_ids"],
                        "logprobs": [x["logprob"] for x in c["logprobs"]["content"]]},
        })
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default=None, help="use a running server instead of starting one")
    ap.add_argument("--model", default=None)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--tasks", type=int, default=8, help="tasks per step")
    ap.add_argument("--group", type=int, default=8, help="samples per task")
    ap.add_argument("--max-tokens", type=int, default=12)
    ap.add_argument("--temperature", type=float, default=1.0)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--lora-rank", type=int, default=16)
    ap.add_argument("--lora-alpha", type=int, default=32)
    ap.add_argument("--estimator", default="grpo")
    ap.add_argument("--micro-batch", type=int, default=16)
    ap.add_argument("--max-operand", type=int, default=10)
    ap.add_argument("--ops", default="+", help="operators to draw from, e.g. '+-'")
    ap.add_argument("--format-weight", type=float, default=0.0, help="reward weight of the format component")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--output-dir", default="/tmp/agentrl-learn-check")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    proc = None
    url = args.url
    if url is None:
        proc, url = start_server(args)
    rng = random.Random(args.seed)
    curve: list[dict[str, Any]] = []
    t_start = time.perf_counter()
    gen_tokens, gen_time, train_tokens, train_time = 0, 0.0, 0, 0.0
    try:
        for step in range(1, args.steps + 1):
            tasks = [make_task(rng, args.max_operand, args.ops) for _ in range(args.tasks)]
            results: list[list[dict[str, Any]]] = [[] for _ in tasks]
            t0 = time.perf_counter()

            def run(i: int) -> None:
                results[i] = rollout(url, tasks[i], args, args.seed * 100003 + step * 1000 + i)

            threads = [threading.Thread(target=run, args=(i,)) for i in range(len(tasks))]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            gen_time += time.perf_counter() - t0
            trajs = []
            for i, group in enumerate(results):
                for k, s in enumerate(group):
                    gen_tokens += len(s["segment"]["completion_token_ids"])
                    trajs.append({"trajectory_id": f"s{step}-t{i}-{k}", "task_id": f"s{step}-t{i}", "group_id": f"s{step}-t{i}",
                                  "sample_index": k, "reward": s["reward"], "components": s["components"],
                                  "component_weights": {"correct": 1.0, "format": args.format_weight},
                                  "segments": [s["segment"]]})
            m = post(f"{url}/v1/train/step", {"trajectories": trajs, "step": step})
            train_time += m["time_s"]
            train_tokens += m["tokens"]
            correct = sum(t["components"]["correct"] for t in trajs) / len(trajs)
            row = {"step": step, "reward": m["reward_mean"], "correct": correct,
                   "format": m["reward_components"]["format"]["mean"], "zero_var_groups": m["zero_variance_groups"],
                   "loss": round(m["loss"], 5), "kl": m["kl"], "entropy": round(m["entropy"], 3),
                   "clip_fraction": m["clip_fraction"], "grad_norm": round(m["grad_norm"], 4),
                   "drift_max": m["logprob_drift_max"], "elapsed_s": round(time.perf_counter() - t_start, 1),
                   "sample": results[0][0]["text"]}
            curve.append(row)
            print(json.dumps(row), flush=True)
        k = max(1, round(len(curve) * 0.2))
        first = sum(r["reward"] for r in curve[:k]) / k
        last = sum(r["reward"] for r in curve[-k:]) / k
        summary = {"steps": len(curve), "reward_first": first, "reward_last": last, "gain": last - first,
                   "gen_tokens_per_s": gen_tokens / gen_time, "train_tokens_per_s": train_tokens / train_time,
                   "wall_s": round(time.perf_counter() - t_start, 1), "settings": vars(args),
                   "curve": [round(r["reward"], 4) for r in curve]}
        print(json.dumps(summary) if args.json else json.dumps(summary, indent=1))
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
