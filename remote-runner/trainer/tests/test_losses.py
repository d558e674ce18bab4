import math

import pytest
import torch

from agentrl_trainer.losses import clipped_policy_loss, entropy_from_logits, k3_kl, token_weights


def lp(p: float) -> torch.Tensor:
    return torch.tensor([math.log(p)])


ZERO = torch.tensor([0.0])


@pytest.mark.parametrize(
    ("ratio", "adv", "loss", "clipped"),
    [
        (1.5, 1.0, -1.28, True),  # clipped at 1 + eps_high = 1.28
        (1.5, -1.0, 1.5, False),  # pessimistic branch is the unclipped one
        (0.5, -1.0, 0.8, True),  # clipped at 1 - eps_low = 0.8
        (0.5, 1.0, -0.5, False),
        (1.1, 2.0, -2.2, False),  # inside the trust region
    ],
)
def test_clipped_loss_hand_numbers(ratio: float, adv: float, loss: float, clipped: bool) -> None:
    got, mask = clipped_policy_loss(lp(ratio), ZERO, torch.tensor([adv]), eps_low=0.2, eps_high=0.28)
    assert got.item() == pytest.approx(loss, abs=1e-6)
    assert bool(mask.item()) is clipped


def test_asymmetric_clip_uses_separate_epsilons() -> None:
    hi, _ = clipped_policy_loss(lp(2.0), ZERO, torch.tensor([1.0]), eps_low=0.1, eps_high=0.5)
    lo, _ = clipped_policy_loss(lp(0.1), ZERO, torch.tensor([-1.0]), eps_low=0.1, eps_high=0.5)
    assert hi.item() == pytest.approx(-1.5) and lo.item() == pytest.approx(0.9)


def test_k3_hand_number_and_zero_at_equality() -> None:
    # d = log(.25) - log(.5) = -log 2 ; e^d - d - 1 = 0.5 + 0.693147 - 1
    assert k3_kl(lp(0.5), lp(0.25)).item() == pytest.approx(0.5 + math.log(2) - 1, abs=1e-6)
    assert k3_kl(lp(0.3), lp(0.3)).item() == pytest.approx(0.0, abs=1e-7)
    assert k3_kl(lp(0.9), lp(0.2)).item() > 0


def test_entropy_of_uniform_and_peaked() -> None:
    assert entropy_from_logits(torch.zeros(1, 4)).item() == pytest.approx(math.log(4), abs=1e-6)
    assert entropy_from_logits(torch.tensor([[100.0, 0.0, 0.0]])).item() == pytest.approx(0.0, abs=1e-6)


def test_token_weights_token_and_sequence() -> None:
    assert token_weights([2, 3], "token") == pytest.approx([0.2, 0.2])
    assert token_weights([2, 3], "sequence") == pytest.approx([0.25, 1 / 6])
    # a trajectory without completion tokens takes no share
    assert token_weights([0, 4], "sequence") == pytest.approx([0.0, 0.25])
    with pytest.raises(ValueError, match="unknown loss aggregation 'mean'"):
        token_weights([1], "mean")
