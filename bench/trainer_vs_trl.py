"""Side by side in one run: this project's trainer vs TRL's GRPOTrainer, same model (the
embedded SmolLM2-135M-Instruct), same prompts in the same order, same settings, on a
single-turn verifiable task (the calculator arithmetic of scripts/learn_check.py).
Prints one JSON object with tokens/s and reward after N steps for each, and the ratios.

  scripts/setup-python.sh --bench
  ~/.cache/agentrl/venv/bin/python bench/trainer_vs_trl.py --steps 4 --json
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import re
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


def tasks(n: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        a, b = rng.randint(1, 10), rng.randint(1, 10)
        out.append({"prompt": [{"role": "system", "content": SYSTEM}, *SHOTS,
                               {"role": "user", "content": f"What is {a} + {b}?"}], "answer": a + b})
    return out


def correct(text: str, answer: int) -> float:
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
                                   micro_batch=args.micro_batch, estimator="grpo"))
    rewards, tokens, seconds, gen_s, train_s = [], 0, 0.0, 0.0, 0.0
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
            rew = correct(pol.tokenizer.decode(r.tokens, skip_special_tokens=True), ans)
            trajs.append({"group_id": f"{step}-{i}", "reward": rew,
                          "segments": [{"prompt_token_ids": r.prompt_ids, "completion_token_ids": r.tokens,
                                        "logprobs": r.logprobs}]})
        m = tr.train_step(trajs)
        t2 = time.perf_counter()
        gen_s += t1 - t0
        train_s += t2 - t1
        seconds += t2 - t0
        tokens += sum(len(r.prompt_ids) + len(r.tokens) for r in rows)
        rewards.append(m["reward_mean"])
        print(json.dumps({"impl": "agentrl", "step": step + 1, "reward": m["reward_mean"], "s": round(t2 - t0, 1)}),
              file=sys.stderr, flush=True)
    return {"tokens_per_s": tokens / seconds, "generation_s": gen_s, "training_s": train_s, "seconds": seconds,
            "reward_curve": rewards, "reward_last": rewards[-1], "tokens": tokens}


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

    def reward_correct(completions: list[Any], answer: list[int], **_: Any) -> list[float]:
        return [correct(c[0]["content"] if isinstance(c, list) else c, a) for c, a in zip(completions, answer)]

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
    )
    times: list[float] = []

    class Clock(TrainerCallback):  # type: ignore[misc]
        def on_step_begin(self, *a: Any, **k: Any) -> None:
            self.t = time.perf_counter()

        def on_step_end(self, *a: Any, **k: Any) -> None:
            times.append(time.perf_counter() - self.t)
            print(json.dumps({"impl": "trl", "step": len(times), "s": round(times[-1], 1)}), file=sys.stderr, flush=True)

    trainer = GRPOTrainer(
        model=model, reward_funcs=reward_correct, args=cfg, processing_class=tok,
        train_dataset=Dataset.from_list(data[: args.steps * args.tasks]), callbacks=[Clock()],
        peft_config=LoraConfig(r=args.lora_rank, lora_alpha=args.lora_alpha, lora_dropout=0.0,
                               target_modules="all-linear", task_type="CAUSAL_LM"),
    )
    with contextlib.redirect_stdout(sys.stderr):  # TRL prints its logs; stdout keeps our JSON alone
        trainer.train()
    logs = [h for h in trainer.state.log_history if "reward" in h]
    rewards = [float(h["reward"]) for h in logs]
    tokens = int(trainer.state.num_input_tokens_seen)
    seconds = sum(times)
    return {"tokens_per_s": tokens / seconds if seconds else 0.0, "seconds": seconds, "reward_curve": rewards,
            "reward_last": rewards[-1] if rewards else None, "tokens": tokens}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--tasks", type=int, default=8)
    ap.add_argument("--group", type=int, default=8)
    ap.add_argument("--max-tokens", type=int, default=12)
    ap.add_argument("--temperature", type=float, default=1.0)
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--lora-rank", type=int, default=16)
    ap.add_argument("--lora-alpha", type=int, default=32)
    ap.add_argument("--micro-batch", type=int, default=16)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", choices=["agentrl", "trl"], default=None)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    data = tasks(args.steps * args.tasks, args.seed)
    out: dict[str, Any] = {"settings": vars(args), "task": "calculator addition 1..10, <answer>N</answer>, 2-shot"}
    if args.only != "trl":
        out["agentrl"] = run_ours(args, data)
    if args.only != "agentrl":
        out["trl"] = run_trl(args, data)
    if "agentrl" in out and "trl" in out:
        out["ratios"] = {
            "tokens_per_s_agentrl_over_trl": out["agentrl"]["tokens_per_s"] / out["trl"]["tokens_per_s"],
            "wall_trl_over_agentrl": out["trl"]["seconds"] / out["agentrl"]["seconds"],
            "reward_last_agentrl_minus_trl": out["agentrl"]["reward_last"] - (out["trl"]["reward_last"] or 0.0),
        }
    print(json.dumps(out) if args.json else json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
