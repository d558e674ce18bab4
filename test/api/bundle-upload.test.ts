import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, tarGz, type TarEntry as Entry, type TestServer } from "./fixture.js";

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer({ bundleLimits: { maxCompressedBytes: 256 * 1024, maxExtractedBytes: 1024 * 1024, maxEntries: 100 } });
});
afterAll(async () => {
  await s.close();
});

async function upload(body: Buffer): Promise<{ status: number; json: { error?: { code: string; message: string }; sha256?: string; files?: number; created?: boolean } }> {
  const res = await fetch(`${s.url}/v1/environments`, { method: "POST", headers: { Authorization: `Bearer ${s.token}`, "Content-Type": "application/gzip" }, body: new Uint8Array(body) });
  return { status: res.status, json: (await res.json()) as never };
}

const envsDir = (): string => path.join(s.home, "envs");
const storedFolders = (): string[] => fs.readdirSync(envsDir()).filter((f) => !f.endsWith(".json"));

describe("POST /v1/environments", () => {
  it("stores a good bundle under envs/<sha256>/ and answers its hash", async () => {
    const body = await tarGz([
      { name: "env.ts", body: "export default 1;\n" },
      { name: "data/tasks.jsonl", body: '{"id":"t1"}\n' },
      { name: "data/link.jsonl", type: "symlink", linkname: "tasks.jsonl" },
      { name: "copy.jsonl", type: "link", linkname: "data/tasks.jsonl" },
    ]);
    const { status, json } = await upload(body);
    expect(status).toBe(201);
    const sha = crypto.createHash("sha256").update(body).digest("hex");
    expect(json).toMatchObject({ sha256: sha, files: 3, created: true });
    const dir = path.join(envsDir(), sha);
    expect(fs.readFileSync(path.join(dir, "env.ts"), "utf8")).toBe("export default 1;\n");
    expect(fs.readFileSync(path.join(dir, "data/link.jsonl"), "utf8")).toBe('{"id":"t1"}\n');
    expect(fs.lstatSync(path.join(dir, "copy.jsonl")).nlink).toBe(1); // a copy, not a hard link
    const again = await upload(body);
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ sha256: sha, created: false });
    const list = (await (await fetch(`${s.url}/v1/environments`, { headers: { Authorization: `Bearer ${s.token}` } })).json()) as { items: { sha256: string }[] };
    expect(list.items.map((i) => i.sha256)).toContain(sha);
  });

  const bad: [string, Entry[], RegExp][] = [
    ["path traversal", [{ name: "ok.ts", body: "1" }, { name: "../escape.ts", body: "x" }], /contains "\.\."/],
    ["nested traversal", [{ name: "a/../../escape.ts", body: "x" }], /contains "\.\."/],
    ["absolute path", [{ name: "/etc/cron.d/evil", body: "x" }], /absolute path/],
    ["symlink escape", [{ name: "evil", type: "symlink", linkname: "../../../etc/passwd" }], /points outside the bundle/],
    ["absolute symlink", [{ name: "evil", type: "symlink", linkname: "/etc/passwd" }], /points outside the bundle/],
    ["symlink chain escape", [{ name: "a", type: "symlink", linkname: "." }, { name: "b", type: "symlink", linkname: "a/../x" }], /points outside the bundle/],
    ["write through a symlink", [{ name: "d", type: "symlink", linkname: "sub" }, { name: "d/file", body: "x" }], /goes through a symlink/],
    ["hard link outside", [{ name: "h", type: "link", linkname: "../../etc/passwd" }], /points outside the bundle/],
    ["hard link to nothing", [{ name: "h", type: "link", linkname: "missing" }], /does not point at a file earlier/],
    ["device file", [{ name: "dev", type: "character-device", devmajor: 1, devminor: 3 }], /character-device/],
    ["fifo", [{ name: "pipe", type: "fifo" }], /fifo/],
    ["empty bundle", [{ name: "dir", type: "directory" }], /holds no files/],
  ];
  for (const [label, entries, message] of bad) {
    it(`rejects ${label} with a message, leaving nothing stored`, async () => {
      const before = storedFolders();
      const { status, json } = await upload(await tarGz(entries));
      expect(status).toBe(400);
      expect(json.error?.code).toBe("invalid_bundle");
      expect(json.error?.message).toMatch(message);
      expect(storedFolders()).toEqual(before);
      expect(fs.existsSync("/tmp/escape.ts")).toBe(false);
    });
  }

  it("rejects an oversized upload with 413", async () => {
    const big = crypto.randomBytes(300 * 1024); // random: gzip cannot shrink it under the 256 KiB limit
    const { status, json } = await upload(await tarGz([{ name: "big.bin", body: big }]));
    expect(status).toBe(413);
    expect(json.error?.message).toMatch(/larger than the limit of 262144 bytes/);
  });

  it("rejects a gzip bomb by its unpacked size", async () => {
    const { status, json } = await upload(await tarGz([{ name: "zeros.bin", body: Buffer.alloc(2 * 1024 * 1024) }]));
    expect(status).toBe(413);
    expect(json.error?.message).toMatch(/unpacks to more than/);
  });

  it("rejects too many entries", async () => {
    const entries = Array.from({ length: 101 }, (_, i) => ({ name: `f${i}`, body: "x" }));
    const { status, json } = await upload(await tarGz(entries));
    expect(status).toBe(400);
    expect(json.error?.message).toMatch(/more than 100 entries/);
  });

  it("rejects truncated gzip and non-gzip bodies", async () => {
    const whole = await tarGz([{ name: "env.ts", body: crypto.randomBytes(4096) }]);
    const truncated = await upload(whole.subarray(0, Math.floor(whole.length / 2)));
    expect(truncated.status).toBe(400);
    expect(truncated.json.error?.message).toMatch(/not a complete tar\.gz/);
    const garbage = await upload(Buffer.from("this is not gzip at all"));
    expect(garbage.status).toBe(400);
    expect(garbage.json.error?.message).toMatch(/tar\.gz/);
  });

  it("rejects a wrong content type with 415", async () => {
    const res = await fetch(`${s.url}/v1/environments`, { method: "POST", headers: { Authorization: `Bearer ${s.token}`, "Content-Type": "application/json" }, body: "{}" });
    expect(res.status).toBe(415);
  });
});
