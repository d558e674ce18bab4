"""One batched sampling loop with a KV cache: per-row temperature, top_p, seed, token limit.

Reported logprobs are of the distribution the token was drawn from before top_p,
softmax(logits / T) (T = 1 for greedy rows), the same quantity the trainer recomputes with its
`temperature` option (as TRL and verl do), so old/new logprob ratios are comparable."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from .models import Policy


@dataclass
class Row:
    prompt_ids: list[int]
    max_tokens: int
    temperature: float
    top_p: float
    seed: int
    top_logprobs: int = 0
    # called after each sampled token with (token id, logprob, top [(id, logprob)])
    on_token: Callable[[int, float, list[tuple[int, float]]], bool] | None = None
    # filled in by generate()
    tokens: list[int] = field(default_factory=list)
    logprobs: list[float] = field(default_factory=list)
    tops: list[list[tuple[int, float]]] = field(default_factory=list)
    finish_reason: str = "length"
    # set from another thread when the client has gone: generation stops at the next token
    cancelled: bool = False


def _sample_all(
    logits: torch.Tensor, rows: list[Row], live: list[int], gens: list[torch.Generator]
) -> torch.Tensor:
    """Next token of every live row, computed on the model's device in one pass; only the
    multinomial draw is per row, so each row keeps its own seeded generator."""
    dev = logits.device
    temps = torch.tensor([max(rows[i].temperature, 1e-6) for i in live], device=dev).unsqueeze(1)
    probs = torch.softmax(logits[live].float() / temps, dim=-1)
    top_ps = [rows[i].top_p for i in live]
    if min(top_ps) < 1.0:
        sorted_p, idx = torch.sort(probs, descending=True)
        tp = torch.tensor(top_ps, device=dev).unsqueeze(1)
        keep = (torch.cumsum(sorted_p, dim=-1) - sorted_p) < tp  # always keeps the top token
        probs = torch.zeros_like(probs).scatter(1, idx, sorted_p * keep)
    out = torch.empty(len(live), dtype=torch.long, device=dev)
    for j, i in enumerate(live):
        if rows[i].temperature <= 0.0:
            out[j] = torch.argmax(logits[i])
        else:
            out[j] = torch.multinomial(probs[j], 1, generator=gens[i])[0]
    return out


def logprobs_at_temperature(logits: torch.Tensor, temperatures: list[float]) -> torch.Tensor:
    """log softmax(logits / T) per row (float32); T <= 0 (greedy) reports T = 1."""
    t = torch.tensor([x if x > 0 else 1.0 for x in temperatures], device=logits.device).unsqueeze(1)
    return torch.log_softmax(logits.float() / t, dim=-1)


@torch.inference_mode()
def generate(policy: Policy, rows: list[Row]) -> None:
    """Samples all rows together (left-padded), stopping each at EOS or its token limit."""
    if not rows:
        return
    policy.for_generation()
    with policy.autocast():
        _generate(policy, rows)


def _generate(policy: Policy, rows: list[Row]) -> None:
    model, dev = policy.model, policy.device
    pad = policy.tokenizer.pad_token_id
    pad = int(pad) if pad is not None else 0
    eos = policy.eos_ids()
    # Prefill each distinct prompt once (the n samples of a request share it), then copy its
    # KV cache to every row that uses it: prefill dominates CPU time for short answers.
    uniq: dict[tuple[int, ...], int] = {}
    row_src = [uniq.setdefault(tuple(r.prompt_ids), len(uniq)) for r in rows]
    prompts = list(uniq)
    width = max(len(p) for p in prompts)
    ids = torch.full((len(prompts), width), pad, dtype=torch.long)
    mask = torch.zeros((len(prompts), width), dtype=torch.long)
    for i, p in enumerate(prompts):
        ids[i, width - len(p):] = torch.tensor(p)
        mask[i, width - len(p):] = 1
    ids, mask = ids.to(dev), mask.to(dev)
    pos = (mask.cumsum(-1) - 1).clamp(min=0)
    gens = [torch.Generator(device=dev).manual_seed(r.seed) for r in rows]
    done = [r.max_tokens <= 0 for r in rows]
    for i, r in enumerate(rows):
        if done[i]:
            r.finish_reason = "length"
    out = model(input_ids=ids, attention_mask=mask, position_ids=pos, use_cache=True, logits_to_keep=1)
    past = out.past_key_values
    src = torch.tensor(row_src, dtype=torch.long, device=dev)
    if len(prompts) != len(rows) or row_src != list(range(len(rows))):
        past.reorder_cache(src)
    mask, pos = mask[src], pos[src]
    logits = out.logits[:, -1, :][src]
    last_pos = pos[:, -1]
    while not all(done):
        live = [i for i in range(len(rows)) if not done[i]]
        logp_all = logprobs_at_temperature(logits, [r.temperature for r in rows])
        chosen = _sample_all(logits, rows, live, gens)
        tok_list = chosen.tolist()
        lp_list = logp_all[live].gather(1, chosen.unsqueeze(1)).squeeze(1).tolist()
        nxt = [pad] * len(rows)
        for j, i in enumerate(live):
            r = rows[i]
            tok, lp = int(tok_list[j]), float(lp_list[j])
            top: list[tuple[int, float]] = []
            if r.top_logprobs > 0:
                v, k = torch.topk(logp_all[i], r.top_logprobs)
                top = [(int(a), float(b)) for a, b in zip(k.tolist(), v.tolist())]
            if r.cancelled:
                done[i], r.finish_reason = True, "abort"
                continue
            r.tokens.append(tok)
            r.logprobs.append(lp)
            r.tops.append(top)
            stop_by_callback = r.on_token(tok, lp, top) if r.on_token else False
            if tok in eos or stop_by_callback:
                done[i], r.finish_reason = True, "stop"
            elif len(r.tokens) >= r.max_tokens:
                done[i], r.finish_reason = True, "length"
            nxt[i] = tok
        if all(done):
            break
        step_ids = torch.tensor(nxt, dtype=torch.long, device=dev).unsqueeze(1)
        mask = torch.cat([mask, torch.ones((len(rows), 1), dtype=torch.long, device=dev)], dim=1)
        last_pos = last_pos + 1
        out = model(
            input_ids=step_ids, attention_mask=mask, position_ids=last_pos.unsqueeze(1),
            past_key_values=past, use_cache=True,
        )
        past = out.past_key_values
        logits = out.logits[:, -1, :]
