"""The trainer on a tiny real model: masking/alignment, aggregation, resume, export."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from agentrl_trainer.checkpoint import export_merged, resume, save_checkpoint
from agentrl_trainer.models import LoraSettings, Policy, load_policy
from agentrl_trainer.options import TrainOptions
from agentrl_trainer.sampling import Row, generate
from agentrl_trainer.trainer import StepConflict, Trainer


def fresh(tiny_model_dir: Path, **opts: Any) -> Trainer:
    torch.manual_seed(0)
    pol = load_policy(str(tiny_model_dir), LoraSettings(rank=4, alpha=8), device="cpu")
    return Trainer(pol, TrainOptions(**opts))


def manual_logprobs(pol: Policy, prompt: list[int], completion: list[int]) -> list[float]:
    """log p(completion[j] | prompt + completion[:j]) computed one position at a time."""
    out = []
    with torch.no_grad():
        for j, tok in enumerate(completion):
            ids = torch.tensor([prompt + completion[:j]])
            logits = pol.model(input_ids=ids).logits[0, -1].float()
            out.append(float(torch.log_softmax(logits, -1)[tok]))
    return out


def sampled_batch(pol: Policy, rewards: list[float], max_tokens: int = 6) -> list[dict[str, Any]]:
    prompt = [1, 2, 3, 4, 5]
    rows = [Row(prompt, max_tokens, 1.0, 1.0, seed=i) for i in range(len(rewards))]
    with pol.lock:
        generate(pol, rows)
    return [
        {"trajectory_id": f"t{i}", "group_id": "g", "sample_index": i, "reward": r,
         "segments": [{"prompt_token_ids": prompt, "completion_token_ids": row.tokens, "logprobs": row.logprobs}]}
        for i, (r, row) in enumerate(zip(rewards, rows))
    ]


def test_sampled_logprobs_match_the_trainers_recompute(tiny_model_dir: Path) -> None:
    tr = fresh(tiny_model_dir)
    batch = sampled_batch(tr.policy, [1.0, 0.0, 0.0, 1.0])
    seg = batch[0]["segments"][0]
    manual = manual_logprobs(tr.policy, seg["prompt_token_ids"], seg["completion_token_ids"])
    assert seg["logprobs"] == pytest.approx(manual, abs=1e-4)
    m = tr.train_step(batch)
    assert m["logprob_drift_max"] < 1e-3 and "drift_warning" not in m
    assert m["updated"] and m["grad_norm"] > 0


def test_drift_is_reported_when_logprobs_are_off(tiny_model_dir: Path) -> None:
    tr = fresh(tiny_model_dir)
    batch = sampled_batch(tr.policy, [1.0, 0.0])
    batch[1]["segments"][0]["logprobs"][2] -= 0.5
    m = tr.train_step(batch)
    assert m["logprob_drift_max"] == pytest.approx(0.5, abs=1e-3)
    assert "drift_warning" in m


def test_only_completion_tokens_count_and_aggregation(tiny_model_dir: Path) -> None:
    # old = recompute makes every ratio 1, so the policy loss is -sum(weight * A) over tokens.
    tr = fresh(tiny_model_dir, old_logprobs="recompute")
    seg = lambda n: [{"prompt_token_ids": [1, 2, 3, 4, 5, 6, 7], "completion_token_ids": list(range(10, 10 + n))}]  # noqa: E731
    batch = [{"group_id": "g", "reward": 1.0, "segments": seg(3)}, {"group_id": "g", "reward": 0.0, "segments": seg(1)}]
    a = 0.7071061  # grpo with rewards [1, 0]: +-0.5 / 0.7071
    m = tr.train_step(batch, {"loss_agg": "token"})
    assert m["completion_tokens"] == 4  # the 7 prompt tokens of each row are not in the loss
    assert m["pg_loss"] == pytest.approx(-(3 * 0.25 * a - 1 * 0.25 * a), abs=1e-5)
    tr2 = fresh(tiny_model_dir, old_logprobs="recompute")
    m2 = tr2.train_step(batch, {"loss_agg": "sequence"})
    assert m2["pg_loss"] == pytest.approx(0.0, abs=1e-6)


def test_shared_prefix_gives_the_same_update(tiny_model_dir: Path) -> None:
    a = fresh(tiny_model_dir, lr=1e-2, shared_prefix=True)
    b = fresh(tiny_model_dir, lr=1e-2, shared_prefix=False)
    batch = sampled_batch(a.policy, [1.0, 0.0, 0.0, 1.0])
    ma, mb = a.train_step(batch), b.train_step(batch)
    assert ma["positions_run"] < mb["positions_run"]  # the prompt ran once, not four times
    assert ma["loss"] == pytest.approx(mb["loss"], abs=1e-5)
    assert ma["grad_norm"] == pytest.approx(mb["grad_norm"], rel=1e-3)
    wb = dict(b.policy.model.named_parameters())
    assert all(torch.allclose(v, wb[k], atol=1e-5) for k, v in a.policy.model.named_parameters() if "lora_" in k)


def test_zero_variance_groups_are_dropped_and_counted(tiny_model_dir: Path) -> None:
    tr = fresh(tiny_model_dir)
    batch = sampled_batch(tr.policy, [1.0, 1.0])
    m = tr.train_step(batch)
    assert m["zero_variance_groups"] == 1 and m["trained_trajectories"] == 0
    assert not m["updated"] and "zero reward variance" in m["skipped"]


def test_kl_is_zero_before_the_first_update_then_positive(tiny_model_dir: Path) -> None:
    tr = fresh(tiny_model_dir, kl_beta=0.1, lr=5e-2)
    batch = sampled_batch(tr.policy, [1.0, 0.0, 0.0, 0.0])
    m1 = tr.train_step(batch)
    assert m1["kl"] == pytest.approx(0.0, abs=1e-7)  # LoRA B starts at zero: policy == reference
    m2 = tr.train_step(batch)
    assert m2["kl"] > 0


def test_step_numbers_must_follow(tiny_model_dir: Path) -> None:
    tr = fresh(tiny_model_dir)
    with pytest.raises(StepConflict, match="send step 1"):
        tr.train_step(sampled_batch(tr.policy, [1.0, 0.0]), step=3)


def test_resume_continues_step_optimizer_and_metrics(tiny_model_dir: Path, tmp_path: Path) -> None:
    opts = {"lr": 1e-2}
    a = fresh(tiny_model_dir, **opts)
    b1 = sampled_batch(a.policy, [1.0, 0.0, 0.5, 0.0])
    b2 = sampled_batch(a.policy, [0.0, 1.0, 1.0, 0.0])
    a.train_step(b1)
    save_checkpoint(a, tmp_path / "ck")
    assert (tmp_path / "ck" / "adapter" / "adapter_model.safetensors").is_file()
    m2 = a.train_step(b2)

    b = fresh(tiny_model_dir, **opts)
    resume(b, tmp_path / "ck")
    assert b.step == 1 and len(b.history) == 1
    state = b.optimizer.state_dict()["state"]
    assert state and all(int(s["step"]) == 1 for s in state.values())  # Adam moments came back
    m2b = b.train_step(b2)
    assert m2b["step"] == 2 and len(b.history) == 2
    assert m2b["loss"] == pytest.approx(m2["loss"], abs=1e-5)
    wa = {k: v for k, v in a.policy.model.named_parameters() if "lora_" in k}
    wb = dict(b.policy.model.named_parameters())
    assert all(torch.allclose(v, wb[k], atol=1e-6) for k, v in wa.items())

    c = fresh(tiny_model_dir, **opts)  # without resume the second update lands elsewhere
    c.train_step(b2)
    wc = dict(c.policy.model.named_parameters())
    assert not all(torch.allclose(v, wc[k], atol=1e-6) for k, v in wa.items())


def test_export_merged_loads_in_plain_transformers(tiny_model_dir: Path, tmp_path: Path) -> None:
    from transformers import AutoModelForCausalLM

    tr = fresh(tiny_model_dir, lr=5e-2)
    tr.train_step(sampled_batch(tr.policy, [1.0, 0.0, 0.0]))
    out = export_merged(tr, tmp_path / "export")
    plain = AutoModelForCausalLM.from_pretrained(str(out))
    ids = torch.tensor([[1, 2, 3, 4, 5, 6]])
    with torch.no_grad():
        want = tr.policy.model(input_ids=ids).logits
        got = plain(input_ids=ids).logits
        base = AutoModelForCausalLM.from_pretrained(str(tiny_model_dir))(input_ids=ids).logits
    assert torch.allclose(want, got, atol=1e-4)
    assert not torch.allclose(base, got, atol=1e-4)  # the update is in the exported weights


def test_full_finetuning_updates_all_weights(tiny_model_dir: Path) -> None:
    pol = load_policy(str(tiny_model_dir), None, device="cpu")
    tr = Trainer(pol, TrainOptions(lr=1e-3))
    before = pol.model.model.layers[0].mlp.up_proj.weight.detach().clone()
    tr.train_step(sampled_batch(pol, [1.0, 0.0]))
    assert not torch.equal(before, pol.model.model.layers[0].mlp.up_proj.weight)
    with pytest.raises(ValueError, match="train with LoRA"):
        tr.train_step(sampled_batch(pol, [1.0, 0.0]), {"kl_beta": 0.1})


def multi_turn(reward: float, env_lp: float = 0.0, shift: int = 0, **extra: Any) -> dict[str, Any]:
    """Two policy turns (tokens 10-12 and 20-21) with 'tool result' tokens 30-33 between them, as
    one sequence; env_lp is the (meaningless) logprob sent for the tool tokens."""
    comp = [10 + shift, 11, 12, 30, 31, 32, 33, 20 + shift, 21]
    lps = [-1.0, -1.0, -1.0] + [env_lp] * 4 + [-1.0, -1.0]
    return {"group_id": "g", "reward": reward, "segments": [
        {"prompt_token_ids": [1, 2, 3, 4], "completion_token_ids": comp, "logprobs": lps, "turn_spans": [[0, 3], [7, 9]]}],
        **extra}


def test_a_multi_turn_sequence_trains_only_the_policy_tokens(tiny_model_dir: Path) -> None:
    # recompute: every ratio is 1, so pg = -sum(weight * A) over the tokens in the loss
    tr = fresh(tiny_model_dir, old_logprobs="recompute")
    m = tr.train_step([multi_turn(1.0), multi_turn(0.0)])
    a = 0.7071061
    assert m["completion_tokens"] == 10  # 5 policy tokens per trajectory; the 4 tool tokens are context
    assert m["pg_loss"] == pytest.approx(-(5 * a - 5 * a) / 10, abs=1e-5)
    # the tool tokens' logprobs are not compared with the trainer's: they were never sampled
    tr2 = fresh(tiny_model_dir)
    batch = sampled_batch(tr2.policy, [1.0, 0.0])
    for t in batch:
        s = t["segments"][0]
        n = len(s["completion_token_ids"])
        s["completion_token_ids"] = s["completion_token_ids"] + [30, 31]
        s["logprobs"] = s["logprobs"] + [0.0, 0.0]
        s["turn_spans"] = [[0, n]]
    m2 = tr2.train_step(batch)
    assert m2["logprob_drift_max"] < 1e-3


def test_one_sequence_gives_the_update_of_the_turns_run_separately(tiny_model_dir: Path) -> None:
    def split(t: dict[str, Any]) -> dict[str, Any]:
        s = t["segments"][0]
        p, c, lp = s["prompt_token_ids"], s["completion_token_ids"], s["logprobs"]
        return {**t, "segments": [
            {"prompt_token_ids": p, "completion_token_ids": c[:3], "logprobs": lp[:3]},
            {"prompt_token_ids": p + c[:7], "completion_token_ids": c[7:], "logprobs": lp[7:]}]}
    one = fresh(tiny_model_dir, lr=1e-2, old_logprobs="recompute")
    two = fresh(tiny_model_dir, lr=1e-2, old_logprobs="recompute")
    batch = [multi_turn(1.0), multi_turn(0.0, shift=40)]
    m1, m2 = one.train_step(batch), two.train_step([split(t) for t in batch])
    assert m1["grad_norm"] > 1e-4
    assert m1["positions_run"] < m2["positions_run"]  # the history ran once, not once per turn
    assert m1["loss"] == pytest.approx(m2["loss"], abs=1e-6)
    assert m1["grad_norm"] == pytest.approx(m2["grad_norm"], rel=1e-4)


def test_turn_credit_gives_each_turn_its_own_advantage(tiny_model_dir: Path) -> None:
    # return_to_go, gamma 1. Both outcomes are 1, so the outcome estimator sees no variance, but the
    # turns differ: step rewards [0.5, 1] and [0, 1]; pooled mean .625, sample std .478714;
    # normalized [-.261116, .783349] and [-1.305582, .783349]; returns to go [.522233, .783349] and
    # [-.522233, .783349]. Turn 1 has 3 tokens, turn 2 has 2; token weights 1/10.
    tr = fresh(tiny_model_dir, old_logprobs="recompute", credit="return_to_go")
    m = tr.train_step([multi_turn(1.0, turn_rewards=[0.5, 0.0]), multi_turn(1.0, turn_rewards=[0.0, 0.0])])
    assert m["updated"] and m["trained_trajectories"] == 2
    exp = -(3 * 0.522233 + 2 * 0.783349 + 3 * -0.522233 + 2 * 0.783349) / 10
    assert m["pg_loss"] == pytest.approx(exp, abs=1e-5)
    # with outcome credit the same batch is a zero-variance group: nothing to learn
    m0 = fresh(tiny_model_dir, old_logprobs="recompute").train_step(
        [multi_turn(1.0, turn_rewards=[0.5, 0.0]), multi_turn(1.0, turn_rewards=[0.0, 0.0])])
    assert not m0["updated"]


# -- the trainer's per-token logprobs, returned for the runner to store on turns --------------

def test_trainer_logprobs_come_back_per_policy_turn_aligned_with_the_turns_tokens(tiny_model_dir: Path) -> None:
    tr = fresh(tiny_model_dir, old_logprobs="recompute")
    two_segments = multi_turn(1.0, trajectory_id="a")
    # a third turn whose server re-rendered the history: a segment of its own, after the first
    two_segments["segments"].append({"prompt_token_ids": [1, 2, 5], "completion_token_ids": [40, 41, 42, 43], "logprobs": None})
    batch = [two_segments, multi_turn(0.0, shift=1, trajectory_id="b")]
    comp_a = batch[0]["segments"][0]["completion_token_ids"]
    expect_a = manual_logprobs(tr.policy, [1, 2, 3, 4], comp_a)  # before the update changes the weights
    expect_a3 = manual_logprobs(tr.policy, [1, 2, 5], [40, 41, 42, 43])
    m = tr.train_step(batch)
    assert m["updated"]
    got = m["trajectory_logprobs"]
    assert sorted(got) == ["a", "b"]
    # one list per policy turn, in turn order: the spans [0, 3) and [7, 9), then the second segment
    assert [len(t) for t in got["a"]] == [3, 2, 4]
    assert got["a"][0] == pytest.approx(expect_a[0:3], abs=1e-4)
    assert got["a"][1] == pytest.approx(expect_a[7:9], abs=1e-4)
    assert got["a"][2] == pytest.approx(expect_a3, abs=1e-4)
    # the tool tokens between the spans are context: neither returned nor compared
    assert m["logprob_drift_max"] is not None
    assert "trajectory_logprobs" not in tr.history[-1]


def test_a_skipped_update_still_measures_the_trainers_logprobs_and_drift(tiny_model_dir: Path) -> None:
    tr = fresh(tiny_model_dir)
    batch = sampled_batch(tr.policy, [0.0, 0.0, 0.0])  # one group, no reward variance: no update
    m = tr.train_step(batch)
    assert not m["updated"] and "skipped" in m
    assert m["recomputed_trajectories"] == 3 and m["recompute_s"] > 0
    # sampler = trainer (same weights, same temperature): the recompute reads the sampled logprobs back
    assert m["logprob_drift_max"] < 1e-4 and m["logprob_drift_mean"] < 1e-4
    for t in batch:
        seg = t["segments"][0]
        assert m["trajectory_logprobs"][t["trajectory_id"]] == [pytest.approx(seg["logprobs"], abs=1e-4)]
    # a drifted sampled logprob shows as drift on a skipped step too
    batch[1]["segments"][0]["logprobs"][0] -= 0.25
    assert tr.train_step(batch)["logprob_drift_max"] == pytest.approx(0.25, abs=1e-3)


def test_the_forward_pass_on_a_skipped_update_can_be_turned_off(tiny_model_dir: Path) -> None:
    tr = fresh(tiny_model_dir, recompute_untrained=False)
    m = tr.train_step(sampled_batch(tr.policy, [1.0, 1.0]))
    assert m["recomputed_trajectories"] == 0
    assert m["logprob_drift_max"] is None and m["trajectory_logprobs"] == {}


def test_the_returned_logprobs_are_bounded(tiny_model_dir: Path) -> None:
    tr = fresh(tiny_model_dir)
    batch = sampled_batch(tr.policy, [1.0, 0.0, 1.0], max_tokens=6)
    sizes = [len(t["segments"][0]["completion_token_ids"]) for t in batch]
    m = tr.train_step(batch, {"return_logprobs_tokens": sizes[0] + sizes[1]})
    assert sorted(m["trajectory_logprobs"]) == ["t0", "t1"] and m["trajectory_logprobs_omitted"] == 1
    with pytest.raises(ValueError, match="return_logprobs_tokens must be >= 0"):
        tr.train_step(batch, {"return_logprobs_tokens": -1})
