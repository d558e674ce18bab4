"""GPU check of the trainer (bf16): a ~0.5B-parameter Qwen2-shaped model built from a config
(random init, no download), run through this project's sampling loop and Trainer.train_step.
Prints generation tokens/s, training tokens/s and model-FLOPs utilisation (MFU).

  PYTHONPATH=remote-runner/trainer python bench/trainer_gpu.py --json

With --fsdp each mode also trains sharded with FSDP2 (the path of `agentrl train --nproc N`:
float32 master weights, bf16 compute, gradients summed), in the same run as the one-process
baseline, so the two compare as a ratio on the same card. On one GPU that is FSDP's overhead;
under torchrun it is the scaling over N GPUs (tokens/s of the whole group, MFU per GPU):

  PYTHONPATH=remote-runner/trainer python -m torch.distributed.run --standalone --nproc-per-node 4 \
      bench/trainer_gpu.py --fsdp --json
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

from agentrl_trainer.distributed import Dist, broadcast_trainable, shard_model  # noqa: E402
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


def join_group() -> Dist:
    """The torchrun group (or a group of one when started without torchrun), nccl."""
    import os

    import torch.distributed as dist

    for k, v in (("RANK", "0"), ("LOCAL_RANK", "0"), ("WORLD_SIZE", "1"), ("MASTER_ADDR", "127.0.0.1"),
                 ("MASTER_PORT", "29511")):
        os.environ.setdefault(k, v)
    dev = torch.device("cuda", int(os.environ["LOCAL_RANK"]))
    torch.cuda.set_device(dev)
    dist.init_process_group("nccl", device_id=dev)
    return Dist(dist.get_rank(), dist.get_world_size(), dev, dist.new_group(backend="gloo"))


def build(mode: str, cfg: Any, group: Dist | None) -> tuple[Trainer, int]:
    """The model of one mode as the trainer loads it (models.load_policy): on one GPU a bf16 base
    under LoRA, float32 master weights for full fine-tuning, bf16 autocast; over the group float32
    masters sharded with FSDP2 computing in bf16."""
    from transformers import Qwen2ForCausalLM

    dev = group.device if group else torch.device("cuda")
    torch.manual_seed(0)
    lora = LoraSettings(rank=16, alpha=32) if mode == "lora" else None
    masters = group is not None or lora is None
    base = Qwen2ForCausalLM(cfg).to(dtype=torch.float32 if masters else torch.bfloat16, device=dev)
    n_params = sum(p.numel() for p in base.parameters())
    tok = SimpleNamespace(pad_token_id=cfg.pad_token_id, eos_token_id=cfg.eos_token_id)  # token ids only, no text
    pol = policy_from_model(base, tok, "qwen2-0.5b-random", dev, lora)
    if group:
        broadcast_trainable(pol.model, group)
        shard_model(pol.model, group, bf16=True)
    else:
        pol.compute_dtype = torch.bfloat16
    return Trainer(pol, TrainOptions(lr=1e-5, micro_batch=MICRO_BATCH[0], old_logprobs="recompute"), dist=group), n_params


MICRO_BATCH = [8]


def bench_generation(tr: Trainer, args: argparse.Namespace, rng: random.Random, peak: float | None,
                     n_params: int) -> dict[str, Any]:
    """Prompts x group rows, fixed length (random weights rarely hit EOS)."""
    pol = tr.policy

    def gen_batch() -> tuple[int, float, list[Row]]:
        rows = []
        for p in range(args.prompts):
            prompt = [rng.randrange(1000, 150000) for _ in range(args.prompt_len)]
            rows += [Row(prompt, args.gen_tokens, 1.0, 1.0, seed=p * 100 + k) for k in range(args.group)]
        torch.cuda.synchronize()
        t = time.perf_counter()
        with pol.lock:
            generate(pol, rows)
        torch.cuda.synchronize()
        return sum(len(r.tokens) for r in rows), time.perf_counter() - t, rows

    # Warm-up over the full length: attention kernels are planned per KV length once per process.
    gen_batch()
    gen_toks, gen_s, rows = gen_batch()
    gen_tps = gen_toks / gen_s
    return {"rows": len(rows), "prompt_len": args.prompt_len, "new_tokens_per_row": args.gen_tokens,
            "tokens_per_s": round(gen_tps, 1), "seconds": round(gen_s, 2),
            "mfu": round(2.0 * n_params * gen_tps / (peak * 1e12), 5) if peak else None}


def bench_training(tr: Trainer, args: argparse.Namespace, rng: random.Random) -> tuple[float, list[float]]:
    """GRPO-shaped batches (groups with distinct rewards): tokens/s over the timed steps and each
    step's seconds. Every rank draws the same batch (same seed), as every rank gets it in a run."""
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
    return toks / sum(times), times


def run_mode(mode: str, cfg: Any, args: argparse.Namespace, peak: float | None, group: Dist | None) -> dict[str, Any]:
    rng = random.Random(0)
    tr, n_params = build(mode, cfg, group)
    world = group.world if group else 1
    run: dict[str, Any] = {"params": n_params, "gpus": world}
    if group is None:  # under FSDP rank 0 generates from a whole copy: the same as this
        run["generation"] = bench_generation(tr, args, rng, peak, n_params)
    train_tps, times = bench_training(tr, args, rng)
    seq = args.prompt_len + args.train_completion
    flops_tok = train_flops_per_token(n_params, cfg, seq)
    per_gpu = peak * 1e12 * world if peak else None
    run["training"] = {
        "rows_per_step": args.train_rows, "seq_len": seq, "micro_batch": args.micro_batch,
        "tokens_per_s": round(train_tps, 1), "step_seconds": [round(t, 3) for t in times],
        "mfu_6N": round(flops_tok * train_tps / per_gpu, 4) if per_gpu else None}
    if mode == "lora":
        # LoRA skips the frozen weights' gradient matmuls: about 4N FLOPs per token are done.
        run["training"]["mfu_4N_lora_actual"] = (
            round((flops_tok - 2.0 * n_params) * train_tps / per_gpu, 4) if per_gpu else None)
    run["max_memory_gib"] = round(torch.cuda.max_memory_allocated() / 2**30, 2)
    del tr
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()
    return run


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
    ap.add_argument("--fsdp", action="store_true", help="also train each mode sharded with FSDP2 (see the docstring)")
    ap.add_argument("--peak-tflops", type=float, default=None)
    args = ap.parse_args()
    if not torch.cuda.is_available():
        print("trainer_gpu.py needs a CUDA GPU (it measures bf16 throughput); none is visible", file=sys.stderr)
        return 2
    MICRO_BATCH[0] = args.micro_batch
    group = join_group() if args.fsdp else None
    leader = group is None or group.leader
    name = torch.cuda.get_device_name(0)
    peak = args.peak_tflops or next((v for k, v in PEAK_TFLOPS.items() if k in name), None)
    cfg = qwen2_05b_config()
    import transformers

    result: dict[str, Any] = {"device": name, "torch": torch.__version__, "python": platform.python_version(),
                              "transformers": transformers.__version__, "peak_bf16_tflops": peak, "runs": {}}
    for mode in args.modes.split(","):
        # The one-process baseline runs on rank 0 only, alone on its GPU: the others wait.
        if leader:
            result["runs"][mode] = run_mode(mode, cfg, args, peak, None)
            print(json.dumps({mode: result["runs"][mode]}), file=sys.stderr, flush=True)
        if group is not None:
            import torch.distributed as dist

            dist.barrier(group=group.control)
            run = run_mode(mode, cfg, args, peak, group)
            if leader:
                base = result["runs"][mode]["training"]["tokens_per_s"]
                run["training"]["vs_one_process"] = round(run["training"]["tokens_per_s"] / base, 3)
                result["runs"][f"{mode}-fsdp"] = run
                print(json.dumps({f"{mode}-fsdp": run}), file=sys.stderr, flush=True)
    if leader:
        print(json.dumps(result) if args.json else json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
