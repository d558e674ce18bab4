// Attack: another local user reads the runner's data folder (token, store, uploaded code) or the
// compiled bundles cached for it, or a caller binds the API to the network without TLS.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileEnv } from "../../remote-runner/src/envs/compile.js";
import { CALCULATOR } from "../api/runner-fixture.js";
import { startServe, stopServes, type ServeProcess } from "../api/serve-process.js";
import { buildCli, startRunnerProcess, type TestRunner } from "./support.js";

const parent = fs.mkdtempSync(path.join(os.tmpdir(), "agentrl-home-parent-"));
const runners: TestRunner[] = [];

beforeAll(() => buildCli());
afterAll(async () => {
  await stopServes(runners);
  fs.rmSync(parent, { recursive: true, force: true });
});

describe("the data folder", () => {
  it("is created 0700 from its first creation, with every parent the runner makes", async () => {
    const home = path.join(parent, "new", "home");
    runners.push(await startRunnerProcess({}, [], home));
    expect(fs.statSync(home).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(parent, "new")).mode & 0o777).toBe(0o700);
  });

  it("one an older version left world-readable is closed at the next start", async () => {
    const home = path.join(parent, "old");
    fs.mkdirSync(home, { mode: 0o755 });
    fs.chmodSync(home, 0o755);
    runners.push(await startRunnerProcess({}, [], home));
    expect(fs.statSync(home).mode & 0o777).toBe(0o700);
  });
});

describe("compiled bundles", () => {
  it("are cached readable by their owner only", async () => {
    const compiled = await compileEnv(CALCULATOR);
    expect(fs.statSync(compiled.bundlePath).mode & 0o077).toBe(0);
    expect(fs.statSync(path.dirname(compiled.bundlePath)).mode & 0o077).toBe(0);
  });
});

describe("binding a non-loopback address", () => {
  it("is refused without TLS, naming the fix; --insecure allows it", async () => {
    const home = path.join(parent, "bind");
    const refused = startServe({ AGENTRL_HOME: home, AGENTRL_TOKEN: "bind-test-token-0123456789" }, ["--host", "0.0.0.0"]);
    await expect(refused).rejects.toThrow(/refusing to serve plain HTTP on 0\.0\.0\.0.*--tls-cert.*--insecure/s);
    const s: ServeProcess = await startServe({ AGENTRL_HOME: home, AGENTRL_TOKEN: "bind-test-token-0123456789" }, ["--host", "0.0.0.0", "--insecure"]);
    runners.push({ ...s, home });
    expect(s.stderr()).toContain("without TLS (--insecure)");
  });
});
