// The agent tools in a real sandbox of a swe-mini repository: what the model sees for each call.
import type { Task } from "@agentrl/protocol";
import type { AnyTool, SandboxHandle } from "@agentrl/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sweKind } from "../../remote-runner/src/envs/kinds/swe/kind.js";
import { DockerSandboxProvider } from "../../remote-runner/src/sandbox/docker-provider.js";
import type { Sandbox } from "../../remote-runner/src/sandbox/types.js";
import { handleOf, SWE_MINI_DIR, sweMiniTasks, tempDir, TEST_LABELS } from "./support.js";

let provider: DockerSandboxProvider;
let sb: Sandbox;
let handle: SandboxHandle;
let tools: Map<string, AnyTool>;
let task: Task;

async function call(name: string, args: Record<string, unknown>): Promise<string> {
  const t = tools.get(name);
  if (!t || !("run" in t)) throw new Error(`no tool ${name}`);
  const out = await t.run(args, { task, state: {}, sandbox: handle, turn: 0, signal: new AbortController().signal });
  return typeof out === "string" ? out : out.output;
}

beforeAll(async () => {
  process.env.AGENTRL_HOME = tempDir("home");
  provider = await DockerSandboxProvider.connect();
  task = sweMiniTasks().find((t) => t.id === "statkit-median-even") as Task;
  const kind = sweKind({ dir: SWE_MINI_DIR, provider });
  tools = new Map(kind.tools.map((t) => [t.name, t]));
  sb = await provider.create(await kind.sandboxSpec(task, { image: "unused", labels: TEST_LABELS }));
  handle = handleOf(sb);
}, 300_000);

afterAll(async () => {
  await sb?.destroy();
  await provider.removeByLabels(TEST_LABELS);
});

describe("swe tools", () => {
  it("exposes bash, view, str_replace, create, search and submit", () => {
    expect([...tools.keys()]).toEqual(["bash", "view", "str_replace", "create", "search", "submit"]);
  });

  it("view lists a folder (no .git) and shows a file with line numbers and ranges", async () => {
    const listing = await call("view", { path: "." });
    expect(listing).toContain("./statkit/stats.py");
    expect(listing).not.toContain(".git/");
    const file = await call("view", { path: "statkit/stats.py", view_range: [7, 8] });
    expect(file).toBe("     7\tdef median(values):\n     8\t    \"\"\"Middle value of the sorted data; the average of the two middle values for even counts.\"\"\"");
    expect(await call("view", { path: "statkit/stats.py", view_range: [90, 95] })).toMatch(/^Error: view_range \[90, 95\] is outside the file, which has \d+ lines/);
    expect(await call("view", { path: "nope.py" })).toMatch(/^Error: \/testbed\/nope.py does not exist/);
  });

  it("view of a long file shows the first 400 lines and says which range comes next", async () => {
    await call("bash", { command: "seq 1 1000 > /tmp/long.txt" });
    const out = await call("view", { path: "/tmp/long.txt" });
    expect(out).toContain("   400\t400");
    expect(out).not.toContain("   401\t401");
    expect(out).toMatch(/\[\.\.\. 600 more lines\. To see more: call view with view_range \[401, 800\]\]$/);
  });

  it("bash output that is too long is cut with a marker saying how to see more", async () => {
    const out = await call("bash", { command: "seq 1 100000" });
    expect(out).toMatch(/\[\.\.\. \d+ characters truncated\. To see more: run the command again piped through `head -n N`/);
    expect(out.startsWith("1\n2\n3\n")).toBe(true);
    expect(out.endsWith("99999\n100000")).toBe(true);
    expect(await call("bash", { command: "exit 3" })).toContain("[exit code 3]");
  });

  it("str_replace needs exactly one match, keeps the file's mode, and shows the edited lines", async () => {
    expect(await call("str_replace", { path: "statkit/stats.py", old_str: "no such text", new_str: "x" })).toMatch(/^Error: old_str was not found/);
    expect(await call("str_replace", { path: "statkit/stats.py", old_str: "    data = sorted(values)\n", new_str: "    data = sorted(values)\n" })).toMatch(/^Edited/);
    expect(await call("str_replace", { path: "statkit/stats.py", old_str: "raise ValueError", new_str: "raise ValueError" })).toMatch(/^Error: old_str occurs 2 times in \/testbed\/statkit\/stats.py \(lines \d+, \d+\)/);
    await call("bash", { command: "chmod +x statkit/stats.py && git add statkit/stats.py && git commit -qm mode" });
    const edited = await call("str_replace", { path: "statkit/stats.py", old_str: "return data[mid]", new_str: "return data[mid]  # middle" });
    expect(edited).toMatch(/^Edited \/testbed\/statkit\/stats.py\. Lines \d+-\d+ now read:\n.*# middle/s);
    expect((await call("bash", { command: "git diff | grep -c 'mode' || true" })).trim()).toBe("0");
  });

  it("create refuses to overwrite, makes folders, and search finds it", async () => {
    expect(await call("create", { path: "statkit/stats.py", file_text: "x" })).toMatch(/^Error: \/testbed\/statkit\/stats.py already exists\. Use str_replace/);
    expect(await call("create", { path: "statkit/extra/new_mod.py", file_text: "MARKER_42 = 1\n" })).toBe("Created /testbed/statkit/extra/new_mod.py (2 lines).");
    expect(await call("search", { pattern: "MARKER_4[0-9]" })).toBe("1 match:\n/testbed/statkit/extra/new_mod.py:1:MARKER_42 = 1");
    expect(await call("search", { pattern: "nothing_like_this_anywhere" })).toBe("No matches for /nothing_like_this_anywhere/ in /testbed.");
  });

  it("submit ends the episode", async () => {
    const t = tools.get("submit");
    if (!t || !("run" in t)) throw new Error("no submit");
    expect(await t.run({}, { task, state: {}, sandbox: handle, turn: 0, signal: new AbortController().signal })).toEqual({ output: "Submitted. Your changes will be tested.", done: true, answer: "submitted" });
  });
});
