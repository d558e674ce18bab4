"""Side by side, fair and repeated: this project's trainer vs TRL's GRPOTrainer, same model
(the embedded SmolLM2-135M-Instruct), same prompts in the same order, same settings:

- the same work on both sides: TRL trains every row (zero-variance groups get advantage 0 and
  still run forward/backward), so ours keeps zero-variance groups too (drop_zero_variance off);
  TRL's gradient checkpointing is off (ours has none); both LoRA 16/32 on all linear layers,
  token-level loss (DAPO), clip 0.2/0.28, no KL, float32 on the CPU;
- each measured run is a fresh process; the sides alternate (A B, B A, ...) after one warm-up
  run per side that is not counted, and the first step of every run (allocations, lazy init) is
  left out of its timing;
- two shapes: `short` (calculator addition, 12 new tokens, scripts/learn_check.py's task) and
  `long` (a 256-token completion budget on a writing prompt whose reward grows with length, so
  completions run to the budget).

Prints one JSON object: per side and shape the per-run tokens/s and seconds per step, their
medians and min..max, and the ratios of the medians with the number of runs.

  scripts/setup-python.sh --bench
  ~/.cache/agentrl/venv/bin/python bench/trainer_vs_trl.py --runs 3 --json
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "remote-runner" / "trainer"))

import torch  # noqa: E402

SYSTEM = "You are a calculator. Reply with only the result, written as <answer>NUMBER</answer>."
SHOTS = [
    {"role": "user", "content": "What is 4 + 3?"}, {"role": "assistant", "content": "<answer>7</answer>"},
    {"role": "user", "content": "What is 9 - 5?"}, {"role": "assistant", "content": "<answer>4</answer>"},
]
ANSWER_RE = re.compile(r"<answer>\s*(-?\d+)\s*</answer>")
TOPICS = ["a lighthouse keeper", "a city under snow", "an old clock", "a river journey", "a lost letter",
          "a mountain village", "a night train", "a garden robot"]
# name: (max new tokens, what the task is)
SHAPES = {"short": 12, "long": 256}


def tasks(n: int, seed: int, shape: str) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    for _ in range(n):
        if shape == "long":
            topic = rng.choice(TOPICS)
            out.append({"prompt": [{"role": "user", "content": f"Write a long, detailed story about {topic}."}], "answer": 0})
            continue
        a, b = rng.randint(1, 10), rng.randint(1, 10)
        out.append({"prompt": [{"role": "system", "content": SYSTEM}, *SHOTS,
                               {"role": "user", "content": f"What is {a} + {b}?"}], "answer": a + b})
    return out


def score(text: str, answer: int, shape: str) -> float:
    if shape == "long":
        return min(len(text.split()) / 150.0, 1.0)  # longer stories score higher, up to 150 words
    m = ANSWER_RE.search(text)
    return 1.0 if m and int(m.group(1)) == answer else 0.0


def run_ours(args: argparse.Namespace, data: list[dict[str, Any]]) -> dict[str, Any]:
    from agentrl_trainer.chat import render_prompt
    from agentrl_trainer.models import LoraSettings, load_policy
    from agentrl_trainer.options import TrainOptions
    from agentrl_trainer.sampling import Row, generate
    from agentrl_trainer.trainer import Trainer

    torch.manual_seed(args.seed)
    pol = load_policy("smollm2-135m", LoraSettings(args.lora_rank, args.lora_alpha), device="cpu")
    tr = Trainer(pol, TrainOptions(lr=args.lr, eps_low=0.2, eps_high=0.28, kl_beta=0.0, loss_agg="token",
                                   micro_batch=args.micro_batch, estimator="grpo", drop_zero_variance=False,
                                   temperature=args.temperature))
    steps: list[dict[str, float]] = []
    for step in range(args.steps):
        chunk = data[step * args.tasks : (step + 1) * args.tasks]
        t0 = time.perf_counter()
        rows, meta = [], []
        for i, task in enumerate(chunk):
            p = render_prompt(pol.tokenizer, task["prompt"])
            for k in range(args.group):
                rows.append(Row(p, args.max_tokens, args.temperature, 1.0, seed=args.seed * 7919 + step * 1000 + i * 50 + k))
                meta.append((i, task["answer"]))
        with pol.lock:
            generate(pol, rows)
        t1 = time.perf_counter()
        trajs = []
        for r, (i, ans) in zip(rows, meta):
            rew = score(pol.tokenizer.decode(r.tokens, skip_special_tokens=True), ans, args.shape)
            trajs.append({"group_id": f"{step}-{i}", "reward": rew,
                          "segments": [{"prompt_token_ids": r.prompt_ids, "completion_token_ids": r.tokens,
                                        "logprobs": r.logprobs}]})
        m = tr.train_step(trajs)
        t2 = time.perf_counter()
        steps.append({"s": t2 - t0, "generation_s": t1 - t0, "training_s": t2 - t1, "reward": m["reward_mean"],
                      "tokens": sum(len(r.prompt_ids) + len(r.tokens) for r in rows),
                      "completion_tokens": sum(len(r.tokens) for r in rows)})
        print(json.dumps({"impl": "agentrl", "step": step + 1, "s": round(t2 - t0, 1)}), file=sys.stderr, flush=True)
    return {"steps": steps}


def run_trl(args: argparse.Namespace, data: list[dict[str, Any]]) -> dict[str, Any]:
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, TrainerCallback
    from trl import GRPOConfig, GRPOTrainer

    from agentrl_trainer.embedded import embedded_gguf
    from agentrl_trainer.models import forget_gguf_quantization, load_tokenizer

    gguf = embedded_gguf()
    tok = load_tokenizer("smollm2-135m")
    torch.manual_seed(args.seed)
    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
    forget_gguf_quantization(model)
    shape = args.shape

    def reward(completions: list[Any], answer: list[int], **_: Any) -> list[float]:
        return [score(c[0]["content"] if isinstance(c, list) else c, a, shape) for c, a in zip(completions, answer)]

    rows = args.tasks * args.group
    cfg = GRPOConfig(
        output_dir="/tmp/agentrl-trl-bench", max_steps=args.steps, learning_rate=args.lr,
        lr_scheduler_type="constant", warmup_steps=0, weight_decay=0.0, max_grad_norm=1.0,
        per_device_train_batch_size=rows, gradient_accumulation_steps=1, num_generations=args.group,
        steps_per_generation=1, num_iterations=1,
        max_completion_length=args.max_tokens, temperature=args.temperature, top_p=1.0,
        beta=0.0, epsilon=0.2, epsilon_high=0.28, loss_type="dapo", scale_rewards="group",
        shuffle_dataset=False, use_cpu=True, bf16=False, fp16=False, logging_steps=1, report_to="none",
        save_strategy="no", seed=args.seed, disable_dropout=True,
        gradient_checkpointing=False,  # ours has none: the same compute on both sides
    )
    steps: list[dict[str, float]] = []

    class Clock(TrainerCallback):  # type: ignore[misc]
        def on_step_begin(self, a: Any, state: Any, c: Any, **k: Any) -> None:
            self.t, self.tokens = time.perf_counter(), int(state.num_input_tokens_seen)

        def on_step_end(self, a: Any, state: Any, c: Any, **k: Any) -> None:
            steps.append({"s": time.perf_counter() - self.t, "tokens": int(state.num_input_tokens_seen) - self.tokens})
            print(json.dumps({"impl": "trl", "step": len(steps), "s": round(steps[-1]["s"], 1)}), file=sys.stderr, flush=True)

    trainer = GRPOTrainer(
        model=model, reward_funcs=reward, args=cfg, processing_class=tok,
        train_dataset=Dataset.from_list(data[: args.steps * args.tasks]), callbacks=[Clock()],
        peft_config=LoraConfig(r=args.lora_rank, lora_alpha=args.lora_alpha, lora_dropout=0.0,
                               target_modules="all-linear", task_type="CAUSAL_LM"),
    )
    with contextlib.redirect_stdout(sys.stderr):  # TRL prints its logs; stdout keeps our JSON alone
        trainer.train()
    rewards = [float(h["reward"]) for h in trainer.state.log_history if "reward" in h]
    for st, r in zip(steps, rewards):
        st["reward"] = r
    return {"steps": steps, "gradient_checkpointing": bool(getattr(trainer.model, "is_gradient_checkpointing", False))}


def one_run(args: argparse.Namespace, side: str, shape: str) -> dict[str, Any]:
    """One measured run in a fresh process (no state carried between runs or sides)."""
    cmd = [sys.executable, __file__, "--single", side, "--shape", shape, "--steps", str(args.steps),
           "--tasks", str(args.tasks if shape == "short" else args.long_tasks), "--group", str(args.group),
           "--max-tokens", str(SHAPES[shape]), "--lr", str(args.lr), "--seed", str(args.seed),
           "--micro-batch", str(args.micro_batch), "--temperature", str(args.temperature)]
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True)
    res: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    timed = res["steps"][1:]  # the first step of a run is warm-up
    secs = sum(s["s"] for s in timed)
    res["tokens_per_s"] = sum(s["tokens"] for s in timed) / secs
    res["s_per_step"] = secs / len(timed)
    return res


def spread(xs: list[float]) -> dict[str, Any]:
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "runs": len(xs), "values": xs}


def compare(args: argparse.Namespace, shape: str) -> dict[str, Any]:
    runs: dict[str, list[dict[str, Any]]] = {"agentrl": [], "trl": []}
    for rep in range(args.runs + 1):  # rep 0 is the warm-up pair, not counted
        order = ["agentrl", "trl"] if rep % 2 == 0 else ["trl", "agentrl"]
        for side in order:
            r = one_run(args, side, shape)
            print(json.dumps({"shape": shape, "rep": rep, "side": side, "tokens_per_s": round(r["tokens_per_s"], 1),
                              "s_per_step": round(r["s_per_step"], 2)}), file=sys.stderr, flush=True)
            if rep > 0:
                runs[side].append(r)
    out: dict[str, Any] = {}
    for side, rs in runs.items():
        out[side] = {"tokens_per_s": spread([r["tokens_per_s"] for r in rs]),
                     "s_per_step": spread([r["s_per_step"] for r in rs]),
                     "reward_last": [r["steps"][-1].get("reward") for r in rs]}
    out["trl_gradient_checkpointing"] = any(r.get("gradient_checkpointing") for r in runs["trl"])
    a, t = out["agentrl"], out["trl"]
    out["ratios"] = {
        "tokens_per_s_agentrl_over_trl": a["tokens_per_s"]["median"] / t["tokens_per_s"]["median"],
        "s_per_step_trl_over_agentrl": t["s_per_step"]["median"] / a["s_per_step"]["median"],
        # the worst and best pairing of runs, so the spread of the ratio is visible too
        "tokens_per_s_ratio_range": [a["tokens_per_s"]["min"] / t["tokens_per_s"]["max"],
                                     a["tokens_per_s"]["max"] / t["tokens_per_s"]["min"]],
        "runs_per_side": len(runs["agentrl"]),
    }
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=3, help="steps per run (the first is warm-up)")
    ap.add_argument("--runs", type=int, default=3, help="measured runs per side and shape (after one warm-up run)")
    ap.add_argument("--tasks", type=int, default=4, help="tasks per step, short shape")
    ap.add_argument("--long-tasks", type=int, default=1, help="tasks per step, long shape")
    ap.add_argument("--group", type=int, default=4)
    ap.add_argument("--shapes", default="short,long")
    ap.add_argument("--temperature", type=float, default=1.0)
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--lora-rank", type=int, default=16)
    ap.add_argument("--lora-alpha", type=int, default=32)
    ap.add_argument("--micro-batch", type=int, default=16)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true")
    # internal: one side, one run, in this process
    ap.add_argument("--single", choices=["agentrl", "trl"], default=None)
    ap.add_argument("--shape", choices=list(SHAPES), default="short")
    ap.add_argument("--max-tokens", type=int, default=12)
    args = ap.parse_args()
    if args.single:
        data = tasks(args.steps * args.tasks, args.seed, args.shape)
        res = run_ours(args, data) if args.single == "agentrl" else run_trl(args, data)
        print(json.dumps(res))
        return 0
    out: dict[str, Any] = {"settings": vars(args), "cpus": os.cpu_count(), "load_avg_start": os.getloadavg()}
    for shape in args.shapes.split(","):
        out[shape] = compare(args, shape)
    out["load_avg_end"] = os.getloadavg()
    print(json.dumps(out) if args.json else json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
