// A SWE-bench instance in its published JSON form, its repository served from a local mirror (built
// here from a small repository with real git), imported and run through the same swe kind.
import fs from "node:fs";
import path from "node:path";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadTasks } from "../../remote-runner/src/envs/tasks.js";
import { SweTaskError } from "../../remote-runner/src/envs/kinds/swe/errors.js";
import { git } from "../../remote-runner/src/envs/kinds/swe/git-env.js";
import { registerSweBenchImport } from "../../remote-runner/src/envs/kinds/swe/import-command.js";
import { importSweBench } from "../../remote-runner/src/envs/kinds/swe/import-swebench.js";
import { sweKind } from "../../remote-runner/src/envs/kinds/swe/kind.js";
import { referenceTurns } from "../../remote-runner/src/envs/kinds/swe/reference.js";
import { DockerSandboxProvider } from "../../remote-runner/src/sandbox/docker-provider.js";
import { runScripted, tempDir, TEST_LABELS } from "./support.js";

let provider: DockerSandboxProvider;
let mirrors: string;
let instance: Record<string, unknown>;

const ID = { GIT_AUTHOR_NAME: "Dev", GIT_AUTHOR_EMAIL: "dev@example.invalid", GIT_COMMITTER_NAME: "Dev", GIT_COMMITTER_EMAIL: "dev@example.invalid" };

function write(dir: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
}

/** A small upstream repository with two commits; the bug is in the second. Returns its base commit, gold patch and test patch. */
async function makeUpstream(dir: string): Promise<{ base: string; patch: string; testPatch: string }> {
  const g = git(dir, ID);
  await g.init(["--initial-branch=main"]);
  write(dir, {
    "tinylib/__init__.py": "",
    "tinylib/units.py": "def to_fahrenheit(c):\n    return c * 9 / 5 + 32\n",
    "tests/__init__.py": "",
    "tests/test_units.py": "from tinylib.units import to_fahrenheit\n\n\ndef test_freezing():\n    assert to_fahrenheit(0) == 32\n",
  });
  await g.raw(["add", "-A"]);
  await g.raw(["commit", "-q", "-m", "fahrenheit"]);
  fs.appendFileSync(path.join(dir, "tinylib/units.py"), "\n\ndef to_celsius(f):\n    return (f - 32) * 5 / 8\n");
  await g.raw(["commit", "-q", "-am", "celsius"]);
  const base = (await g.raw(["rev-parse", "HEAD"])).trim();
  const src = fs.readFileSync(path.join(dir, "tinylib/units.py"), "utf8");
  fs.writeFileSync(path.join(dir, "tinylib/units.py"), src.replace("* 5 / 8", "* 5 / 9"));
  const patch = await g.raw(["diff"]);
  await g.raw(["checkout", "--", "."]);
  write(dir, { "tests/test_celsius.py": "from tinylib.units import to_celsius\n\n\ndef test_boiling():\n    assert to_celsius(212) == 100\n" });
  await g.raw(["add", "-A"]);
  const testPatch = await g.raw(["diff", "--cached"]);
  await g.raw(["reset", "-q", "--hard"]);
  return { base, patch, testPatch };
}

beforeAll(async () => {
  process.env.AGENTRL_HOME = tempDir("home");
  provider = await DockerSandboxProvider.connect();
  const upstream = tempDir("upstream");
  const { base, patch, testPatch } = await makeUpstream(upstream);
  mirrors = tempDir("mirrors");
  await git().raw(["clone", "--quiet", "--mirror", upstream, path.join(mirrors, "acme__tinylib.git")]);
  // Host mirrors are the operator's to name (AGENTRL_SWE_MIRRORS); an env's own `mirrors` must stay inside its folder.
  process.env.AGENTRL_SWE_MIRRORS = mirrors;
  fs.rmSync(upstream, { recursive: true, force: true });
  // The published form: test lists as JSON strings, fields SWE-bench has that we do not use kept as they are.
  instance = {
    repo: "acme/tinylib",
    instance_id: "acme__tinylib-1",
    base_commit: base,
    patch,
    test_patch: testPatch,
    problem_statement: "to_celsius(212) returns 112.5 instead of 100.",
    hints_text: "",
    created_at: "2024-01-02T03:04:05Z",
    version: "0.1",
    FAIL_TO_PASS: JSON.stringify(["tests/test_celsius.py::test_boiling"]),
    PASS_TO_PASS: JSON.stringify(["tests/test_units.py::test_freezing"]),
    environment_setup_commit: base,
  };
});

afterAll(async () => {
  delete process.env.AGENTRL_SWE_MIRRORS;
  await provider.removeByLabels(TEST_LABELS);
});

describe("SWE-bench instances", () => {
  it("import into tasks.jsonl lines that the task loader accepts, JSON-string lists and extra fields kept", () => {
    const { tasks, jsonl } = importSweBench(JSON.stringify([instance]));
    expect(tasks).toHaveLength(1);
    expect(tasks[0]?.id).toBe("acme__tinylib-1");
    expect(tasks[0]?.prompt).toContain("to_celsius(212) returns 112.5");
    expect(tasks[0]?.prompt).not.toContain("test_boiling");
    const dir = tempDir("env");
    fs.writeFileSync(path.join(dir, "tasks.jsonl"), jsonl);
    const loaded = loadTasks(path.join(dir, "tasks.jsonl"));
    expect(loaded.issues).toEqual([]);
    expect((loaded.tasks[0] as Record<string, unknown>).created_at).toBe("2024-01-02T03:04:05Z");
  });

  it("run from the local mirror: the gold patch through the tools resolves it, doing nothing does not", async () => {
    const task = importSweBench(JSON.stringify(instance)).tasks[0];
    if (!task) throw new Error("no task");
    const kind = sweKind({ dir: tempDir("env"), options: {}, provider });
    const ref = await runScripted(kind, provider, task, referenceTurns(String(instance.patch)));
    expect(ref.score.resolved).toBe(true);
    expect(ref.score.passToPass).toEqual({ passed: 1, total: 1, broken: [] });
    expect(ref.reward.total).toBeCloseTo(1, 6);
    const noop = await runScripted(kind, provider, task, [{ content: "", tool_calls: [{ name: "submit", arguments: {} }] }]);
    expect(noop.score.resolved).toBe(false);
    expect(noop.reward.total).toBe(0);
  }, 300_000);

  it("the agent's repository has no later history to copy the fix from", async () => {
    const task = importSweBench(JSON.stringify(instance)).tasks[0];
    if (!task) throw new Error("no task");
    const kind = sweKind({ dir: tempDir("env"), options: {}, provider });
    const r = await runScripted(kind, provider, task, [{ content: "", tool_calls: [{ name: "bash", arguments: { command: "git log --oneline | wc -l; git status --porcelain | wc -l" } }] }]);
    expect(r.outputs[0]?.trim().split("\n")).toEqual(["1", "0"]);
  }, 300_000);

  it("without a mirror the error names the repository and how to make one", async () => {
    const task = importSweBench(JSON.stringify({ ...instance, repo: "acme/absent", instance_id: "acme__absent-1" })).tasks[0];
    if (!task) throw new Error("no task");
    const kind = sweKind({ dir: tempDir("env"), options: {}, provider });
    const err = await kind.sandboxSpec(task, { image: "unused" }).catch((e: unknown) => e);
    expect((err as SweTaskError).code).toBe("repo_unavailable");
    expect((err as Error).message).toMatch(/no local mirror of acme\/absent .*git clone --mirror https:\/\/github.com\/acme\/absent.git/s);
  });

  it("an env's own mirrors option cannot name a host folder outside the env (the operator's AGENTRL_SWE_MIRRORS can)", async () => {
    const task = importSweBench(JSON.stringify(instance)).tasks[0];
    if (!task) throw new Error("no task");
    const kind = sweKind({ dir: tempDir("env"), options: { mirrors: [mirrors] }, provider });
    const err = await kind.sandboxSpec(task, { image: "unused" }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/options\.mirrors.*leads outside the environment folder.*Fix:/s);
  });

  it("agentrl import swebench writes the tasks with the toolchain and install commands given", async () => {
    const dir = tempDir("import");
    fs.writeFileSync(path.join(dir, "dev.jsonl"), `${JSON.stringify(instance)}\n`);
    const program = new Command().exitOverride();
    registerSweBenchImport(program.command("import"));
    const lines: string[] = [];
    const log = console.log;
    console.log = (l: string) => lines.push(l);
    try {
      await program.parseAsync(["node", "agentrl", "import", "swebench", path.join(dir, "dev.jsonl"), "--out", path.join(dir, "tasks.jsonl"), "--apt", "python3-pytest,python3-numpy", "--install", "pip install -e .", "--test-timeout", "30000"]);
    } finally {
      console.log = log;
    }
    expect(lines[0]).toMatch(/^wrote 1 SWE tasks to .*tasks\.jsonl/);
    const task = JSON.parse(fs.readFileSync(path.join(dir, "tasks.jsonl"), "utf8")) as Record<string, unknown>;
    expect(task).toMatchObject({ id: "acme__tinylib-1", apt: ["python3-pytest", "python3-numpy"], install: ["pip install -e ."], test_timeout_ms: 30000, FAIL_TO_PASS: instance.FAIL_TO_PASS });
  });

  it("a broken instance is reported with its position and field", () => {
    const bad = { ...instance, FAIL_TO_PASS: "[not json" };
    expect(() => importSweBench(JSON.stringify([instance, bad]), "dev.json")).toThrow(/dev.json #2: task "acme__tinylib-1": "FAIL_TO_PASS" is a string but not JSON/);
  });
});
