"""The golden advantage cases shared with the runner's TypeScript (vitest reads the same file)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agentrl_trainer.advantages import Sample, batch_advantages

GOLDEN = Path(__file__).resolve().parents[3] / "protocol" / "golden" / "advantages.json"
DOC: dict[str, Any] = json.loads(GOLDEN.read_text())


@pytest.mark.parametrize("case", DOC["cases"], ids=[c["name"] for c in DOC["cases"]])
def test_golden_case(case: dict[str, Any]) -> None:
    samples: list[Sample] = []
    for gi, g in enumerate(case["groups"]):
        comps = g.get("components") or [{} for _ in g["rewards"]]
        for r, c in zip(g["rewards"], comps):
            samples.append(Sample(f"g{gi}", float(r), {k: float(v) for k, v in c.items()},
                                  {k: float(v) for k, v in g.get("weights", {}).items()}))
    got = batch_advantages(samples, case["estimator"]).advantages
    want = [a for grp in case["expected"] for a in grp]
    assert got == pytest.approx(want, abs=DOC["tolerance"])


def test_reward_bound_is_the_runners() -> None:
    from agentrl_trainer.advantages import MAX_ABS_REWARD

    assert MAX_ABS_REWARD == DOC["max_abs_reward"]
