// Attack: a bundle whose links, in an order the per-entry check cannot see through, resolve to
// /etc/passwd; an env.ts that imports a host file through a link (the bundler runs on the
// runner's machine); env-relative paths that lead out of the env folder.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileEnv } from "../../remote-runner/src/envs/compile.js";
import { loadEnvironment } from "../../remote-runner/src/envs/load.js";
import { startTestServer, tarGz, type TarEntry as Entry, type TestServer } from "../api/fixture.js";

/**
 * `tasks.jsonl` -> d1/…/d20/(x/..)×21/(..)×20/etc/passwd, then links `x -> .` in the root and in
 * each d_i. Written before the `x` links, the first link looks inside the bundle when read as
 * text; once they exist, each `x/..` climbs one real level more than it seems to.
 */
function chainToPasswd(): Entry[] {
  const dirs = Array.from({ length: 20 }, (_, i) => `d${i + 1}`);
  const target = `${dirs.join("/")}/${"x/../".repeat(21)}${"../".repeat(20)}etc/passwd`;
  const entries: Entry[] = [
    { name: "env.ts", body: 'export default { name: "leak", tasks: "tasks.jsonl", tools: [], rewards: [] };\n' },
    { name: "tasks.jsonl", type: "symlink", linkname: target },
  ];
  entries.push({ name: "x", type: "symlink", linkname: "." });
  for (let i = 1; i <= dirs.length; i++) {
    entries.push({ name: dirs.slice(0, i).join("/"), type: "directory" });
    entries.push({ name: `${dirs.slice(0, i).join("/")}/x`, type: "symlink", linkname: "." });
  }
  return entries;
}

let s: TestServer;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "agentrl-links-"));
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s.close();
  fs.rmSync(scratch, { recursive: true, force: true });
});

describe("bundle links", () => {
  it("the chain really reaches /etc/passwd when unpacked by a plain tar reader", async () => {
    // Guards the attack itself: unpacked with the system's rules, the link reads the host file.
    const dir = path.join(scratch, "plain");
    fs.mkdirSync(dir);
    for (const e of chainToPasswd()) {
      const p = path.join(dir, e.name);
      if (e.type === "directory") fs.mkdirSync(p, { recursive: true });
      else if (e.type === "symlink") fs.symlinkSync(e.linkname as string, p);
      else fs.writeFileSync(p, e.body ?? "");
    }
    expect(fs.readFileSync(path.join(dir, "tasks.jsonl"), "utf8")).toContain("root:");
  });

  it("a link chain resolving outside is refused whatever the entry order, naming the link, echoing nothing", async () => {
    const res = await fetch(`${s.url}/v1/environments`, { method: "POST", headers: { Authorization: `Bearer ${s.token}`, "Content-Type": "application/gzip" }, body: new Uint8Array(await tarGz(chainToPasswd())) });
    const text = await res.text();
    expect(res.status).toBe(400);
    expect(text).toContain('Symlink \\"tasks.jsonl\\" resolves outside the bundle');
    expect(text).toContain("Fix:");
    expect(text).not.toContain("root:");
    // Nothing was kept: no stored folder, no scratch left behind.
    expect(fs.readdirSync(path.join(s.home, "envs")).filter((f) => !f.endsWith(".json"))).toEqual([]);
  });
});

describe("the bundler", () => {
  it("refuses an import that reaches a host file through a link", async () => {
    const secret = path.join(scratch, "host-secret.txt");
    fs.writeFileSync(secret, "HOST-SECRET-4711\n");
    const env = path.join(scratch, "env-import");
    fs.mkdirSync(env);
    fs.symlinkSync(secret, path.join(env, "leak.txt"));
    fs.writeFileSync(path.join(env, "env.ts"), 'import leak from "./leak.txt";\nexport default { name: "x", prompt: leak, tools: [], rewards: [] };\n');
    const err = await compileEnv(env).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/leak\.txt.*resolves outside the environment folder/);
    expect(err?.message).toContain("Fix: copy the file into the environment folder");
    expect(err?.message).not.toContain("HOST-SECRET");
  });
});

describe("env-relative paths", () => {
  it("a tasks file outside the env folder is refused, and its lines are not echoed", async () => {
    const outside = path.join(scratch, "outside.jsonl");
    fs.writeFileSync(outside, "OUTSIDE-LINE-not-json\n");
    const env = path.join(scratch, "env-tasks");
    fs.mkdirSync(env);
    fs.writeFileSync(path.join(env, "env.ts"), 'import { defineEnvironment } from "@agentrl/sdk";\nexport default defineEnvironment({ name: "x", tasks: "../outside.jsonl", prompt: (t) => String(t.id), tools: [], rewards: [] });\n');
    const err = await loadEnvironment(env, { git: false }).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).toContain('"../outside.jsonl" leads outside the environment folder');
    expect(err?.message).not.toContain("OUTSIDE-LINE");
  });
});
