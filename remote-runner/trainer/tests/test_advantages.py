import pytest

from agentrl_trainer.advantages import gdpo_group_sums, group_advantages, is_zero_variance


def approx(xs: list[float]) -> object:
    return pytest.approx(xs, abs=1e-5)


def test_grpo_normalizes_by_sample_std() -> None:
    # mean 0.25, sample std sqrt(0.75/3) = 0.5
    assert group_advantages([1, 0, 0, 0], "grpo") == approx([1.5, -0.5, -0.5, -0.5])


def test_rloo_subtracts_mean_of_the_others() -> None:
    # 1 - mean(0,0,0) = 1 ; 0 - mean(1,0,0) = -1/3
    assert group_advantages([1, 0, 0, 0], "rloo") == approx([1.0, -1 / 3, -1 / 3, -1 / 3])


def test_drgrpo_is_unnormalized() -> None:
    assert group_advantages([1, 0, 0, 0], "drgrpo") == approx([0.75, -0.25, -0.25, -0.25])
    assert group_advantages([3.0, 1.0], "drgrpo") == approx([1.0, -1.0])


def test_gdpo_group_stage_normalizes_each_component_then_weights() -> None:
    comps = [{"correct": 1, "format": 1}, {"correct": 0, "format": 1}, {"correct": 0, "format": 0}, {"correct": 0, "format": 0}]
    # correct -> [1.5,-.5,-.5,-.5]; format: mean .5, sample std sqrt(1/3) -> +-0.866025; weight 0.5
    got = gdpo_group_sums(comps, {"correct": 1.0, "format": 0.5})
    h = 0.5 * 0.8660254
    assert got == approx([1.5 + h, -0.5 + h, -0.5 - h, -0.5 - h])


def test_gdpo_differs_from_grpo_on_the_summed_reward() -> None:
    # Two samples with the same total but different components get different GDPO advantages.
    comps = [{"a": 1, "b": 0}, {"a": 0, "b": 1}, {"a": 0, "b": 0}]
    got = gdpo_group_sums(comps, {"a": 1.0, "b": 1.0})
    assert got[0] == pytest.approx(got[1]) and got[2] < got[0]


def test_zero_variance_group_gets_zero_advantage() -> None:
    assert is_zero_variance([0.5, 0.5, 0.5])
    for est in ("grpo", "rloo", "drgrpo"):
        assert group_advantages([0.5, 0.5, 0.5], est) == [0.0, 0.0, 0.0]


def test_bad_estimator_is_named() -> None:
    with pytest.raises(ValueError, match="unknown advantage estimator 'ppo'"):
        group_advantages([1, 0], "ppo")
    with pytest.raises(ValueError, match="use batch_advantages"):
        group_advantages([1, 0], "gdpo")
