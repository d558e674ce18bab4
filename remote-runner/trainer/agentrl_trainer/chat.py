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
    tools = tools or None
    if _template_knows_tools(tok):
        text = tok.apply_chat_template(msgs, tools=tools, tokenize=False, add_generation_prompt=True)
    else:
        text = tok.apply_chat_template(_fold_for_plain_template(msgs, tools), tokenize=False, add_generation_prompt=True)
    assert isinstance(text, str)
    ids: list[int] = tok(text, add_special_tokens=False)["input_ids"]
    return ids


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
