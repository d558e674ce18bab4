// The lazy policies' building blocks: a wrong value in the same format, minimal tool arguments.
import { describe, expect, it } from "vitest";
import { LazyPolicy, minimalArguments, wrongValue } from "../../remote-runner/src/policy/lazy.js";
import { createPolicy } from "../../remote-runner/src/policy/create.js";

describe("lazy policies", () => {
  it("wrongValue keeps the format and changes the value", () => {
    expect(wrongValue("The result is <answer>1104</answer>")).toBe("The result is <answer>1105</answer>");
    expect(wrongValue("<answer>-2.50</answer>")).toBe("<answer>-1.50</answer>");
    expect(wrongValue("<answer>Paris</answer> done")).toBe("<answer>wrong</answer> done");
    expect(wrongValue("Paris")).toBe("wrong");
  });

  it("minimalArguments fills each required property with its type's zero value or first enum value", () => {
    const spec = { name: "t", description: "", parameters: { type: "object", properties: { a: { type: "string" }, b: { type: "integer" }, c: { enum: ["x", "y"] }, d: { type: ["boolean", "null"] }, e: { type: "string" } }, required: ["a", "b", "c", "d"] } };
    expect(minimalArguments(spec)).toEqual({ a: "", b: 0, c: "x", d: false });
  });

  it("every-tool calls each tool once, then stops; echo repeats the prompt; wrong-value needs a reference", async () => {
    const tools = [{ name: "a", description: "", parameters: { type: "object", properties: {} } }, { name: "b", description: "", parameters: { type: "object", properties: { q: { type: "string" } }, required: ["q"] } }];
    const req = { messages: [{ role: "user" as const, content: "What is 2+2?" }], tools, taskId: "t", sampleIndex: 0, turn: 0, signal: new AbortController().signal };
    const first = await new LazyPolicy("every-tool").chat(req);
    expect(first.toolCalls.map((c) => [c.name, c.argumentsText])).toEqual([["a", "{}"], ["b", '{"q":""}']]);
    expect((await new LazyPolicy("every-tool").chat({ ...req, turn: 1 })).toolCalls).toEqual([]);
    expect((await new LazyPolicy("echo").chat(req)).content).toBe("What is 2+2?");
    expect(() => createPolicy({ spec: "lazy:wrong-value" })).toThrow(/needs the reference script/);
    expect(() => createPolicy({ spec: "lazy:lazier" })).toThrow(/unknown lazy policy "lazier"/);
  });
});
