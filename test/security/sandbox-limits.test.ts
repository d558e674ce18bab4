// Attack: an environment sets limits that Docker reads as "no limit" (0, -1) to get an unbounded sandbox.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validateEnvironmentModule } from "../../remote-runner/src/envs/validate.js";
import type { DockerSandboxProvider } from "../../remote-runner/src/sandbox/docker-provider.js";
import type { DockerSandbox } from "../../remote-runner/src/sandbox/docker-sandbox.js";
import { SandboxError } from "../../remote-runner/src/sandbox/types.js";
import { sandboxEnv } from "../helpers/sandbox-env.js";

let provider: DockerSandboxProvider;
let image: string;
const made: DockerSandbox[] = [];

beforeAll(async () => {
  ({ provider, image } = await sandboxEnv());
});

afterAll(async () => {
  await Promise.all(made.map((s) => s.destroy()));
});

/** A module as its env host describes it (functions are markers: validation runs on data). */
function envWith(limits: Record<string, number>): Record<string, unknown> {
  return { default: { __agentrl: "environment", name: "x", sandbox: { limits }, rewards: [{ __agentrl: "reward", name: "r", score: { $bundleFunction: "rewards[0].score" } }] } };
}

describe("sandbox limits", () => {
  it("an env asking for memoryBytes 0, pids -1, cpus 0 is refused at load, each field named with its fix", () => {
    const { env, issues } = validateEnvironmentModule(envWith({ memoryBytes: 0, pids: -1, cpus: 0 }), "env.ts");
    expect(env).toBeNull();
    const byField = new Map(issues.map((i) => [i.field, i]));
    for (const f of ["sandbox.limits.memoryBytes", "sandbox.limits.pids", "sandbox.limits.cpus"]) {
      expect(byField.get(f)?.message, f).toMatch(/must be a positive .*no limit/);
      expect(byField.get(f)?.fix, f).toMatch(/set it to e\.g\./);
    }
    const big = validateEnvironmentModule(envWith({ pids: 10_000_000, diskBytes: 1.5 }), "env.ts");
    expect(big.issues.map((i) => i.field).sort()).toEqual(["sandbox.limits.diskBytes", "sandbox.limits.pids"]);
    expect(big.issues.find((i) => i.field === "sandbox.limits.pids")?.message).toMatch(/above this runner's maximum/);
    expect(validateEnvironmentModule(envWith({ memoryBytes: 256 * 2 ** 20, pids: 64, cpus: 0.5 }), "env.ts").issues).toEqual([]);
  });

  it("the sandbox provider refuses them too (a second line for callers that skip env validation)", async () => {
    for (const limits of [{ pids: -1 }, { memoryBytes: 0 }, { cpus: 0 }]) {
      const err = await provider.create({ image, limits }).then(
        (sb) => {
          made.push(sb);
          return null;
        },
        (e: unknown) => e,
      );
      expect(err, JSON.stringify(limits)).toBeInstanceOf(SandboxError);
      expect((err as Error).message).toMatch(new RegExp(`sandbox\\.limits\\.${Object.keys(limits)[0]} must be a positive.*fix: set it to`));
    }
  });
});
