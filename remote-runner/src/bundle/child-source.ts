/**
 * Source of the bundle process (run with `node -e`, so it needs no file of its own in the bundled
 * CLI): the one place an environment bundle's code runs. It refuses the network before the bundle
 * loads, imports the bundle, and answers the runner's calls over its IPC channel: `describe` (the
 * definition as data, functions replaced by markers), the episode hooks and tools of the env host
 * (envs/host.ts) with each episode's state kept here, and reward scoring (rewards/worker-pool.ts).
 * Sandbox and judge calls go back to the runner, which owns the containers and the keys.
 */
export const BUNDLE_PROCESS_SOURCE = `
"use strict";
const { pathToFileURL } = require("node:url");
// Network and signals refused in-process (the namespaces, when the runner could make them, refuse them below this):
// every TCP/IPC connect, listen, UDP socket and DNS query of Node's modules ends in these functions,
// and the raw handles are out of reach (process.binding is denied by the permission model).
(() => {
  const refuse = (what) => function refused() {
    const e = new Error(what + " is refused: environment and reward code has no network (reach the sandbox through ctx.sandbox and the LLM judge through ctx.judge)");
    e.code = "ERR_AGENTRL_NO_NETWORK";
    throw e;
  };
  const lock = (obj, key, what) => Object.defineProperty(obj, key, { value: refuse(what), writable: false, configurable: false, enumerable: false });
  const net = require("node:net");
  lock(net.Socket.prototype, "connect", "opening a socket");
  lock(net.Server.prototype, "listen", "listening on a socket");
  const dgram = require("node:dgram");
  for (const k of ["bind", "send", "connect"]) lock(dgram.Socket.prototype, k, "a UDP socket");
  // Signals only to itself: a bundle must not end the runner (process.kill(process.ppid)) or a
  // process group (kill 0, -1). Captured before the bundle loads; process._kill is what kill calls.
  const self = process.pid;
  const rawKill = process._kill;
  const ownOnly = (f) => function kill(pid, sig) {
    if (Number(pid) !== self) { const e = new Error("signalling process " + pid + " is refused: environment and reward code may signal only its own process"); e.code = "ERR_AGENTRL_NO_SIGNAL"; throw e; }
    return f.call(process, pid, sig);
  };
  const kill = process.kill;
  Object.defineProperty(process, "_kill", { value: ownOnly(rawKill), writable: false, configurable: false });
  Object.defineProperty(process, "kill", { value: ownOnly(kill), writable: false, configurable: false });
  const dns = require("node:dns");
  for (const mod of [dns, dns.promises, dns.Resolver.prototype, dns.promises.Resolver.prototype]) {
    for (const k of Object.keys(mod)) if (k === "lookup" || k === "lookupService" || k.startsWith("resolve") || k === "reverse") lock(mod, k, "a DNS query");
  }
})();
const send = (m) => { if (process.connected) process.send(m); };
// The runner going away closes the channel: nothing is left to answer.
process.on("disconnect", () => process.exit(0));
let loaded = null;
function load() {
  if (!loaded) loaded = import(pathToFileURL(process.env.AGENTRL_BUNDLE).href);
  return loaded;
}
/** The definition as data: functions become markers naming where they are, cycles and depth are cut. */
function describe(v, where, seen, depth) {
  if (typeof v === "function") return { $bundleFunction: where };
  if (v === null || typeof v !== "object") return typeof v === "symbol" || typeof v === "bigint" ? String(v) : v;
  if (depth > 48 || seen.has(v)) return null;
  if (ArrayBuffer.isView(v) || v instanceof Date || v instanceof RegExp) return v;
  seen.add(v);
  const out = Array.isArray(v) ? v.map((x, i) => describe(x, where + "[" + i + "]", seen, depth + 1)) : {};
  if (!Array.isArray(v)) for (const k of Object.keys(v)) out[k] = describe(v[k], where ? where + "." + k : k, seen, depth + 1);
  seen.delete(v);
  return out;
}
let nextCapability = 0;
const capabilities = new Map();
function capability(callId, method, args) {
  return new Promise((resolve, reject) => {
    const id = ++nextCapability;
    capabilities.set(id, { resolve, reject });
    send({ type: "capability", of: callId, id, method, args });
  });
}
const sandboxFor = (callId) => ({
  exec: (cmd, opts) => capability(callId, "exec", [cmd, opts]),
  readFile: (p, opts) => capability(callId, "readFile", [p, opts]),
  writeFile: (p, c) => capability(callId, "writeFile", [p, c]),
});
const episodes = new Map();
const aborts = new Map();
function episode(id) {
  const e = episodes.get(id);
  if (!e) throw new Error("episode " + id + " is not open in this environment process");
  return e;
}
function named(list, name, what) {
  const found = (list || []).find((x) => x && x.name === name);
  if (!found) throw new Error(what + " " + JSON.stringify(name) + " is not in the environment bundle");
  return found;
}
const OPS = {
  describe: (env, mod) => ({ default: describe(mod.default, "", new Set(), 0) }),
  open: async (env, mod, a) => {
    const state = typeof env.initState === "function" ? await env.initState(a.task) : {};
    episodes.set(a.episode, { task: a.task, state });
    const system = typeof env.system === "function" ? env.system(a.task) : undefined;
    const prompt = typeof env.prompt === "function" ? env.prompt(a.task) : undefined;
    return { system, prompt };
  },
  setup: async (env, mod, a, id) => {
    const e = episode(a.episode);
    await env.setup({ task: e.task, state: e.state, sandbox: sandboxFor(id) });
    return null;
  },
  tool: async (env, mod, a, id) => {
    const e = episode(a.episode);
    const ctl = new AbortController();
    aborts.set(id, ctl);
    try {
      return await named(env.tools, a.name, "tool").run(a.args, { task: e.task, state: e.state, sandbox: sandboxFor(id), turn: a.turn, signal: ctl.signal });
    } finally {
      aborts.delete(id);
    }
  },
  command: (env, mod, a) => named(env.tools, a.name, "tool").command(a.args, a.task),
  rewardCommand: (env, mod, a) => named(env.rewards, a.name, "reward").command(a.task),
  close: (env, mod, a) => { episodes.delete(a.episode); return null; },
  score: (env, mod, a, id) => {
    const reward = named(env.rewards, a.reward, "reward");
    if (typeof reward.score !== "function") throw new Error("reward " + a.reward + " has no score function in the env bundle");
    // The judge is a capability of the runner: this process only forwards the request.
    const judge = { complete: (req) => capability(id, "judge", [req]) };
    return reward.score(Object.assign({}, a.ctx, { sandbox: sandboxFor(id), judge }));
  },
};
function answerError(id, e) {
  let message;
  let stack;
  try { message = e && e.message ? String(e.message) : String(e); } catch { message = "unprintable error"; }
  try { stack = e && typeof e.stack === "string" ? e.stack.slice(0, 8000) : undefined; } catch { stack = undefined; }
  send({ type: "result", id, error: message.slice(0, 8000), stack });
}
process.on("message", async (msg) => {
  if (msg.type === "capability-result") {
    const p = capabilities.get(msg.id);
    capabilities.delete(msg.id);
    if (!p) return;
    if (msg.error !== undefined) p.reject(new Error(msg.error)); else p.resolve(msg.value);
    return;
  }
  if (msg.type === "abort") { aborts.get(msg.id)?.abort(); return; }
  if (msg.type !== "call") return;
  let mod;
  try {
    mod = await load();
  } catch (e) {
    return send({ type: "result", id: msg.id, loadError: true, error: "the module threw while loading: " + (e && e.message ? String(e.message) : String(e)) });
  }
  // The call's time limit starts now: loading the bundle into a fresh process is not the call's time.
  send({ type: "started", id: msg.id });
  try {
    const op = OPS[msg.op];
    if (!op) throw new Error("unknown call " + msg.op);
    const value = await op(mod.default || {}, mod, msg.args || {}, msg.id);
    try { send({ type: "result", id: msg.id, value }); }
    catch { send({ type: "result", id: msg.id, error: "the " + msg.op + " call returned a value that cannot be sent to the runner (a function or a symbol?)" }); }
  } catch (e) {
    answerError(msg.id, e);
  }
});
`;
