import pytest

from agentrl_trainer.batch import BatchError, parse_batch
from agentrl_trainer.options import TrainOptions


def traj(**over: object) -> dict[str, object]:
    t: dict[str, object] = {
        "trajectory_id": "a", "task_id": "t", "group_id": "g", "sample_index": 0, "reward": 1.0,
        "components": {"correct": 1.0}, "component_weights": {"correct": 1.0},
        "segments": [{"prompt_token_ids": [1, 2], "completion_token_ids": [3, 4], "logprobs": [-0.1, -0.2]}],
    }
    t.update(over)
    return t


def test_valid_batch_parses() -> None:
    (t,) = parse_batch([traj()], vocab_size=10)
    assert t.completion_tokens == 2 and t.segments[0].logprobs == [-0.1, -0.2]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"group_id": None}, None),
        ({"reward": "1"}, r"trajectories\[0\]\.reward must be a number"),
        ({"segments": []}, r"segments must be a non-empty list"),
        ({"segments": [{"prompt_token_ids": [1], "completion_token_ids": [2, 3], "logprobs": [-1.0]}]},
         r"logprobs has 1 values for 2 completion tokens"),
        ({"segments": [{"prompt_token_ids": [1], "completion_token_ids": [99]}]}, r"token id 99 outside the model's vocabulary"),
        ({"segments": [{"prompt_token_ids": [], "completion_token_ids": [1]}]}, r"prompt_token_ids is empty"),
    ],
)
def test_bad_batches_name_the_field(bad: dict[str, object], message: str | None) -> None:
    t = traj(**bad)
    if message is None:
        del t["group_id"]
        message = r"trajectories\[0\] is missing 'group_id'"
    with pytest.raises(BatchError, match=message):
        parse_batch([t], vocab_size=10)


def test_option_overrides_are_validated() -> None:
    o = TrainOptions().with_overrides({"estimator": "rloo", "kl_beta": 0.1})
    assert o.estimator == "rloo" and o.kl_beta == 0.1
    with pytest.raises(ValueError, match="unknown training option"):
        TrainOptions().with_overrides({"learning_rate": 1})
    with pytest.raises(ValueError, match="estimator 'ppo' is unknown"):
        TrainOptions().with_overrides({"estimator": "ppo"})


def test_turn_spans_mark_the_policy_tokens() -> None:
    seg = {"prompt_token_ids": [1], "completion_token_ids": [2, 3, 4, 5, 6], "logprobs": [-1.0] * 5, "turn_spans": [[0, 2], [4, 5]]}
    (t,) = parse_batch([traj(segments=[seg], turn_rewards=[0.5, 1], turn_states=["a", "b"])], vocab_size=10)
    assert t.completion_tokens == 3 and t.turns == 2
    assert t.segments[0].loss_mask() == [True, True, False, False, True]
    assert t.turn_rewards == [0.5, 1.0] and t.turn_states == ["a", "b"]


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"segments": [{"prompt_token_ids": [1], "completion_token_ids": [2, 3], "turn_spans": [[0, 3]]}]}, r"within the 2 completion tokens"),
        ({"segments": [{"prompt_token_ids": [1], "completion_token_ids": [2, 3], "turn_spans": [[1, 2], [0, 1]]}]}, r"increasing, non-overlapping"),
        ({"segments": [{"prompt_token_ids": [1], "completion_token_ids": [2, 3], "turn_spans": []}]}, r"non-empty list of \[start, end\]"),
        ({"turn_rewards": [1.0, 2.0]}, r"one entry per policy turn \(1 turn spans"),
        ({"turn_rewards": [float("nan")]}, r"finite numbers"),
        ({"turn_states": [3]}, r"must hold strings"),
    ],
)
def test_bad_turn_fields_are_named(over: dict[str, object], message: str) -> None:
    with pytest.raises(BatchError, match=message):
        parse_batch([traj(**over)], vocab_size=10)
