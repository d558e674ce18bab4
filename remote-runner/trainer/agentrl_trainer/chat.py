"""Chat rendering through the model's own chat template (with tools), and Hermes-style
`<tool_call>{json}</tool_call>` parsing of generated text into OpenAI `tool_calls`."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from transformers import PreTrainedTokenizerBase

TOOL_CALL_RE = re.compile(r"<tool_call>\s*(.*?)\s*</tool_call>", re.DOTALL)


class ChatError(ValueError):
    """A chat request the server cannot render; the message names the field."""


def _template_knows_tools(tok: PreTrainedTokenizerBase) -> bool:
    tpl = tok.chat_template
    return isinstance(tpl, str) and "tools" in tpl


def _hermes_system(tools: list[dict[str, Any]]) -> str:
    # The Hermes / Qwen2.5 tool prompt, for templates that have no tool support of their own.
    specs = "\n".join(json.dumps(t, ensure_ascii=False) for t in tools)
    return (
        "# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
        "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n"
        f"{specs}\n</tools>\n\nFor each function call, return a json object with function name and "
        "arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n"
        '{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call>'
    )


def _content_text(content: Any, where: str) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # OpenAI content parts; only text can be rendered here
        parts = []
        for p in content:
            if isinstance(p, dict) and p.get("type") == "text":
                parts.append(str(p.get("text", "")))
            else:
                raise ChatError(f"{where}: only text content parts are supported by this text model")
        return "".join(parts)
    raise ChatError(f"{where}: content must be a string, a list of text parts, or null")


def _fold_for_plain_template(messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """For a template without tool support: tools go into the system prompt, assistant
    tool calls become <tool_call> text and tool results become <tool_response> user turns."""
    out: list[dict[str, Any]] = []
    for m in messages:
        role = m["role"]
        text = m["content"]
        if role == "assistant" and m.get("tool_calls"):
            calls = []
            for c in m["tool_calls"]:
                fn = c.get("function", {})
                args = fn.get("arguments", "{}")
                try:
                    args_obj = json.loads(args) if isinstance(args, str) else args
                except json.JSONDecodeError:
                    args_obj = args
                calls.append("<tool_call>\n" + json.dumps({"name": fn.get("name"), "arguments": args_obj}) + "\n</tool_call>")
            text = (text + "\n" if text else "") + "\n".join(calls)
        if role == "tool":
            role, text = "user", f"<tool_response>\n{text}\n</tool_response>"
        out.append({"role": role, "content": text})
    if tools:
        sys_text = _hermes_system(tools)
        if out and out[0]["role"] == "system":
            out[0] = {"role": "system", "content": out[0]["content"] + "\n\n" + sys_text}
        else:
            out.insert(0, {"role": "system", "content": sys_text})
    return out


def normalize_messages(messages: Any) -> list[dict[str, Any]]:
    if not isinstance(messages, list) or not messages:
        raise ChatError("'messages' must be a non-empty list of {role, content} objects")
    out = []
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or "role" not in m:
            raise ChatError(f"messages[{i}] must be an object with a 'role'")
        role = m["role"]
        if role not in ("system", "developer", "user", "assistant", "tool"):
            raise ChatError(f"messages[{i}].role '{role}' is not one of system, user, assistant, tool")
        mm = dict(m)
        mm["role"] = "system" if role == "developer" else role
        mm["content"] = _content_text(m.get("content"), f"messages[{i}]")
        out.append(mm)
    return out


def render_prompt(tok: PreTrainedTokenizerBase, messages: Any, tools: Any = None) -> list[int]:
    """Token ids of the prompt exactly as the model sees it (chat template + generation prompt)."""
    msgs = normalize_messages(messages)
    if tools is not None and (not isinstance(tools, list) or not all(isinstance(t, dict) for t in tools)):
        raise ChatError("'tools' must be a list of OpenAI tool objects ({type: function, function: {...}})")
    text = _render_text(tok, msgs, tools or None, True)
    ids: list[int] = tok(text, add_special_tokens=False)["input_ids"]
    return ids


# Stands in for the assistant turn a continuation starts after; the template's text after it is
# the end-of-turn marker that closes every assistant turn.
_MARK = "\u2063AGENTRL_TURN_END\u2063"


def _render_text(tok: PreTrainedTokenizerBase, msgs: list[dict[str, Any]], tools: Any, generation_prompt: bool) -> str:
    if _template_knows_tools(tok):
        text = tok.apply_chat_template(msgs, tools=tools, tokenize=False, add_generation_prompt=generation_prompt)
    else:
        text = tok.apply_chat_template(_fold_for_plain_template(msgs, tools), tokenize=False,
                                       add_generation_prompt=generation_prompt)
    assert isinstance(text, str)
    return text


def render_continuation(tok: PreTrainedTokenizerBase, messages: Any, tools: Any, prefix_ids: list[int],
                        eos_ids: set[int]) -> list[int]:
    """Token ids of the next prompt of a multi-turn episode: `prefix_ids` (the previous prompt and
    the tokens the model sampled, exactly) followed by the messages after the last assistant
    message (tool results, a user reply) as the chat template renders them, and the generation
    prompt. The history is never re-rendered from decoded text, so the model conditions on what it
    sampled (special tokens and the exact tool-call text included).

    The suffix is the template's text after a stand-in assistant turn: it starts with the
    end-of-turn marker, which is dropped when the sampled turn already ended with it (EOS)."""
    msgs = normalize_messages(messages)
    if tools is not None and (not isinstance(tools, list) or not all(isinstance(t, dict) for t in tools)):
        raise ChatError("'tools' must be a list of OpenAI tool objects ({type: function, function: {...}})")
    last = max((i for i, m in enumerate(msgs) if m["role"] == "assistant"), default=-1)
    if last < 0:
        raise ChatError("'prefix_token_ids' continues an assistant turn, but 'messages' has no assistant message")
    new = msgs[last + 1:]  # may be empty: the model speaks again after its own turn
    stand_in = [{"role": "user", "content": "-"}, {"role": "assistant", "content": _MARK}]
    base = _render_text(tok, stand_in, tools or None, False)
    full = _render_text(tok, stand_in + new, tools or None, True)
    cut = base.rfind(_MARK)
    if cut < 0 or not full.startswith(base):
        raise ChatError("this chat template does not render a conversation as a prefix of its continuation; "
                        "send the messages without 'prefix_token_ids'")
    suffix = full[cut + len(_MARK):]
    if prefix_ids and prefix_ids[-1] in eos_ids:
        eos_text = str(tok.decode([prefix_ids[-1]]))
        if eos_text and suffix.startswith(eos_text):
            suffix = suffix[len(eos_text):]
    ids: list[int] = tok(suffix, add_special_tokens=False)["input_ids"]
    return list(prefix_ids) + ids


def parse_tool_calls(text: str) -> tuple[str | None, list[dict[str, Any]]]:
    """Splits generated text into (remaining content, OpenAI tool_calls). A block whose JSON
    does not parse stays in the content, so the environment can see what the model wrote."""
    calls: list[dict[str, Any]] = []
    kept: list[str] = []
    pos = 0
    for m in TOOL_CALL_RE.finditer(text):
        try:
            obj = json.loads(m.group(1))
        except json.JSONDecodeError:
            continue
        if not isinstance(obj, dict) or not isinstance(obj.get("name"), str):
            continue
        args = obj.get("arguments", obj.get("parameters", {}))
        calls.append({
            "id": "call_" + uuid.uuid4().hex[:24],
            "type": "function",
            "function": {"name": obj["name"], "arguments": args if isinstance(args, str) else json.dumps(args)},
        })
        kept.append(text[pos:m.start()])
        pos = m.end()
    kept.append(text[pos:])
    content = "".join(kept).strip() if calls else text
    return (content or None), calls
