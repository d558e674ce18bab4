"""GPU check of the trainer (bf16): a ~0.5B-parameter Qwen2-shaped model built from a config
(random init, no download), run through this project's sampling loop and Trainer.train_step.
Prints generation tokens/s, training tokens/s and model-FLOPs utilisation (MFU).

  PYTHONPATH=remote-runner/trainer python bench/trainer_gpu.py --json
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "remote-runner" / "trainer"))

import torch  # noqa: E402

from agentrl_trainer.models import LoraSettings, policy_from_model  # noqa: E402
from agentrl_trainer.options import TrainOptions  # noqa: E402
from agentrl_trainer.sampling import Row, generate  # noqa: E402
from agentrl_trainer.trainer import Trainer  # noqa: E402

# Dense bf16 peak (no sparsity), TFLOP/s, by device-name fragment.
PEAK_TFLOPS = {"H200": 989.0, "H100": 989.0, "A100": 312.0, "L40S": 362.0, "A10": 125.0, "L4": 121.0}


def qwen2_05b_config() -> Any:
    from transformers import Qwen2Config

    # The shape of Qwen2.5-0.5B (about 494M parameters with tied embeddings).
    return Qwen2Config(
        vocab_size=151936, hidden_size=896, intermediate_size=4864, num_hidden_layers=24,
        num_attention_heads=14, num_key_value_heads=2, max_position_embeddings=4096,
        tie_word_embeddings=True, rope_theta=1000000.0, eos_token_id=151645, pad_token_id=151643,
    )


def train_flops_per_token(n_params: int, cfg: Any, seq: int) -> float:
    # 6N for forward+backward of the weights plus the attention score/value matmuls
    # (12 * layers * hidden * seq, as in the PaLM MFU definition).
    return 6.0 * n_params + 12.0 * cfg.num_hidden_layers * cfg.hidden_size * seq


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--prompts", type=int, default=16, help="distinct prompts per generation batch")
    ap.add_argument("--group", type=int, default=8, help="samples per prompt")
    ap.add_argument("--prompt-len", type=int, default=256)
    ap.add_argument("--gen-tokens", type=int, default=256)
    ap.add_argument("--train-rows", type=int, default=64)
    ap.add_argument("--train-completion", type=int, default=256)
    ap.add_argument("--micro-batch", type=int, default=8)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--modes", default="lora,full")
    ap.add_argument("--peak-tflops", type=float, default=None)
    args = ap.parse_args()
    if not torch.cuda.is_available():
        print("trainer_gpu.py needs a CUDA GPU (it measures bf16 throughput); none is visible", file=sys.stderr)
        return 2
    dev = torch.device("cuda")
    name = torch.cuda.get_device_name(0)
    peak = args.peak_tflops or next((v for k, v in PEAK_TFLOPS.items() if k in name), None)
    cfg = qwen2_05b_config()
    tok = SimpleNamespace(pad_token_id=cfg.pad_token_id, eos_token_id=cfg.eos_token_id)  # token ids only, no text
    rng = random.Random(0)
    result: dict[str, Any] = {"device": name, "torch": torch.__version__, "python": platform.python_version(),
                              "peak_bf16_tflops": peak, "runs": {}}
    import transformers

    result["transformers"] = transformers.__version__
    for mode in args.modes.split(","):
        from transformers import Qwen2ForCausalLM

        torch.manual_seed(0)
        base = Qwen2ForCausalLM(cfg).to(dtype=torch.bfloat16, device=dev)
        n_params = sum(p.numel() for p in base.parameters())
        lora = LoraSettings(rank=16, alpha=32) if mode == "lora" else None
        pol = policy_from_model(base, tok, "qwen2-0.5b-random", dev, lora)
        tr = Trainer(pol, TrainOptions(lr=1e-5, micro_batch=args.micro_batch, old_logprobs="recompute"))

        # -- generation: prompts x group rows, fixed length (random weights rarely hit EOS)
        def gen_batch(n_prompts: int, tokens: int) -> tuple[int, float, list[Row]]:
            rows = []
            for p in range(n_prompts):
                prompt = [rng.randrange(1000, 150000) for _ in range(args.prompt_len)]
                rows += [Row(prompt, tokens, 1.0, 1.0, seed=p * 100 + k) for k in range(args.group)]
            torch.cuda.synchronize()
            t = time.perf_counter()
            with pol.lock:
                generate(pol, rows)
            torch.cuda.synchronize()
            return sum(len(r.tokens) for r in rows), time.perf_counter() - t, rows

        # Warm-up over the full length: attention kernels are planned per KV length once per process.
        gen_batch(args.prompts, args.gen_tokens)
        gen_toks, gen_s, rows = gen_batch(args.prompts, args.gen_tokens)
        gen_tps = gen_toks / gen_s
        # -- training on GRPO-shaped batches (groups with distinct rewards)
        def batch() -> list[dict[str, Any]]:
            out = []
            for i in range(args.train_rows):
                prompt = [rng.randrange(1000, 150000) for _ in range(args.prompt_len)]
                comp = [rng.randrange(1000, 150000) for _ in range(args.train_completion)]
                out.append({"group_id": f"g{i // args.group}", "reward": float(i % 2),
                            "segments": [{"prompt_token_ids": prompt, "completion_token_ids": comp}]})
            return out

        tr.train_step(batch())  # warm-up (allocations, kernels)
        times, toks = [], 0
        for _ in range(args.steps):
            b = batch()
            torch.cuda.synchronize()
            t = time.perf_counter()
            m = tr.train_step(b)
            torch.cuda.synchronize()
            times.append(time.perf_counter() - t)
            toks += m["tokens"]
        train_s = sum(times)
        train_tps = toks / train_s
        seq = args.prompt_len + args.train_completion
        flops_tok = train_flops_per_token(n_params, cfg, seq)
        run = {
            "params": n_params,
            "generation": {"rows": len(rows), "prompt_len": args.prompt_len, "new_tokens_per_row": args.gen_tokens,
                           "tokens_per_s": round(gen_tps, 1), "seconds": round(gen_s, 2),
                           "mfu": round(2.0 * n_params * gen_tps / (peak * 1e12), 5) if peak else None},
            "training": {"rows_per_step": args.train_rows, "seq_len": seq, "micro_batch": args.micro_batch,
                         "tokens_per_s": round(train_tps, 1), "step_seconds": round(train_s / args.steps, 3),
                         "mfu_6N": round(flops_tok * train_tps / (peak * 1e12), 4) if peak else None},
            "max_memory_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2),
        }
        if mode == "lora":
            # LoRA skips the frozen weights' gradient matmuls: about 4N FLOPs per token are done.
            run["training"]["mfu_4N_lora_actual"] = (
                round((flops_tok - 2.0 * n_params) * train_tps / (peak * 1e12), 4) if peak else None)
        result["runs"][mode] = run
        print(json.dumps({mode: run}), file=sys.stderr, flush=True)
        del tr, pol, base
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    print(json.dumps(result) if args.json else json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
