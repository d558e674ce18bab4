import os from "node:os";
import path from "node:path";
import type { BlobRef, Task } from "@agentrl/protocol";
import { defineTool, type HarborOptions } from "@agentrl/sdk";
import type { ProgressFn } from "../../../images/progress.js";
import type { ScriptedTurn } from "../../../policy/scripted.js";
import { DockerSandboxProvider } from "../../../sandbox/docker-provider.js";
import type { SandboxProvider } from "../../../sandbox/types.js";
import { KindTaskError, type EnvKind, type ScoringKindInstance } from "../types.js";
import { ensureHarborImage } from "./image.js";
import { loadHarborTasks, readFolder, type HarborTask } from "./task-folder.js";
import { runVerifier, type VerifierReport } from "./verifier.js";

/** Where Harbor tasks write besides the working folder (the root filesystem is read-only): logs, the tests, the oracle's solution. */
const HARBOR_WRITABLE = ["/logs", "/tests", "/solution"];

/** Said on every trajectory of a task that asks for the internet: sandboxes here never get a network. */
const NO_INTERNET_NOTE =
  "task.toml allows internet access; this runner never gives sandboxes a network, so the task ran offline (agent and tests). Tasks that need downloads must bring their files in environment/";

/** The shell the model works in: bash in the task's workdir (the image's last WORKDIR). */
const SHELL_TOOL = defineTool<{ command: string }>({
  name: "bash",
  description: "Run a bash command in the task's working folder and return its output. Stop calling tools when the task is done.",
  parameters: { type: "object", properties: { command: { type: "string", description: "The command line, run with bash -c." } }, required: ["command"], additionalProperties: false },
  command: (args) => ["bash", "-c", args.command],
});

/** `solution/` put in /solution and solve.sh run from the workdir, as one shell call: Harbor's oracle agent. */
function oracleTurns(task: HarborTask): ScriptedTurn[] {
  const files = readFolder(path.join(task.dir, "solution"));
  const writes = Object.entries(files).map(([rel, data]) => `mkdir -p "$(dirname '/solution/${rel}')" && echo '${data.toString("base64")}' | base64 -d > '/solution/${rel}'`);
  return [{ content: "Running the task's reference solution.", tool_calls: [{ name: "bash", arguments: { command: [...writes, "bash /solution/solve.sh"].join(" && \\\n") } }] }];
}

/**
 * The `harbor` kind: a folder of Harbor tasks run as they are. Each task's image is built from its
 * environment/Dockerfile mapped onto the offline base; the model gets its instruction and a shell in
 * the workdir; after the episode its tests/ are uploaded into a fresh container from the final state
 * and tests/test.sh decides the reward (reward.txt or reward.json, any number).
 */
export function harborKind(env: { dir: string; options?: HarborOptions; progress?: ProgressFn; provider?: SandboxProvider }): ScoringKindInstance<VerifierReport> {
  const { byId } = loadHarborTasks(env.dir, env.options?.tasks ?? ".");
  const images = new Map<string, Promise<{ image: string; workdir: string }>>();
  let provider: Promise<SandboxProvider> | null = env.provider ? Promise.resolve(env.provider) : null;
  const harborTask = (task: Task): HarborTask => {
    const t = byId.get(task.id);
    if (!t) throw new KindTaskError(`task "${task.id}" is not a Harbor task folder of this environment. Fix: run the tasks the folder holds`);
    return t;
  };
  const image = (t: HarborTask): Promise<{ image: string; workdir: string }> => {
    let p = images.get(t.id);
    if (!p) {
      p = ensureHarborImage(t, env.progress);
      images.set(t.id, p);
    }
    return p;
  };
  return {
    tools: [SHELL_TOOL],
    async sandboxSpec(task, base) {
      const t = harborTask(task);
      const built = await image(t);
      const limits = { ...base.limits };
      if (t.config.cpus) limits.cpus = Math.min(t.config.cpus, os.cpus().length);
      if (t.config.memoryMb) limits.memoryBytes = Math.round(t.config.memoryMb * 2 ** 20);
      return { ...base, image: built.image, workdir: built.workdir, limits, writable: HARBOR_WRITABLE };
    },
    episodeTimeoutMs(task) {
      const s = byId.get(task.id)?.config.agentTimeoutSec;
      return s ? s * 1000 : undefined;
    },
    async finish({ task, sandbox, labels, putBlob }) {
      const t = harborTask(task);
      const built = await image(t);
      const snapshot = await sandbox.use((sb) => sb.snapshot());
      const p = await (provider ??= DockerSandboxProvider.connect());
      const notes = t.config.allowInternet ? [NO_INTERNET_NOTE] : [];
      try {
        const limits = { ...(t.config.cpus ? { cpus: Math.min(t.config.cpus, os.cpus().length) } : {}), ...(t.config.memoryMb ? { memoryBytes: Math.round(t.config.memoryMb * 2 ** 20) } : {}) };
        const { reward, report } = await runVerifier({ task: t, provider: p, snapshot, spec: { labels, limits, writable: HARBOR_WRITABLE }, workdir: built.workdir, notes });
        const artifacts: Record<string, BlobRef> = { verifier_report: putBlob(Buffer.from(JSON.stringify(report, null, 2)), "application/json") };
        return { reward, artifacts, score: report };
      } finally {
        if (p instanceof DockerSandboxProvider) await p.docker.getImage(snapshot.imageId).remove({ force: true }).catch(() => {});
      }
    },
    reference(task) {
      const t = byId.get(task.id);
      return t?.hasSolution ? oracleTurns(t) : null;
    },
  };
}

/** The registry entry: tasks come from Harbor task folders (`harbor.tasks`, default the env folder itself). */
export const HARBOR_KIND: EnvKind<VerifierReport> = {
  name: "harbor",
  loadTasks: ({ dir, def }) => loadHarborTasks(dir, (def.kind === "harbor" ? def.harbor?.tasks : undefined) ?? "."),
  folderEnv: (dir) =>
    loadHarborTasks(dir, ".").tasks.length
      ? [
          'import { defineEnvironment, defineReward } from "@agentrl/sdk";',
          "// Generated for a folder of Harbor tasks without env.ts: each task runs as it is.",
          "export default defineEnvironment({",
          `  name: ${JSON.stringify(path.basename(dir))},`,
          '  kind: "harbor",',
          "  maxTurns: 30,",
          '  system: "You are working in a Linux shell. Use the bash tool to complete the task; stop calling tools when you are done.",',
          '  rewards: [defineReward({ name: "commands", weight: 0, score: (ctx) => Math.min(1, ctx.toolCalls / 30) })],',
          "});",
        ].join("\n")
      : null,
  create: ({ dir, def, progress }) => harborKind({ dir, options: def.kind === "harbor" ? def.harbor : undefined, progress }),
};
