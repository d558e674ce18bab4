"""Token-exact continuation of a multi-turn conversation with SmolLM2's real chat template."""

from __future__ import annotations

import pytest
from transformers import PreTrainedTokenizerBase

from agentrl_trainer.chat import ChatError, render_continuation, render_prompt
from agentrl_trainer.models import load_tokenizer

TOOLS = [{"type": "function", "function": {"name": "lookup", "description": "Look a code up.",
                                           "parameters": {"type": "object", "properties": {"key": {"type": "string"}}}}}]


@pytest.fixture(scope="module")
def tok() -> PreTrainedTokenizerBase:
    return load_tokenizer("smollm2-135m")


def ids(tok: PreTrainedTokenizerBase, text: str) -> list[int]:
    out: list[int] = tok(text, add_special_tokens=False)["input_ids"]
    return out


def test_a_cleanly_ended_turn_continues_exactly_as_the_full_render(tok: PreTrainedTokenizerBase) -> None:
    call = '<tool_call>\n{"name": "lookup", "arguments": {"key": "ruby"}}\n</tool_call>'
    first = [{"role": "system", "content": "Find codes."}, {"role": "user", "content": "Code of ruby?"}]
    prompt = render_prompt(tok, first, TOOLS)
    sampled = ids(tok, call) + [tok.eos_token_id]
    convo = first + [{"role": "assistant", "content": call}, {"role": "tool", "content": "4821"}]
    cont = render_continuation(tok, convo, TOOLS, prompt + sampled, {tok.eos_token_id})
    # the history is the sampled tokens, and the new part is what the template renders for it
    assert cont[: len(prompt) + len(sampled)] == prompt + sampled
    assert cont == render_prompt(tok, convo, TOOLS)
    tail = tok.decode(cont[len(prompt) + len(sampled):])
    assert tail == "\n<|im_start|>user\n<tool_response>\n4821\n</tool_response><|im_end|>\n<|im_start|>assistant\n"


def test_a_turn_cut_at_the_token_limit_gets_its_end_marker(tok: PreTrainedTokenizerBase) -> None:
    first = [{"role": "user", "content": "Hi"}]
    prompt = render_prompt(tok, first)
    sampled = ids(tok, "Hello the")  # no EOS: the turn ran out of tokens
    cont = render_continuation(tok, first + [{"role": "assistant", "content": "Hello the"},
                                             {"role": "user", "content": "go on"}], None, prompt + sampled, {tok.eos_token_id})
    assert cont[: len(prompt) + len(sampled)] == prompt + sampled
    assert str(tok.decode(cont[len(prompt) + len(sampled):])).startswith("<|im_end|>\n<|im_start|>user\ngo on")


def test_a_token_the_model_wrote_is_kept_even_when_decoding_would_change_it(tok: PreTrainedTokenizerBase) -> None:
    # " <|im_start|>" written as text by the model re-tokenizes differently; the prefix is kept as is
    first = [{"role": "user", "content": "Hi"}]
    prompt = render_prompt(tok, first)
    sampled = ids(tok, "a") + ids(tok, "b") + [tok.eos_token_id]  # two tokens where "ab" may be one
    cont = render_continuation(tok, first + [{"role": "assistant", "content": "ab"}, {"role": "user", "content": "x"}],
                               None, prompt + sampled, {tok.eos_token_id})
    assert cont[: len(prompt) + len(sampled)] == prompt + sampled


def test_continuation_needs_an_assistant_turn(tok: PreTrainedTokenizerBase) -> None:
    with pytest.raises(ChatError, match="no assistant message"):
        render_continuation(tok, [{"role": "user", "content": "Hi"}], None, [1, 2], {tok.eos_token_id})
