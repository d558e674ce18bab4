"""Numerics pinned by hand-computed or reference values (issue 11, Build 1): fp32 master
weights under bf16 compute, LoRA merge cycles that leave the base bit-identical, logprobs at
the sampling temperature, ratio clamps and truncated importance sampling, Dr.GRPO's constant
normalizer, GDPO's batch normalization and its error without components."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import torch

from agentrl_trainer.losses import clipped_policy_loss, token_weights
from agentrl_trainer.models import Policy, load_policy
from agentrl_trainer.options import TrainOptions
from agentrl_trainer.sampling import Row, generate
from agentrl_trainer.trainer import Trainer

from test_trainer import fresh, sampled_batch

PROMPT = [1, 2, 3, 4, 5, 6, 7]


def fixed_batch(rewards: list[float], lengths: list[int]) -> list[dict[str, Any]]:
    """Hand-made token ids without sampler logprobs (old = the trainer's own: ratio 1)."""
    return [
        {"trajectory_id": f"t{i}", "group_id": "g", "reward": r,
         "segments": [{"prompt_token_ids": PROMPT, "completion_token_ids": list(range(10 + i, 10 + i + n))}]}
        for i, (r, n) in enumerate(zip(rewards, lengths))
    ]


# -- fp32 master weights with bf16 compute ----------------------------------------------------
def _full_ft_delta(tiny_model_dir: Path, dtype: str | None) -> tuple[Policy, dict[str, torch.Tensor]]:
    torch.manual_seed(0)
    pol = load_policy(str(tiny_model_dir), None, device="cpu", dtype=dtype)
    tr = Trainer(pol, TrainOptions(lr=1e-5, old_logprobs="recompute"))
    before = {k: v.detach().float().clone() for k, v in pol.model.named_parameters()}
    tr.train_step(fixed_batch([1.0, 0.0, 0.5, 0.0], [4, 3, 5, 2]))
    return pol, {k: v.detach().float() - before[k] for k, v in pol.model.named_parameters()}


def test_bf16_full_finetuning_keeps_fp32_master_weights_and_small_updates(tiny_model_dir: Path) -> None:
    pol, got = _full_ft_delta(tiny_model_dir, "bfloat16")
    _, ref = _full_ft_delta(tiny_model_dir, None)  # the float32 reference update
    moved = sum(int((d != 0).sum()) for d in got.values())
    total = sum(d.numel() for d in got.values())
    # AdamW's first step moves a weight by about lr = 1e-5: in bf16 weights (~8 bits of
    # mantissa) nearly all of these round away; in fp32 masters they land, as in fp32.
    assert moved / total > 0.9
    assert all(p.dtype == torch.float32 for p in pol.model.parameters())  # the master copy
    assert pol.compute_dtype == torch.bfloat16
    agree = sum(int(((got[k] - ref[k]).abs() <= 2e-6).sum()) for k in got)
    assert agree / total > 0.9


# -- LoRA merge/unmerge cycles ----------------------------------------------------------------
def test_lora_generation_leaves_bf16_base_weights_bit_identical(tiny_model_dir: Path) -> None:
    from agentrl_trainer.models import LoraSettings

    torch.manual_seed(0)
    pol = load_policy(str(tiny_model_dir), LoraSettings(rank=4, alpha=8), device="cpu", dtype="bfloat16")
    with torch.no_grad():
        for n, p in pol.model.named_parameters():
            if "lora_B" in n:
                p.normal_(0.0, 0.05)  # a trained adapter: merging really changes the weights
    base = {n: p.detach().clone() for n, p in pol.model.named_parameters() if "lora_" not in n}
    assert any(p.dtype == torch.bfloat16 for p in base.values())
    for _ in range(100):
        pol.for_generation()
        pol.for_training()
    changed = [n for n, p in pol.model.named_parameters() if "lora_" not in n and not torch.equal(p, base[n])]
    assert changed == []
    # and generation still uses the adapter: merged logits are the adapter path's logits
    ids = torch.tensor([PROMPT])
    with torch.no_grad(), pol.autocast():
        unmerged = pol.model(input_ids=ids).logits.float()
        pol.for_generation()
        merged = pol.model(input_ids=ids).logits.float()
        pol.for_training()
        with pol.model.disable_adapter():
            plain = pol.model(input_ids=ids).logits.float()
    assert (merged - unmerged).abs().max() < (plain - unmerged).abs().max()


# -- logprobs at the sampling temperature -----------------------------------------------------
def test_logprobs_at_temperature_hand_numbers() -> None:
    from agentrl_trainer.sampling import logprobs_at_temperature

    got = logprobs_at_temperature(torch.tensor([[2.0, 0.0], [2.0, 0.0]]), [2.0, 0.0])
    # T=2: softmax([1, 0]) -> log(e/(e+1)) = -0.313262, log(1/(e+1)) = -1.313262
    assert got[0].tolist() == pytest.approx([-0.3132617, -1.3132617], abs=1e-6)
    # T=0 (greedy) reports the T=1 distribution: log(e^2/(e^2+1)) = -0.126928
    assert got[1].tolist() == pytest.approx([-0.1269280, -2.1269280], abs=1e-6)


def test_sampler_and_trainer_both_use_the_sampling_temperature(tiny_model_dir: Path) -> None:
    from agentrl_trainer.models import LoraSettings

    torch.manual_seed(0)
    pol = load_policy(str(tiny_model_dir), LoraSettings(rank=4, alpha=8), device="cpu")
    rows = [Row(PROMPT, 5, 0.5, 1.0, seed=i) for i in range(3)]
    with pol.lock:
        generate(pol, rows)
    r = rows[0]
    with torch.no_grad():
        logits = pol.model(input_ids=torch.tensor([PROMPT + r.tokens])).logits[0].float()
    at_t = torch.log_softmax(logits / 0.5, -1)
    want = [float(at_t[len(PROMPT) - 1 + j, t]) for j, t in enumerate(r.tokens)]
    assert r.logprobs == pytest.approx(want, abs=1e-4)  # the sampler reports softmax(logits / T)
    tr = Trainer(pol, TrainOptions(temperature=0.5))
    batch = [
        {"trajectory_id": f"t{i}", "group_id": "g", "reward": float(i % 2),
         "segments": [{"prompt_token_ids": PROMPT, "completion_token_ids": x.tokens, "logprobs": x.logprobs}]}
        for i, x in enumerate(rows)
    ]
    m = tr.train_step(batch)
    assert m["logprob_drift_max"] < 1e-3  # the trainer recomputed at T = 0.5 too


# -- ratio clamp, dual clip, truncated importance sampling --------------------------------------
def test_far_off_policy_token_gives_a_bounded_loss() -> None:
    new = torch.tensor([30.0, 30.0], requires_grad=True)
    loss, clipped = clipped_policy_loss(new, torch.zeros(2), torch.tensor([-1.0, 1.0]), 0.2, 0.28)
    # A < 0: the dual clip caps the loss at clip_ratio_c * |A| = 3 (it was e^30 ~ 1e13);
    # A > 0: the clipped branch, -(1 + 0.28)
    assert loss.tolist() == pytest.approx([3.0, -1.28])
    assert clipped.tolist() == [True, True]
    loss.sum().backward()
    assert new.grad is not None and torch.isfinite(new.grad).all()


def test_log_ratio_near_88_has_no_nan() -> None:
    new = torch.tensor([88.8, 88.8, 88.8, -200.0], requires_grad=True)
    loss, _ = clipped_policy_loss(new, torch.zeros(4), torch.tensor([0.0, -2.0, 1.0, 1.0]), 0.2, 0.28)
    assert torch.isfinite(loss).all()
    # log r clamped to +-20: A = -2 dual-clipped at 3 * 2; A = 1 at 1.28; r = e^-20 for the last
    assert loss.tolist() == pytest.approx([0.0, 6.0, -1.28, -math.exp(-20.0)])
    loss.sum().backward()
    assert new.grad is not None and torch.isfinite(new.grad).all()


def test_tis_weights_hand_numbers() -> None:
    from agentrl_trainer.losses import tis_weights

    w = tis_weights(torch.tensor([0.5, 2.0, -1.0]), torch.zeros(3), cap=2.0)
    assert w.tolist() == pytest.approx([math.exp(0.5), 2.0, math.exp(-1.0)], abs=1e-6)


def test_recompute_weights_tokens_by_truncated_importance_ratio(tiny_model_dir: Path) -> None:
    tr = fresh(tiny_model_dir, old_logprobs="recompute", tis_cap=2.0)
    batch = sampled_batch(tr.policy, [1.0, 0.0, 0.0, 1.0])
    for t in batch:  # a sampler that found every token e times less likely than the trainer does
        seg = t["segments"][0]
        seg["logprobs"] = [x - 1.0 for x in seg["logprobs"]]
    m = tr.train_step(batch)
    assert m["tis_weight_mean"] == pytest.approx(2.0, abs=1e-4)  # e^1 capped at 2
    assert m["ratio_mean"] == pytest.approx(1.0, abs=1e-6)  # old = the trainer's own logprobs


# -- Dr.GRPO's constant normalizer --------------------------------------------------------------
def test_constant_normalizer_hand_numbers() -> None:
    assert token_weights([2, 3], "constant", norm_tokens=10, sequences=2) == pytest.approx([0.05, 0.05])


def test_drgrpo_divides_by_budget_times_sequences_not_batch_tokens(tiny_model_dir: Path) -> None:
    tr = fresh(tiny_model_dir, estimator="drgrpo", old_logprobs="recompute", norm_tokens=10)
    m = tr.train_step(fixed_batch([1.0, 0.0], [3, 1]))
    # advantages +-0.5, ratio 1: pg = -(3 * 0.5 - 1 * 0.5) / (10 * 2); the batch's 4 tokens do not enter
    assert m["loss_agg"] == "constant"
    assert m["pg_loss"] == pytest.approx(-0.05, abs=1e-6)


# -- GDPO -------------------------------------------------------------------------------------
def test_gdpo_normalizes_the_weighted_sum_over_the_batch(tiny_model_dir: Path) -> None:
    tr = fresh(tiny_model_dir, estimator="gdpo", old_logprobs="recompute")
    batch = fixed_batch([1.0, 0.0], [2, 2]) + [
        {**t, "group_id": "h", "trajectory_id": f"h{i}"} for i, t in enumerate(fixed_batch([2.0, 0.0], [2, 2]))
    ]
    for t, c in zip(batch, [1.0, 0.0, 2.0, 0.0]):
        t["components"] = {"correct": c}
    m = tr.train_step(batch)
    # per group: +-0.70711 (both groups, whatever the scale); over the batch the sample std of
    # [.70711, -.70711, .70711, -.70711] is 0.81650, so each advantage is +-0.86603
    assert list(m["trajectory_advantages"].values()) == pytest.approx([0.86603, -0.86603, 0.86603, -0.86603], abs=1e-4)


def test_gdpo_without_components_is_an_error_naming_the_fix(tiny_model_dir: Path) -> None:
    tr = fresh(tiny_model_dir, estimator="gdpo")
    with pytest.raises(ValueError, match="t0 has no components.*use estimator grpo"):
        tr.train_step(fixed_batch([1.0, 0.0], [2, 2]))


def test_non_finite_or_huge_reward_is_refused(tiny_model_dir: Path) -> None:
    tr = fresh(tiny_model_dir)
    for bad in (float("nan"), float("inf"), 1e308):
        with pytest.raises(ValueError, match="rewards must be finite numbers"):
            tr.train_step(fixed_batch([bad, 0.0], [2, 2]))
