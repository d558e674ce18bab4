import { describe, expect, it } from "vitest";
import { typedAction } from "./ForkPanel";

describe("fork form", () => {
  it("turns the typed text and tool call into an action, and names the problem with bad arguments", () => {
    expect(typedAction("", "calculate", '{"expression": "1 + 1"}')).toEqual({ toolCalls: [{ name: "calculate", arguments: { expression: "1 + 1" } }] });
    expect(typedAction("<answer>2</answer>", "", "")).toEqual({ content: "<answer>2</answer>" });
    expect(typedAction("", "calculate", "{oops")).toMatch(/not JSON .*Fix: write a JSON object/);
    expect(typedAction("", "calculate", "[1]")).toMatch(/must be a JSON object/);
  });
});
