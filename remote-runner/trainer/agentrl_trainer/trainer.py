"""One GRPO-family policy update from a batch of trajectories, on the live policy weights."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import torch

from .advantages import Sample, batch_advantages
from .batch import Trajectory, group_by, parse_batch
from .credit import turn_advantages
from .distributed import Dist, all_max, all_sum, assign_groups, full_trainable_state, gather_to_leader
from .losses import clipped_policy_loss, entropy_from_logits, k3_kl, tis_weights, token_weights
from .models import Policy
from .options import TrainOptions
from .token_logprobs import bounded, place_turns, span_drift, turn_slices


class StepConflict(ValueError):
    """The caller's step number does not follow the trainer's (a retried or skipped step)."""


@dataclass
class _Row:
    ids: list[int]
    start: int  # index in ids of the first completion token
    old: list[float] | None
    adv: list[float]  # per completion token (its turn's advantage)
    weight: float  # per-token loss weight
    mask: list[bool]  # per completion token: sampled by the policy (trained) or context
    tid: str = ""  # the trajectory's id
    # its policy turns in this row's completion; none on a dummy row (nothing returned or compared)
    spans: list[tuple[int, int]] = field(default_factory=list)
    first_turn: int = 0  # index among the trajectory's policy turns of this row's first span


def _segment_rows(t: Trajectory, turn_adv: list[float], weight: float) -> list[_Row]:
    """One row per token sequence of a trajectory; each policy turn's tokens carry its advantage."""
    rows: list[_Row] = []
    k = 0
    for s in t.segments:
        first = k
        adv = [0.0] * len(s.completion_ids)
        for a, b in s.spans:
            adv[a:b] = [turn_adv[k]] * (b - a)
            k += 1
        if s.policy_tokens:
            rows.append(_Row(s.prompt_ids + s.completion_ids, len(s.prompt_ids), s.logprobs, adv, weight,
                             s.loss_mask(), t.trajectory_id, list(s.spans), first))
    return rows


# A row and its completion's logprobs under the trainer's pre-update weights.
_Seen = list[tuple[_Row, list[float]]]


def _turn_logprobs(trajs: list[Trajectory], seen: _Seen) -> dict[str, list[list[float]]]:
    """Per trajectory of `seen`, its policy turns' logprobs (the rows' spans), in batch order."""
    per_traj = place_turns([(r.tid, r.first_turn, turn_slices(lp, r.spans)) for r, lp in seen],
                           {t.trajectory_id: t.turns for t in trajs})
    return {t.trajectory_id: per_traj[t.trajectory_id] for t in trajs if t.trajectory_id in per_traj}


def _dummy(rows: list[_Row]) -> _Row:
    """A row that trains nothing (no token in its loss mask) for a rank with no rows left: the
    shortest row of the batch, or one token when this rank has none at all."""
    src = min(rows, key=lambda r: len(r.ids)) if rows else _Row([0, 0], 1, None, [0.0], 0.0, [False])
    n = len(src.ids) - src.start
    return _Row(src.ids, src.start, None, [0.0] * n, 0.0, [False] * n)


def _full(t: torch.Tensor) -> torch.Tensor:
    """A sharded (DTensor) result as the whole tensor."""
    full = getattr(t, "full_tensor", None)
    return full() if callable(full) else t


def _stats(xs: list[float]) -> tuple[float, float]:
    if not xs:
        return 0.0, 0.0
    m = sum(xs) / len(xs)
    return m, math.sqrt(sum((x - m) ** 2 for x in xs) / len(xs))


class Trainer:
    def __init__(self, policy: Policy, options: TrainOptions | None = None, max_tokens: int | None = None,
                 dist: Dist | None = None) -> None:
        self.policy = policy
        # Several ranks (torchrun + FSDP2): policy.model is this rank's shard, every rank runs
        # train_step on the same batch and trains the groups assigned to it.
        self.dist = dist
        # The whole weights in one model: the policy itself in one process; under torchrun, rank
        # 0's unsharded copy (generation, adapter files, export), refreshed after every update
        # by refresh_full. Other ranks keep their shard here and never read it.
        self.full = policy
        self.options = (options or TrainOptions()).validate()
        # the generation budget per sequence: the default of the constant (Dr.GRPO) normalizer
        self.max_tokens = max_tokens
        if not policy.is_lora:
            for p in policy.model.parameters():
                p.requires_grad_(True)
        params = [p for p in policy.model.parameters() if p.requires_grad]
        if not params:
            raise ValueError("the policy has no trainable parameters")
        self.optimizer = torch.optim.AdamW(params, lr=self.options.lr, weight_decay=self.options.weight_decay)
        self.step = 0
        self.history: list[dict[str, Any]] = []

    def refresh_full(self) -> None:
        """Rank 0's whole copy takes the ranks' current weights. Collective; no-op in one process."""
        if self.dist is None:
            return
        sd = full_trainable_state(self.policy.model, self.policy.is_lora)
        if not self.dist.leader:
            return
        with self.full.lock:
            self.full.for_training()
            res = self.full.model.load_state_dict(sd, strict=False)
        if res.unexpected_keys:
            raise RuntimeError(f"the sharded model has weights rank 0's copy lacks (e.g. {res.unexpected_keys[0]})")

    # -- helpers ---------------------------------------------------------------------------
    def _advantages(self, trajs: list[Trajectory], opts: TrainOptions) -> tuple[list[float], list[bool], int, int]:
        """Advantage per trajectory, whether it is trained, zero-variance and total groups."""
        samples = [Sample(t.group_id, t.reward, t.components, t.component_weights, t.trajectory_id) for t in trajs]
        res = batch_advantages(samples, opts.estimator)
        keep = [not (z and opts.drop_zero_variance) for z in res.zero_variance]
        return res.advantages, keep, res.zero_variance_groups, res.groups

    def _turn_advantages(self, trajs: list[Trajectory], adv: list[float], keep: list[bool],
                         opts: TrainOptions) -> list[list[float]]:
        """Advantage of every policy turn (turn-level credit); a group whose outcome did not vary
        is trained after all when its turns got different credit."""
        out: list[list[float]] = [[] for _ in trajs]
        for idx in group_by(trajs).values():
            per_turn = turn_advantages(
                opts.credit, [adv[i] for i in idx], [trajs[i].reward for i in idx],
                [trajs[i].turn_rewards for i in idx], [trajs[i].turns for i in idx],
                [trajs[i].turn_states for i in idx], opts.gamma, opts.step_weight,
            )
            varied = opts.credit != "outcome" and any(x != 0.0 for row in per_turn for x in row)
            for i, row in zip(idx, per_turn):
                out[i] = row
                keep[i] = keep[i] or varied
        return out

    def _norm_tokens(self, opts: TrainOptions) -> int:
        n = opts.norm_tokens or self.max_tokens or 0
        if n < 1:
            raise ValueError(
                "the constant loss normalizer (Dr.GRPO) needs the generation budget per sequence: "
                "set options.norm_tokens (or start the trainer with --max-tokens)"
            )
        return n

    def _logprobs(
        self, rows: list[_Row], shared_prefix: bool, temperature: float
    ) -> tuple[list[torch.Tensor], list[torch.Tensor], int]:
        """Log-probs of each row's completion tokens under softmax(logits / temperature), the
        distribution the sampler drew from (with grad), their entropies (no grad), and the
        number of token positions the model ran."""
        with self.policy.autocast():
            # Not across ranks: the shared path runs the model twice per micro-batch, the padded
            # path once, and FSDP needs every rank to run the same sequence of forward passes.
            if shared_prefix and self.dist is None and len({tuple(r.ids[: r.start]) for r in rows}) < len(rows):
                return self._logprobs_shared(rows, temperature)
            return self._logprobs_padded(rows, temperature)

    def _logprobs_padded(
        self, rows: list[_Row], temperature: float
    ) -> tuple[list[torch.Tensor], list[torch.Tensor], int]:
        ids, mask = self._pad(rows)
        logits = self.policy.model(input_ids=ids, attention_mask=mask).logits
        lps, ents = [], []
        for b, r in enumerate(rows):
            n = len(r.ids) - r.start
            lg = logits[b, r.start - 1 : r.start - 1 + n].float() / temperature
            tgt = ids[b, r.start : r.start + n]
            lps.append(torch.log_softmax(lg, dim=-1).gather(-1, tgt.unsqueeze(-1)).squeeze(-1))
            with torch.no_grad():
                ents.append(entropy_from_logits(lg.detach()))
        return lps, ents, int(mask.sum())

    def _logprobs_shared(
        self, rows: list[_Row], temperature: float
    ) -> tuple[list[torch.Tensor], list[torch.Tensor], int]:
        """Same result, but each distinct prompt runs once: its KV cache (still part of the
        autograd graph) is copied to the rows that continue it. A GRPO group shares its
        prompt, so on short answers this cuts the work by about the group size."""
        dev = self.policy.device
        pad = int(self.policy.tokenizer.pad_token_id or 0)
        uniq: dict[tuple[int, ...], int] = {}
        src = [uniq.setdefault(tuple(r.ids[: r.start]), len(uniq)) for r in rows]
        prompts = list(uniq)
        pw = max(len(p) for p in prompts)
        p_ids = torch.full((len(prompts), pw), pad, dtype=torch.long)
        p_mask = torch.zeros((len(prompts), pw), dtype=torch.long)
        for i, p in enumerate(prompts):  # left-padded, so every prompt ends at the same column
            p_ids[i, pw - len(p):] = torch.tensor(p)
            p_mask[i, pw - len(p):] = 1
        p_ids, p_mask = p_ids.to(dev), p_mask.to(dev)
        p_pos = (p_mask.cumsum(-1) - 1).clamp(min=0)
        out = self.policy.model(input_ids=p_ids, attention_mask=p_mask, position_ids=p_pos,
                                use_cache=True, logits_to_keep=1)
        idx = torch.tensor(src, dtype=torch.long, device=dev)
        cache = out.past_key_values
        cache.reorder_cache(idx)
        first_logits = out.logits[:, -1, :][idx]
        cw = max(len(r.ids) - r.start for r in rows)
        c_ids = torch.full((len(rows), cw), pad, dtype=torch.long)
        c_mask = torch.zeros((len(rows), cw), dtype=torch.long)
        for b, r in enumerate(rows):
            comp = r.ids[r.start:]
            c_ids[b, : len(comp)] = torch.tensor(comp)
            c_mask[b, : len(comp)] = 1
        c_ids, c_mask = c_ids.to(dev), c_mask.to(dev)
        c_pos = p_pos[idx][:, -1:] + 1 + torch.arange(cw, device=dev).unsqueeze(0)
        full_mask = torch.cat([p_mask[idx], c_mask], dim=1)
        logits = self.policy.model(input_ids=c_ids, attention_mask=full_mask, position_ids=c_pos,
                                   past_key_values=cache, use_cache=True).logits
        lps, ents = [], []
        for b, r in enumerate(rows):
            n = len(r.ids) - r.start
            # token 0 is predicted by the prompt's last position, token j by completion position j-1
            lg = torch.cat([first_logits[b : b + 1], logits[b, : n - 1]], dim=0).float() / temperature
            tgt = c_ids[b, :n]
            lps.append(torch.log_softmax(lg, dim=-1).gather(-1, tgt.unsqueeze(-1)).squeeze(-1))
            with torch.no_grad():
                ents.append(entropy_from_logits(lg.detach()))
        return lps, ents, int(p_mask.sum()) + int(c_mask.sum())

    def _pad(self, rows: list[_Row]) -> tuple[torch.Tensor, torch.Tensor]:
        pad = self.policy.tokenizer.pad_token_id or 0
        width = max(len(r.ids) for r in rows)
        ids = torch.full((len(rows), width), int(pad), dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for b, r in enumerate(rows):
            ids[b, : len(r.ids)] = torch.tensor(r.ids)
            mask[b, : len(r.ids)] = 1
        return ids.to(self.policy.device), mask.to(self.policy.device)

    # -- the update ------------------------------------------------------------------------
    def _update(self, rows: list[_Row], opts: TrainOptions, micro_batches: int,
                any_rows: bool) -> tuple[dict[str, float], _Seen, int, float]:
        """Forward/backward over micro-batches (gradients accumulate), then one optimizer step.
        `micro_batches` is the same on every rank; a rank out of rows runs a dummy one (no
        trained token, so no gradient), because FSDP's gathers and reductions are collective.
        Also returns each row's completion logprobs from the forward pass: every micro-batch runs
        before the optimizer step, so they are the pre-update weights' logprobs."""
        for g in self.optimizer.param_groups:
            g["lr"] = opts.lr
        totals = {k: 0.0 for k in ("loss", "pg", "kl", "ent", "clip", "ratio", "tis", "n")}
        seen: _Seen = []
        tokens_seen = 0
        grad_norm = 0.0
        with self.policy.lock:
            self.policy.for_training()
            model = self.policy.model
            model.train()
            try:
                self.optimizer.zero_grad(set_to_none=True)
                for k in range(micro_batches):
                    mb = rows[k * opts.micro_batch : (k + 1) * opts.micro_batch] or [_dummy(rows)]
                    lps, ents, ran = self._logprobs(mb, opts.shared_prefix, opts.temperature)
                    tokens_seen += ran
                    refs: list[torch.Tensor] | None = None
                    if opts.kl_beta > 0:
                        with torch.no_grad(), model.disable_adapter():
                            refs, _, _ = self._logprobs(mb, opts.shared_prefix, opts.temperature)
                    loss = torch.zeros((), device=self.policy.device)
                    for j, (r, lp_all) in enumerate(zip(mb, lps)):
                        # only the policy's own tokens count; tool results in between are context
                        m = torch.tensor(r.mask, dtype=torch.bool, device=lp_all.device)
                        ref = refs[j][m] if refs is not None else None
                        loss = loss + self._row_loss(r, lp_all[m], m, ref, opts, totals)
                        totals["ent"] += float(ents[j][m].sum())
                        if r.spans:
                            seen.append((r, lp_all.detach().float().cpu().tolist()))
                    loss.backward()
                    totals["loss"] += float(loss.detach())
                if any_rows:
                    params = [p for g in self.optimizer.param_groups for p in g["params"]]
                    grad_norm = float(_full(torch.nn.utils.clip_grad_norm_(params, opts.max_grad_norm)))
                    self.optimizer.step()
                    self.optimizer.zero_grad(set_to_none=True)
            finally:
                model.eval()
        return totals, seen, tokens_seen, grad_norm

    def _recompute(self, rows: list[_Row], opts: TrainOptions, micro_batches: int) -> tuple[_Seen, int]:
        """Each row's completion logprobs from a no-grad forward pass (the rows the update leaves
        out), so drift is measured on every step, trained or not; and the positions run. The same
        number of micro-batches on every rank (dummy rows where one runs out), as in the update."""
        seen: _Seen = []
        ran = 0
        with self.policy.lock, torch.no_grad():
            self.policy.for_training()
            self.policy.model.eval()
            for k in range(micro_batches):
                mb = rows[k * opts.micro_batch : (k + 1) * opts.micro_batch] or [_dummy(rows)]
                lps, _, n = self._logprobs(mb, opts.shared_prefix, opts.temperature)
                seen.extend((r, lp.float().cpu().tolist()) for r, lp in zip(mb, lps) if r.spans)
                ran += n
        return seen, ran

    def _my_rows(self, groups: list[list[_Row]], micro_batch: int) -> tuple[list[_Row], int]:
        """This rank's rows (whole groups, balanced by tokens over the ranks) and the number of
        micro-batches every rank runs. One process: all rows."""
        if self.dist is None:
            rows = [r for g in groups for r in g]
            return rows, -(-len(rows) // micro_batch)
        owner = assign_groups([sum(len(r.ids) for r in g) for g in groups], self.dist.world)
        counts = [sum(len(g) for g, o in zip(groups, owner) if o == k) for k in range(self.dist.world)]
        mine = [r for g, o in zip(groups, owner) if o == self.dist.rank for r in g]
        return mine, max(-(-c // micro_batch) for c in counts)

    def _summed(self, totals: dict[str, float], drift: list[float],
                tokens_seen: int) -> tuple[dict[str, float], float | None, float | None, int]:
        """Statistics of the whole batch: every rank's parts added up. Collective."""
        if self.dist is None:
            return (totals, max(drift) if drift else None, (sum(drift) / len(drift)) if drift else None,
                    tokens_seen)
        keys = sorted(totals)
        summed = all_sum(self.dist, [totals[k] for k in keys] + [float(tokens_seen), sum(drift), float(len(drift))])
        dmax = all_max(self.dist, max(drift) if drift else float("-inf"))
        n_drift = summed[-1]
        return (dict(zip(keys, summed))), (dmax if n_drift else None), (summed[-2] / n_drift if n_drift else None), \
            int(summed[len(keys)])

    def _gathered(self, trajs: list[Trajectory], seen: _Seen, max_tokens: int) -> tuple[dict[str, list[list[float]]], int]:
        """Every rank's per-turn logprobs on rank 0 (the one that answers), in batch order, at most
        `max_tokens` values; and how many trajectories the bound left out. Collective."""
        mine = _turn_logprobs(trajs, seen)
        if self.dist is None:
            return bounded(mine, max_tokens)
        parts = gather_to_leader(self.dist, mine)
        merged = {k: v for part in parts for k, v in part.items()}
        return bounded({t.trajectory_id: merged[t.trajectory_id] for t in trajs if t.trajectory_id in merged}, max_tokens)

    def _row_loss(
        self, r: _Row, lp: torch.Tensor, m: torch.Tensor, ref: torch.Tensor | None, opts: TrainOptions,
        totals: dict[str, float],
    ) -> torch.Tensor:
        """The weighted loss of one row's policy tokens (lp: their logprobs, m: their mask over
        the completion); adds its statistics to totals."""
        new = lp.detach()
        sampled = None if r.old is None else torch.tensor(r.old, dtype=torch.float32, device=lp.device)[m]
        # batch: the sampler's logprobs are the old policy (the sampler is this trainer).
        # recompute: the trainer's own logprobs are; the sampler's only give the TIS weight.
        old = sampled if (sampled is not None and opts.old_logprobs == "batch") else new
        a = torch.tensor(r.adv, dtype=torch.float32, device=lp.device)[m]
        pg, clipped = clipped_policy_loss(lp, old, a, opts.eps_low, opts.eps_high, opts.clip_ratio_c)
        if opts.old_logprobs == "recompute" and sampled is not None and opts.tis_cap > 0:
            w = tis_weights(new, sampled, opts.tis_cap)
            pg = pg * w
            totals["tis"] += float(w.sum())
        else:
            totals["tis"] += float(lp.numel())
        per_tok = pg
        if ref is not None:
            kl = k3_kl(lp, ref)
            per_tok = pg + opts.kl_beta * kl
            totals["kl"] += float(kl.detach().sum())
        totals["pg"] += float(r.weight * pg.detach().sum())
        totals["clip"] += float(clipped.float().sum())
        totals["ratio"] += float(torch.exp(torch.clamp(new - old, -20.0, 20.0)).sum())
        totals["n"] += lp.numel()
        return r.weight * per_tok.sum()

    def train_step(self, raw: Any, overrides: dict[str, Any] | None = None, step: int | None = None) -> dict[str, Any]:
        if step is not None and step != self.step + 1:
            raise StepConflict(
                f"step {step} does not follow the trainer's last step {self.step}; "
                f"send step {self.step + 1} (or omit 'step')"
            )
        opts = self.options.with_overrides(overrides)
        trajs = parse_batch(raw, self.policy.vocab_size)
        if opts.kl_beta > 0 and not self.policy.is_lora:
            raise ValueError(
                "kl_beta > 0 needs the reference model, which is the LoRA-disabled policy; "
                "train with LoRA (--lora-rank > 0) or set kl_beta to 0"
            )
        t0 = time.perf_counter()
        adv, keep, zero_groups, n_groups = self._advantages(trajs, opts)
        turn_adv = self._turn_advantages(trajs, adv, keep, opts)
        trained = [i for i in range(len(trajs)) if keep[i]]
        agg = opts.aggregation()
        norm = self._norm_tokens(opts) if agg == "constant" else 0
        # Dr.GRPO's constant counts every sequence of the batch, as TRL's dr_grpo loss does
        weights = token_weights([trajs[i].completion_tokens for i in trained], agg, norm, len(trajs))
        by_group: dict[str, list[_Row]] = {}
        for i, w in zip(trained, weights):
            by_group.setdefault(trajs[i].group_id, []).extend(_segment_rows(trajs[i], turn_adv[i], w))
        rows = [r for g in by_group.values() for r in g]
        # What the update leaves out (zero-variance groups, or all of a skipped update) still gets
        # the trainer's logprobs, from a no-grad pass run first: the update changes the weights.
        left: dict[str, list[_Row]] = {}
        for i in range(len(trajs)) if opts.recompute_untrained else ():
            if not keep[i]:
                left.setdefault(trajs[i].group_id, []).extend(_segment_rows(trajs[i], turn_adv[i], 0.0))
        t_fwd = time.perf_counter()
        left_mine, left_batches = self._my_rows(list(left.values()), opts.micro_batch)
        left_mine.sort(key=lambda r: r.ids[: r.start])
        measured, fwd_ran = self._recompute(left_mine, opts, left_batches) if left else ([], 0)
        fwd_s = time.perf_counter() - t_fwd
        mine, micro_batches = self._my_rows(list(by_group.values()), opts.micro_batch)
        mine.sort(key=lambda r: r.ids[: r.start])  # rows sharing a prompt land in one micro-batch
        local, seen, local_seen, grad_norm = self._update(mine, opts, micro_batches, bool(rows))
        seen += measured
        drift = [d for r, lp in seen for d in span_drift(lp, r.old, r.spans)]
        totals, drift_max, drift_mean, tokens_seen = self._summed(local, drift, local_seen + fwd_ran)
        returned, omitted = self._gathered(trajs, seen, opts.return_logprobs_tokens)
        elapsed = time.perf_counter() - t0
        self.step += 1
        n = max(int(totals["n"]), 1)
        rewards = [t.reward for t in trajs]
        r_mean, r_std = _stats(rewards)
        comp_names = sorted({k for t in trajs for k in t.components})
        metrics: dict[str, Any] = {
            "step": self.step,
            "loss": totals["loss"],
            "pg_loss": totals["pg"],
            "kl": totals["kl"] / n,
            "entropy": totals["ent"] / n,
            "clip_fraction": totals["clip"] / n,
            "ratio_mean": totals["ratio"] / n,
            "tis_weight_mean": totals["tis"] / n,
            "grad_norm": grad_norm,
            "lr": opts.lr,
            "reward_mean": r_mean,
            "reward_std": r_std,
            "reward_components": {
                c: dict(zip(("mean", "std"), _stats([t.components.get(c, 0.0) for t in trajs]))) for c in comp_names
            },
            "advantage_abs_mean": sum(abs(a) for a in adv) / len(adv),
            "estimator": opts.estimator,
            "loss_agg": agg,
            # the advantage each trained trajectory was trained with (the runner stores these)
            "trajectory_advantages": {trajs[i].trajectory_id: adv[i] for i in trained},
            "groups": n_groups,
            "zero_variance_groups": zero_groups,
            "trajectories": len(trajs),
            "trained_trajectories": len(trained),
            "completion_tokens": sum(sum(r.mask) for r in rows),
            # batch tokens (prompt + completion of every row) per second of the whole step;
            # positions_run is what the model actually ran after sharing prompts
            "tokens": sum(len(r.ids) for r in rows),
            "tokens_per_s": sum(len(r.ids) for r in rows) / elapsed if elapsed > 0 else 0.0,
            "positions_run": tokens_seen,
            "time_s": elapsed,
            # the no-grad pass over trajectories the update left out (recompute_untrained)
            "recompute_s": fwd_s,
            "recomputed_trajectories": len({r.tid for g in left.values() for r in g}),
            "logprob_drift_max": drift_max,
            "logprob_drift_mean": drift_mean,
            "updated": bool(rows),
            "trajectory_logprobs_omitted": omitted,
        }
        if not rows:
            metrics["skipped"] = "every group had zero reward variance; nothing to learn from this batch"
        if self.step == 1 and drift_max is not None and drift_max > opts.drift_tolerance:
            metrics["drift_warning"] = (
                f"sampled logprobs differ from the trainer's recompute by up to {drift_max:.3g} "
                f"(> {opts.drift_tolerance}); the rollouts may come from another model, dtype or tokenization"
            )
        self.history.append(metrics)
        # per trajectory, per policy turn: the trainer's logprob of each sampled token under its
        # weights before this step's update; the runner stores them on the turns.
        # Not kept in the history (checkpoints, /v1/state): they are the trajectories' data.
        return {**metrics, "trajectory_logprobs": returned}
