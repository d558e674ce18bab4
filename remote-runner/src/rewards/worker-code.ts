/**
 * Source of the reward worker process (run with `node -e`, so it needs no file of its own in the
 * bundled CLI). It imports the env bundle, runs one reward's `score` at a time, and forwards sandbox
 * and judge calls over its IPC channel to the runner, which owns the container and the keys.
 */
export const REWARD_WORKER_SOURCE = `
const { pathToFileURL } = require("node:url");
const parentPort = { postMessage: (m) => process.send(m), on: (ev, f) => process.on(ev, f) };
// The runner going away closes the channel: nothing is left to score for.
process.on("disconnect", () => process.exit(0));
const envPromise = import(pathToFileURL(process.env.AGENTRL_REWARD_BUNDLE).href).then((m) => m.default);
let nextCall = 0;
const pending = new Map();
function sandboxCall(jobId, method, args) {
  return new Promise((resolve, reject) => {
    const id = ++nextCall;
    pending.set(id, { resolve, reject });
    parentPort.postMessage({ type: "sandbox", jobId, id, method, args });
  });
}
parentPort.on("message", async (msg) => {
  if (msg.type === "sandbox-result") {
    const p = pending.get(msg.id);
    pending.delete(msg.id);
    if (!p) return;
    if (msg.error !== undefined) p.reject(new Error(msg.error)); else p.resolve(msg.value);
    return;
  }
  if (msg.type !== "score") return;
  try {
    const env = await envPromise;
    // The time limit starts now: loading the env bundle into a fresh worker is not the reward's time.
    parentPort.postMessage({ type: "started", jobId: msg.jobId });
    const reward = (env.rewards || []).find((r) => r.name === msg.reward);
    if (!reward || typeof reward.score !== "function") throw new Error("reward " + msg.reward + " has no score function in the env bundle");
    const sandbox = {
      exec: (cmd, opts) => sandboxCall(msg.jobId, "exec", [cmd, opts]),
      readFile: (p) => sandboxCall(msg.jobId, "readFile", [p]),
      writeFile: (p, c) => sandboxCall(msg.jobId, "writeFile", [p, c]),
    };
    // The judge is a capability of the runner: the worker only forwards the request.
    const judge = { complete: (req) => sandboxCall(msg.jobId, "judge", [req]) };
    const value = await reward.score(Object.assign({}, msg.ctx, { sandbox, judge }));
    parentPort.postMessage({ type: "result", jobId: msg.jobId, value });
  } catch (e) {
    let message;
    let stack;
    try { message = e && e.message ? String(e.message) : String(e); } catch { message = "unprintable error"; }
    try { stack = e && typeof e.stack === "string" ? e.stack.slice(0, 8000) : undefined; } catch { stack = undefined; }
    try { parentPort.postMessage({ type: "result", jobId: msg.jobId, error: message, stack }); }
    catch { parentPort.postMessage({ type: "result", jobId: msg.jobId, error: "the reward returned a value that cannot be sent to the runner" }); }
  }
});
`;
