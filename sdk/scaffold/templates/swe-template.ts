/** Files of a new SWE environment: a repository in the sandbox, file tools, tests as the reward. */
export function sweTemplate(name: string): Record<string, string> {
  return {
    "env.ts": `import { defineEnvironment, defineReward } from "@agentrl/sdk";

// Runs the task's tests inside the sandbox after the episode: 1 when they pass.
const testsPass = defineReward({
  name: "tests_pass",
  weight: 1,
  command: (task) => ["bash", "-lc", String((task.metadata as { test_cmd?: string } | undefined)?.test_cmd ?? "python3 -m pytest -q")],
  parse: "exit_code",
});

export default defineEnvironment({
  name: ${JSON.stringify(name)},
  kind: "swe",
  description: "Fix a bug in a small repository so its tests pass.",
  system: "You are a software engineer. Inspect the repository with the tools, edit files to fix the issue, then reply with a short summary.",
  builtinTools: ["bash", "read_file", "write_file"],
  maxTurns: 20,
  rewards: [testsPass],
});
`,
    "tasks.jsonl": `${JSON.stringify({ id: "swe-001", prompt: "add() in calc.py returns a - b. Fix it.", files: { "/work/calc.py": "def add(a, b):\n    return a - b\n", "/work/test_calc.py": "from calc import add\n\ndef test_add():\n    assert add(2, 3) == 5\n" }, metadata: { test_cmd: "cd /work && python3 -m pytest -q" } })}\n`,
  };
}
