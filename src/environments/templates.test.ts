// Every New Environment template must be an environment the runner accepts as written: compiled,
// validated and its tasks loaded by the runner's own loader (no Docker needed for that).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadEnvironment } from "../../remote-runner/src/envs/load";
import { guiTemplate } from "./templates/gui-template";
import { sweTemplate } from "./templates/swe-template";
import { toolTemplate } from "./templates/tool-template";

describe("New Environment templates", () => {
  for (const [kind, make] of [["tool", toolTemplate], ["swe", sweTemplate], ["gui", guiTemplate]] as const) {
    it(`the ${kind} template loads in the runner with its name, kind, rewards and tasks`, async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), `agentrl-template-${kind}-`));
      try {
        for (const [file, text] of Object.entries(make(`my-${kind}`))) fs.writeFileSync(path.join(dir, file), text);
        const env = await loadEnvironment(dir, { git: false });
        expect(env.info.name).toBe(`my-${kind}`);
        expect(env.info.kind).toBe(kind);
        expect(env.tasks.length).toBeGreaterThan(0);
        expect(env.def.rewards.length).toBeGreaterThan(0);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
