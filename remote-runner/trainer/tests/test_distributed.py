"""The trainer under torchrun with FSDP2 (2 ranks, gloo, CPU) against the one-process trainer: the
same update on every weight, and a 2-rank checkpoint that resumes in one process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch

from agentrl_trainer.checkpoint import resume
from agentrl_trainer.distributed import NprocError, assign_groups, check_nproc
from agentrl_trainer.models import LoraSettings, load_policy
from agentrl_trainer.options import TrainOptions
from agentrl_trainer.sampling import Row, generate
from agentrl_trainer.trainer import Trainer

TRAINER_ROOT = Path(__file__).resolve().parents[1]

OPTS = {"lr": 1e-2, "micro_batch": 2}


def one_process(model_dir: Path) -> Trainer:
    torch.manual_seed(0)  # as the CLI does with --seed 0: the same fresh adapter
    return Trainer(load_policy(str(model_dir), LoraSettings(rank=4, alpha=8), device="cpu"), TrainOptions(**OPTS))


def batch(tr: Trainer) -> list[dict[str, Any]]:
    """Three groups of unequal size and length: one rank gets the 6 rows of the first group (3
    micro-batches), the other the 4 of the others (2, then a dummy one); and a zero-variance group
    the update leaves out (one rank runs its forward-only pass, the other a dummy one)."""
    out = []
    for g, (prompt, rewards, n_tok) in enumerate([([1, 2, 3, 4, 5], [1.0, 0.0, 0.0, 1.0, 0.5, 0.0], 6),
                                                  ([7, 8, 9], [0.0, 1.0], 9), ([11, 12, 13, 14], [0.5, 0.0], 4),
                                                  ([15, 16], [1.0, 1.0], 5)]):
        rows = [Row(prompt, n_tok, 1.0, 1.0, seed=10 * g + i) for i in range(len(rewards))]
        with tr.policy.lock:
            generate(tr.policy, rows)
        out += [{"trajectory_id": f"t{g}-{i}", "group_id": f"g{g}", "sample_index": i, "reward": r,
                 "segments": [{"prompt_token_ids": prompt, "completion_token_ids": row.tokens, "logprobs": row.logprobs}]}
                for i, (r, row) in enumerate(zip(rewards, rows))]
    return out


def torchrun(nproc: int, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", str(nproc),
         "-m", "agentrl_trainer", *args],
        cwd=TRAINER_ROOT, capture_output=True, text=True, timeout=600,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )


def trainable(tr: Trainer) -> dict[str, torch.Tensor]:
    return {k: v.detach() for k, v in tr.policy.model.named_parameters() if v.requires_grad}


def test_two_ranks_give_the_one_process_update_and_resume_in_one(tiny_model_dir: Path, tmp_path: Path) -> None:
    ref = one_process(tiny_model_dir)
    b = batch(ref)
    (tmp_path / "b.jsonl").write_text("".join(json.dumps(t) + "\n" for t in b))
    before = {k: v.clone() for k, v in trainable(ref).items()}
    m1 = ref.train_step(b)

    r = torchrun(2, "train-step", "--model", str(tiny_model_dir), "--lora-rank", "4", "--lora-alpha", "8",
                 "--device", "cpu", "--seed", "0", "--options", json.dumps(OPTS),
                 "--batch", str(tmp_path / "b.jsonl"), "--save", str(tmp_path / "ck"))
    assert r.returncode == 0, r.stderr[-3000:]
    m2 = json.loads(r.stdout.strip().splitlines()[-1])
    assert m2["trained_trajectories"] == m1["trained_trajectories"] == 10
    assert m2["loss"] == pytest.approx(m1["loss"], abs=1e-5)
    assert m2["grad_norm"] == pytest.approx(m1["grad_norm"], rel=1e-4)
    assert json.loads((tmp_path / "ck" / "trainer_state.json").read_text())["world_size"] == 2
    # the trainer's per-token logprobs of every trajectory, gathered from both ranks, trained or not
    assert m2["recomputed_trajectories"] == m1["recomputed_trajectories"] == 2
    lp1, lp2 = m1["trajectory_logprobs"], m2["trajectory_logprobs"]
    assert list(lp2) == list(lp1) == [t["trajectory_id"] for t in b]
    for k in lp1:
        assert lp2[k][0] == pytest.approx(lp1[k][0], abs=1e-4)
    assert m2["logprob_drift_max"] == pytest.approx(m1["logprob_drift_max"], abs=1e-4)
    # The adapter files come from rank 0's whole copy (what it generates with and pushes to vLLM):
    # it took the update the shards made.
    from peft import get_peft_model_state_dict
    from safetensors.torch import load_file

    saved = load_file(str(tmp_path / "ck" / "adapter" / "adapter_model.safetensors"))
    updated = get_peft_model_state_dict(ref.policy.model)
    assert saved.keys() == updated.keys()
    for k, v in updated.items():
        assert torch.allclose(saved[k], v, atol=1e-5, rtol=0), k

    # The 2-rank checkpoint in one process: every trained weight and the Adam state as the
    # one-process update left them, and the step count continues.
    tr = one_process(tiny_model_dir)
    resume(tr, tmp_path / "ck")
    assert tr.step == 1
    got, want = trainable(tr), trainable(ref)
    assert got.keys() == want.keys() and len(got) > 0
    for k in want:
        assert not torch.equal(want[k], before[k]) or "lora_B" not in k  # the update moved the adapter
        assert torch.allclose(got[k], want[k], atol=1e-5, rtol=0), k
    for p_got, p_want in zip(tr.optimizer.param_groups[0]["params"], ref.optimizer.param_groups[0]["params"]):
        s_got, s_want = tr.optimizer.state[p_got], ref.optimizer.state[p_want]
        assert int(s_got["step"]) == 1
        assert torch.allclose(s_got["exp_avg"], s_want["exp_avg"], atol=1e-7, rtol=1e-4)
        assert torch.allclose(s_got["exp_avg_sq"], s_want["exp_avg_sq"], atol=1e-10, rtol=1e-4)
    assert tr.train_step(b)["step"] == 2


def test_groups_stay_whole_and_balance_tokens() -> None:
    assert assign_groups([10, 40, 20, 30], 2) == [0, 0, 1, 1]  # 40+10 | 30+20
    assert assign_groups([5], 3) == [0]
    assert sorted(assign_groups([1, 1, 1, 1], 4)) == [0, 1, 2, 3]


def test_nproc_beyond_the_devices_is_refused_with_the_count() -> None:
    cores = len(os.sched_getaffinity(0))
    with pytest.raises(NprocError, match=rf"--nproc {cores + 1} is more than the {cores} CPU cores .*Fix: pass --nproc {cores}"):
        check_nproc(cores + 1, "cpu")
    with pytest.raises(NprocError, match="must be a positive integer"):
        check_nproc(0, "cpu")
    check_nproc(cores, "cpu")
