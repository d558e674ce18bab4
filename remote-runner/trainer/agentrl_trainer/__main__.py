"""Command line: `serve` (policy server + trainer), `train-step` (one update from a JSONL
batch, for debugging), `export` (merged model from a checkpoint), `default-model`."""

from __future__ import annotations

import argparse
import json
import os
import ipaddress
import random
import secrets
import sys
import threading
from pathlib import Path

from .embedded import DEFAULT_MODEL, embedded_gguf
from .options import TrainOptions


def _train_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default=None, help=f"local folder, .gguf file, hub id, or '{DEFAULT_MODEL}' (default)")
    p.add_argument("--lora-rank", type=int, default=16, help="LoRA rank; 0 trains all weights (full fine-tuning)")
    p.add_argument("--lora-alpha", type=int, default=32)
    p.add_argument("--lora-targets", default="all-linear")
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:1 (default: cuda when available)")
    p.add_argument("--dtype", default=None, help="float32 / bfloat16 (default: float32 on CPU, bfloat16 on GPU)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--resume", default=None, help="checkpoint folder to continue from (step, optimizer, metrics)")
    p.add_argument("--options", default=None, help="training options as JSON, e.g. '{\"estimator\":\"rloo\"}'")
    for f, v in TrainOptions().to_json().items():
        flag = "--" + f.replace("_", "-")
        if isinstance(v, bool):
            p.add_argument(flag, default=None, type=lambda s: s.lower() in ("1", "true", "yes"), metavar="BOOL")
        else:
            p.add_argument(flag, default=None, type=type(v))


def _setup(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    import torch

    from .checkpoint import read_state, resume
    from .distributed import broadcast_trainable, init_from_env, shard_model
    from .models import LoraSettings, load_policy
    from .trainer import Trainer

    dist = init_from_env(args.device)
    state = read_state(args.resume) if args.resume else None
    model = args.model or (state["model"] if state else DEFAULT_MODEL)
    lora: LoraSettings | None
    if state is not None and args.model is None:
        lora = LoraSettings(**state["lora"]) if state.get("lora") else None
    else:
        lora = LoraSettings(args.lora_rank, args.lora_alpha, 0.0, args.lora_targets) if args.lora_rank > 0 else None
    random.seed(args.seed)
    torch.manual_seed(args.seed)
    threads = os.environ.get("AGENTRL_TORCH_THREADS")
    if threads:
        torch.set_num_threads(int(threads))
    if dist is None:
        policy = load_policy(model, lora, args.device, args.dtype)
    else:
        # float32 master weights on every rank; on GPUs FSDP computes in bfloat16 (unless --dtype float32)
        policy = load_policy(model, lora, str(dist.device), "float32")
        broadcast_trainable(policy.model, dist)
        shard_model(policy.model, dist, bf16=dist.device.type == "cuda" and args.dtype != "float32")
    overrides = json.loads(args.options) if args.options else {}
    for f in TrainOptions().to_json():
        v = getattr(args, f, None)
        if v is not None:
            overrides[f] = v
    trainer = Trainer(policy, TrainOptions().with_overrides(overrides), getattr(args, "max_tokens", None), dist)
    if dist is not None:
        if dist.leader:
            # Rank 0's whole copy: it generates (on rank 0's device) and writes adapter files;
            # with vLLM generating (--no-generate) it only writes files, so it stays on the CPU.
            torch.manual_seed(args.seed)
            full_device = "cpu" if getattr(args, "no_generate", False) else str(dist.device)
            trainer.full = load_policy(model, lora, full_device, args.dtype)
        trainer.refresh_full()
    if args.resume:
        resume(trainer, args.resume)
        if overrides:
            trainer.options = trainer.options.with_overrides(overrides)
    return policy, trainer


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def cmd_serve(args: argparse.Namespace) -> int:
    from .collective import follow, stop
    from .distributed import NprocError
    from .server import App, make_server

    if args.no_train and int(os.environ.get("WORLD_SIZE", "1")) > 1:
        print("--no-train serves generation only, which runs in one process. Fix: start it without torchrun",
              file=sys.stderr)
        return 2

    if not _loopback(args.host) and not args.insecure:
        # The token and the training data would cross the network in clear text.
        print(f"refusing to serve plain HTTP on {args.host}: the token and the weights' updates would cross the "
              "network unencrypted. Fix: bind 127.0.0.1 and tunnel (ssh -L), or pass --insecure on a trusted network",
              file=sys.stderr)
        return 2
    # The caller's token (the runner passes one per start); else a fresh one, printed once on the READY line.
    token = os.environ.pop("AGENTRL_TRAINER_TOKEN", "") or ""
    generated = not token
    if generated:
        token = secrets.token_urlsafe(32)
    try:
        _, trainer = _setup(args)
    except NprocError as e:
        print(str(e), file=sys.stderr)
        return 2
    if trainer.dist is not None and not trainer.dist.leader:
        follow(trainer)  # until rank 0 stops
        return 0
    policy = trainer.full
    out = Path(args.output_dir or (Path.cwd() / "agentrl-trainer-out"))
    app = App(policy, None if args.no_train else trainer, out, args.served_model_name or policy.name,
              args.max_batch_rows, args.max_tokens, args.sync_url, generate=not args.no_generate, token=token,
              max_body=args.max_body_mb << 20, sync_token=os.environ.pop("AGENTRL_SYNC_API_KEY", None))
    srv = make_server(app, args.host, args.port, args.max_requests)
    port = srv.server_address[1]
    if args.exit_with_stdin:
        # The runner holds our stdin: when it dies (even by SIGKILL) the pipe closes and we go too,
        # instead of holding the model's memory as an orphan.
        # Under torchrun rank 0 exits non-zero, so that torchrun ends the other ranks too.
        code = 0 if trainer.dist is None else 1

        def _watch_parent() -> None:
            sys.stdin.buffer.read()
            os._exit(code)

        threading.Thread(target=_watch_parent, daemon=True).start()
    # One machine-readable line: callers wait for it instead of polling.
    ready = {"port": port, "url": f"http://{args.host}:{port}", "model": app.served_name, "step": trainer.step}
    if generated:
        ready["token"] = token
    print("READY " + json.dumps(ready), flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop(trainer)
    return 0


def cmd_train_step(args: argparse.Namespace) -> int:
    from .batch import read_jsonl
    from .checkpoint import save_checkpoint

    # Under torchrun every rank reads the batch and takes its part of the update.
    _, trainer = _setup(args)
    metrics = trainer.train_step(read_jsonl(args.batch))
    trainer.refresh_full()
    if args.save:
        save_checkpoint(trainer, args.save)
        metrics["checkpoint"] = args.save
    if trainer.dist is None or trainer.dist.leader:
        print(json.dumps(metrics))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from .checkpoint import export_merged

    # Without --resume the base model itself is written out (the embedded GGUF as an ordinary
    # safetensors folder: what vLLM serves as the base under `agentrl train --engine vllm`).
    _, trainer = _setup(args)
    print(json.dumps({"dir": str(export_merged(trainer, args.out)), "step": trainer.step}))
    return 0


def cmd_check_nproc(args: argparse.Namespace) -> int:
    from .distributed import NprocError, available_devices, check_nproc

    try:
        check_nproc(args.nproc, args.device)
    except NprocError as e:
        print(str(e), file=sys.stderr)
        return 2
    kind, count = available_devices(args.device)
    print(json.dumps({"nproc": args.nproc, "device": kind, "devices": count}))
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m agentrl_trainer")
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve", help="OpenAI-compatible policy server with training endpoints")
    _train_args(s)
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=0, help="0 picks a free port (see the READY line)")
    s.add_argument("--output-dir", default=None)
    s.add_argument("--served-model-name", default=None)
    s.add_argument("--max-batch-rows", type=int, default=64)
    s.add_argument("--max-tokens", type=int, default=512, help="default max_tokens of a request")
    s.add_argument("--no-train", action="store_true", help="generation only")
    s.add_argument("--no-generate", action="store_true",
                   help="training only: rollouts go to the --sync-url server (vLLM), /v1/chat/completions is refused")
    s.add_argument("--exit-with-stdin", action="store_true", help="exit when stdin closes (the parent process is gone)")
    s.add_argument("--sync-url", default=None,
                   help="after each step, save the adapter and POST /v1/load_lora_adapter to this policy server (vLLM);"
                        " its API key from AGENTRL_SYNC_API_KEY")
    s.add_argument("--max-body-mb", type=int, default=256, help="largest request body taken, in MiB")
    s.add_argument("--max-requests", type=int, default=128, help="connections served at once; more get 503")
    s.add_argument("--insecure", action="store_true", help="allow plain HTTP on a non-loopback address")
    t = sub.add_parser("train-step", help="one update from a JSONL batch (agentrl export RUN --format train)")
    _train_args(t)
    t.add_argument("--batch", required=True)
    t.add_argument("--save", default=None, help="write a checkpoint here afterwards")
    e = sub.add_parser("export", help="merged safetensors model from a checkpoint (--resume), or the base model")
    _train_args(e)
    e.add_argument("--out", required=True)
    sub.add_parser("default-model", help="print the path of the embedded default model")
    c = sub.add_parser("check-nproc", help="exit 2 (with the reason) when N trainer processes do not fit this machine")
    c.add_argument("nproc", type=int)
    c.add_argument("--device", default=None)
    args = ap.parse_args(argv)
    if args.cmd == "check-nproc":
        return cmd_check_nproc(args)
    if args.cmd == "serve":
        return cmd_serve(args)
    if args.cmd == "train-step":
        return cmd_train_step(args)
    if args.cmd == "export":
        return cmd_export(args)
    print(embedded_gguf())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
