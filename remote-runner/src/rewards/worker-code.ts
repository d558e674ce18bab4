/**
 * Source of the reward worker thread (run with `eval: true`, so it needs no file of its own in the
 * bundled CLI). It imports the env bundle, runs one reward's `score` at a time, and forwards sandbox
 * calls to the main thread, which owns the container.
 */
export const REWARD_WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { pathToFileURL } = require("node:url");
const envPromise = import(pathToFileURL(workerData.bundlePath).href).then((m) => m.default);
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
    try { message = e && e.message ? String(e.message) : String(e); } catch { message = "unprintable error"; }
    try { parentPort.postMessage({ type: "result", jobId: msg.jobId, error: message }); }
    catch { parentPort.postMessage({ type: "result", jobId: msg.jobId, error: "the reward returned a value that cannot be sent between threads" }); }
  }
});
`;
