import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseHermesToolCalls, renderHermesTools } from "../../remote-runner/src/policy/hermes.js";
import { normalizeBaseUrl } from "../../remote-runner/src/policy/openai.js";
import { toWireMessages } from "../../remote-runner/src/policy/openai-messages.js";
import { loadScript } from "../../remote-runner/src/policy/scripted.js";
import { sseData } from "../../remote-runner/src/policy/sse.js";
import { tempDir } from "../rollout/support.js";

describe("Hermes text tool calls", () => {
  it("parses several calls, an unclosed last block, and flags broken JSON", () => {
    const text = 'a<tool_call>{"name":"f","arguments":{"x":1}}</tool_call> b <tool_call>{"name": "g", "arguments": "{\\"y\\": 2}"}</tool_call><tool_call>{oops}</tool_call><tool_call>{"name":"h"}';
    const calls = parseHermesToolCalls(text, "c");
    expect(calls.map((c) => c.name)).toEqual(["f", "g", "", "h"]);
    expect(calls[0]?.argumentsText).toBe('{"x":1}');
    expect(calls[1]?.argumentsText).toBe('{"y": 2}');
    expect(calls[2]?.parseError).toMatch(/not valid JSON/);
    expect(calls[3]?.argumentsText).toBe("{}");
    expect(calls.map((c) => c.id)).toEqual(["c_0", "c_1", "c_2", "c_3"]);
  });

  it("renders tools for the system prompt", () => {
    const s = renderHermesTools([{ name: "f", description: "does f", parameters: { type: "object" } }]);
    expect(s).toContain("<tools>\n{\"type\":\"function\",\"function\":{\"name\":\"f\"");
    expect(s).toContain("<tool_call>");
  });

  it("replays text-format turns verbatim with results as <tool_response> user messages", () => {
    const wire = toWireMessages([
      { role: "user", content: "q" },
      { role: "assistant", content: "<tool_call>{}</tool_call>", toolCallSource: "text", toolCalls: [{ id: "c_0", name: "f", arguments: {}, rawArguments: "{}" }] },
      { role: "tool", content: "r1", toolCallId: "c_0" },
      { role: "tool", content: "r2", toolCallId: "c_1" },
      { role: "assistant", content: "", toolCallSource: "native", toolCalls: [{ id: "n1", name: "f", arguments: {}, rawArguments: "{}" }] },
      { role: "tool", content: "r3", toolCallId: "n1" },
    ]);
    expect(wire[1]).toEqual({ role: "assistant", content: "<tool_call>{}</tool_call>" });
    expect(wire[2]).toEqual({ role: "user", content: "<tool_response>\nr1\n</tool_response>\n<tool_response>\nr2\n</tool_response>" });
    expect(wire[3]).toEqual({ role: "assistant", content: null, tool_calls: [{ id: "n1", type: "function", function: { name: "f", arguments: "{}" } }] });
    expect(wire[4]).toEqual({ role: "tool", tool_call_id: "n1", content: "r3" });
  });
});

describe("transport helpers", () => {
  it("normalizes base URLs", () => {
    expect(normalizeBaseUrl("http://h:8000")).toBe("http://h:8000/v1");
    expect(normalizeBaseUrl("http://h:8000/v1/")).toBe("http://h:8000/v1");
    expect(normalizeBaseUrl("http://h:8000/v1/chat/completions")).toBe("http://h:8000/v1");
  });

  it("splits server-sent events across arbitrary chunk boundaries", async () => {
    const raw = 'data: {"a":1}\n\ndata: {"b":\ndata: 2}\n\n: comment\n\ndata: [DONE]\n\ndata: {"after":1}\n\n';
    const bytes = new TextEncoder().encode(raw);
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < bytes.length; i += 5) c.enqueue(bytes.slice(i, i + 5));
        c.close();
      },
    });
    const out: string[] = [];
    for await (const d of sseData(body)) out.push(d);
    expect(out).toEqual(['{"a":1}', '{"b":\n2}']);
  });
});

describe("scripted policy files", () => {
  it("names the file and line of a broken entry", () => {
    const dir = tempDir("script");
    const file = path.join(dir, "s.jsonl");
    fs.writeFileSync(file, '{"task_id":"a","turns":[]}\n\n{"task_id": "b", "turns": [\n');
    expect(() => loadScript(file)).toThrow(new RegExp(`${file.replace(/[/.]/g, "\\$&")}:3: invalid JSON`));
    fs.writeFileSync(file, '{"task": "a"}\n');
    expect(() => loadScript(file)).toThrow(/s\.jsonl:1: expected \{"task_id"/);
    expect(() => loadScript(path.join(dir, "missing.jsonl"))).toThrow(/does not exist/);
  });
});
