// @vitest-environment happy-dom
// Component tests of the inspector against the in-memory host: the same protocol messages as in VS Code.
import { act } from "react";
import { createRoot, type Root } from "react-dom/client";
import { afterEach, describe, expect, it, vi } from "vitest";
import { BridgeContext } from "../bridge/bridge-context";
import { HostBridge } from "../bridge/host-bridge";
import { memoryHost, syntheticRun, type MemoryHost } from "../dev/memory-host";
import { mountInspector } from "../mount";
import { fmtSigned } from "../util/format";
import { RUN_REFRESH_MS } from "./App";
import { ArtifactsView } from "./ArtifactsView";
import { GroupView } from "./GroupView";
import { TurnStepper } from "./TurnStepper";
import { RewardBreakdown } from "./RewardBreakdown";

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;
// happy-dom does no layout; give elements a 600×600 box so the virtual list has a viewport to fill.
for (const prop of ["clientHeight", "clientWidth"]) {
  Object.defineProperty(HTMLElement.prototype, prop, { configurable: true, get: () => 600 });
}

let root: Root | null = null;
let container: HTMLElement;

function setup(n: number, opts: { group?: number; turns?: number } = {}): { host: MemoryHost; bridge: HostBridge; data: ReturnType<typeof syntheticRun> } {
  const data = syntheticRun(n, opts);
  const host = memoryHost(data);
  const bridge = new HostBridge(host.transport);
  container = document.createElement("div");
  document.body.appendChild(container);
  root = createRoot(container);
  return { host, bridge, data };
}

afterEach(() => {
  act(() => root?.unmount());
  root = null;
  document.body.innerHTML = "";
});

const q = (sel: string): HTMLElement[] => [...container.querySelectorAll<HTMLElement>(sel)];

describe("inspector", () => {
  it("lists 10,000 trajectories virtually: one page fetched, only visible rows in the DOM", async () => {
    const { host, bridge, data } = setup(10_000);
    act(() => mountInspector(root!, bridge, { runnerName: "mem", runId: data.run.id, trajectoryId: null, follow: false }));
    await vi.waitFor(() => expect(container.querySelector('[data-testid="traj-list"]')?.getAttribute("data-total")).toBe("10000"));
    await vi.waitFor(() => expect(q(".traj-row")[0]?.textContent).toContain("task-00000"));
    expect(q(".traj-row").length).toBeGreaterThan(5);
    expect(q(".traj-row").length).toBeLessThan(100);
    expect(container.textContent).toContain("10,000 trajectories");
    const pages = host.requests.filter((r) => r.method === "trajectoryPage" && (r.params as { query: { limit: number } }).query.limit === 200);
    expect(pages.length).toBe(1);
  });

  it("searches inside messages on the runner side and shows the filtered total", async () => {
    const { host, bridge, data } = setup(400, { turns: 3 });
    act(() => mountInspector(root!, bridge, { runnerName: "mem", runId: data.run.id, trajectoryId: null, follow: false }));
    await vi.waitFor(() => expect(container.querySelector('[data-testid="traj-list"]')?.getAttribute("data-total")).toBe("400"));
    const search = container.querySelector<HTMLInputElement>("input.search")!;
    await act(async () => {
      const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value")!.set!;
      setter.call(search, "task-00007");
      search.dispatchEvent(new Event("input", { bubbles: true }));
    });
    await vi.waitFor(() => expect(container.querySelector('[data-testid="traj-list"]')?.getAttribute("data-total")).toBe("4"), { timeout: 3000 });
    expect(host.requests.some((r) => r.method === "trajectoryPage" && (r.params as { query: { text?: string } }).query.text === "task-00007")).toBe(true);
  });

  it("steps from a tool call and its result to the final answer", async () => {
    const { bridge, data } = setup(4, { turns: 2 });
    const t = data.trajectory(data.summaries[0]!.id);
    act(() =>
      root!.render(
        <BridgeContext.Provider value={bridge}>
          <TurnStepper trajectory={t} />
        </BridgeContext.Provider>,
      ),
    );
    expect(container.querySelector('[data-testid="turn-position"]')?.textContent).toBe("Turn 1 / 2");
    expect(container.querySelector('[data-testid="tool-call"]')?.textContent).toContain("calculate");
    expect(container.querySelector('[data-testid="tool-call"]')?.textContent).toContain("92 * 12 + 0");
    expect(container.querySelector('[data-testid="observation"]')?.textContent).toContain("1104");
    act(() => container.querySelector<HTMLElement>('[data-testid="next-turn"]')!.click());
    expect(container.querySelector('[data-testid="turn-position"]')?.textContent).toBe("Turn 2 / 2");
    expect(container.querySelector(".msg.role-assistant")?.textContent).toContain("<answer>1104</answer>");
    expect(container.querySelector('[data-testid="tool-call"]')).toBeNull();
  });

  it("shows the policy versions that sampled a trajectory's turns, on the trajectory and on each turn", async () => {
    const { bridge, data } = setup(1, { turns: 2 });
    const base = data.trajectory(data.summaries[0]!.id);
    const render = (t: typeof base): void =>
      act(() =>
        root!.render(
          <BridgeContext.Provider value={bridge}>
            <TurnStepper trajectory={t} />
          </BridgeContext.Provider>,
        ),
      );
    render(base);
    expect(container.querySelector('[data-testid="policy-versions"]')).toBeNull();
    // An asynchronous rollout whose episode spanned an update: turn 1 from v2, turn 2 from v3.
    render({ ...base, id: `${base.id}-async`, turns: base.turns.map((t, k) => ({ ...t, policyVersion: 2 + k })) });
    expect(container.querySelector('[data-testid="policy-versions"]')?.textContent).toBe("policy v2–v3");
    expect(container.querySelector(".turn-meta")?.textContent).toContain("policy v2");
    act(() => container.querySelector<HTMLElement>('[data-testid="next-turn"]')!.click());
    expect(container.querySelector(".turn-meta")?.textContent).toContain("policy v3");
  });

  it("renders a patch observation as a diff and draws a GUI action on a screenshot", async () => {
    const { bridge, data } = setup(1, { turns: 2 });
    const base = data.trajectory(data.summaries[0]!.id);
    const patch = "diff --git a/calc.py b/calc.py\n--- a/calc.py\n+++ b/calc.py\n@@ -1,2 +1,2 @@\n def add(a, b):\n-    return a - b\n+    return a + b\n";
    const png = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
    data.blobs = { ["a".repeat(64)]: png };
    const t = {
      ...base,
      turns: [
        { ...base.turns[0]!, assistant: { role: "assistant" as const, content: "", toolCalls: [{ id: "c1", name: "apply_patch", arguments: { patch }, rawArguments: "" }] }, observations: [{ toolCallId: "c1", tool: "apply_patch", content: "", durationMs: 5, blob: { sha256: "a".repeat(64), size: 70, mime: "image/png" } }] },
        { ...base.turns[1]!, assistant: { role: "assistant" as const, content: "", toolCalls: [{ id: "c2", name: "computer", arguments: { action_type: "CLICK", x: 120, y: 45 }, rawArguments: "" }] } },
      ],
    };
    act(() =>
      root!.render(
        <BridgeContext.Provider value={bridge}>
          <TurnStepper trajectory={t} />
        </BridgeContext.Provider>,
      ),
    );
    const diff = container.querySelector('[data-testid="diff"]');
    const text = (sel: string): string => [...(diff?.querySelectorAll(sel) ?? [])].map((e) => e.textContent).join("");
    expect(text(".d2h-del")).toContain("return a - b");
    expect(text(".d2h-ins")).toContain("return a + b");
    await vi.waitFor(() => expect(container.querySelector('[data-testid="screenshot"] img')?.getAttribute("src")).toBe(png));
    act(() => container.querySelector<HTMLImageElement>('[data-testid="screenshot"] img')!.dispatchEvent(new Event("load")));
    // happy-dom has no image decoder, so naturalWidth is 0; the overlay still needs a size, so check the math path via actionPoint.
    const { actionPoint } = await import("./Screenshot");
    expect(actionPoint(t.turns[1]!.assistant.toolCalls![0])).toEqual({ x: 120, y: 45, label: "CLICK" });
  });

  it("shows an SWE patch artifact as a diff, fetched as a blob through the host", async () => {
    const { host, bridge, data } = setup(1);
    const patch = "diff --git a/m.py b/m.py\n--- a/m.py\n+++ b/m.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n";
    const sha = "b".repeat(64);
    data.blobs = { [sha]: `data:text/x-diff;base64,${btoa(patch)}` };
    act(() =>
      root!.render(
        <BridgeContext.Provider value={bridge}>
          <ArtifactsView artifacts={{ "patch.diff": { sha256: sha, size: patch.length, mime: "text/x-diff" } }} lastAction={undefined} />
        </BridgeContext.Provider>,
      ),
    );
    await vi.waitFor(() => expect(container.querySelector('[data-testid="diff"]')).not.toBeNull());
    expect([...container.querySelectorAll(".d2h-ins")].map((e) => e.textContent).join("")).toContain("x = 2");
    expect(host.requests.some((r) => r.method === "blob" && (r.params as { sha256: string }).sha256 === sha)).toBe(true);
  });

  it("shows a group's samples with advantages and flags only zero-variance groups", async () => {
    const { bridge, data } = setup(8, { group: 4 });
    // Group 0 has varied rewards (sample 0 wrong), group 1 is made uniform below.
    for (const s of data.summaries.slice(4)) Object.assign(s, { reward: 1, advantage: 0 });
    act(() =>
      root!.render(
        <BridgeContext.Provider value={bridge}>
          <GroupView runId={data.run.id} groupId={data.summaries[0]!.groupId} onOpen={() => {}} />
        </BridgeContext.Provider>,
      ),
    );
    await vi.waitFor(() => expect(q('[data-testid="sample-card"]').length).toBe(4));
    // no estimator stored on these synthetic trajectories: the label says so rather than guess
    await vi.waitFor(() => expect(container.querySelector('[data-testid="advantage-source"]')?.textContent).toBe("advantages: none stored"));
    const advs = q('[data-testid="sample-advantage"]').map((e) => e.textContent);
    expect(advs.some((a) => a?.startsWith("adv -"))).toBe(true);
    expect(advs.some((a) => a?.startsWith("adv +") && a !== "adv +0.000")).toBe(true);
    expect(container.querySelector('[data-testid="zero-variance"]')).toBeNull();
    act(() =>
      root!.render(
        <BridgeContext.Provider value={bridge}>
          <GroupView runId={data.run.id} groupId={data.summaries[4]!.groupId} onOpen={() => {}} />
        </BridgeContext.Provider>,
      ),
    );
    await vi.waitFor(() => expect(container.querySelector('[data-testid="zero-variance"]')).not.toBeNull());
  });

  it("names the estimator of a group's advantages and whether the trainer trained with them", async () => {
    const { bridge, data } = setup(4, { group: 4 });
    const full = data.trajectory.bind(data);
    data.trajectory = (id) => ({ ...full(id), advantageSource: { estimator: "rloo", by: "trainer" } });
    act(() =>
      root!.render(
        <BridgeContext.Provider value={bridge}>
          <GroupView runId={data.run.id} groupId={data.summaries[0]!.groupId} onOpen={() => {}} />
        </BridgeContext.Provider>,
      ),
    );
    await vi.waitFor(() => expect(container.querySelector('[data-testid="advantage-source"]')?.textContent).toBe("advantages: rloo (trainer, as trained)"));
  });

  it("jumps to a reward's source through the host", async () => {
    const { host, bridge, data } = setup(1);
    act(() =>
      root!.render(
        <BridgeContext.Provider value={bridge}>
          <RewardBreakdown trajectory={data.trajectory(data.summaries[0]!.id)} />
        </BridgeContext.Provider>,
      ),
    );
    const link = q("a.source-link").find((a) => a.textContent === "tool_efficiency")!;
    act(() => link.click());
    await vi.waitFor(() => expect(host.requests.find((r) => r.method === "openRewardSource")?.params).toEqual({ reward: "tool_efficiency", envName: "calculator" }));
  });

  it("follows a live run: events from the stream update the list and the status", async () => {
    const { host, bridge, data } = setup(8, { group: 4 });
    const later = data.summaries.splice(4);
    data.run.status = "running";
    act(() => mountInspector(root!, bridge));
    host.push({ kind: "init", init: { runnerName: "mem", runId: data.run.id, trajectoryId: null, follow: true } });
    await vi.waitFor(() => expect(container.querySelector('[data-testid="traj-list"]')?.getAttribute("data-total")).toBe("4"));
    expect(container.querySelector('[data-testid="live"]')).not.toBeNull();
    // The second group finishes on the runner; its events arrive over the stream.
    for (const t of later) host.emit("trajectory.finished", { ...t, advantage: null });
    host.emit("group.advantages", { groupId: later[0]!.groupId, items: later.map((t) => ({ trajectoryId: t.id, advantage: t.advantage })) });
    data.run.status = "finished";
    host.emit("run.status", { status: "finished" });
    await vi.waitFor(() => expect(container.querySelector('[data-testid="traj-list"]')?.getAttribute("data-total")).toBe("8"));
    // The group's advantages came with its event, not with a page.
    await vi.waitFor(() => expect(q(".traj-row")[7]?.textContent).toContain(fmtSigned(later[3]!.advantage, 2)));
    expect(later[3]!.advantage).not.toBeNull();
    await vi.waitFor(() => expect(container.querySelector('[data-testid="run-status"]')?.textContent).toBe("finished"));
    expect(container.querySelector('[data-testid="live"]')).toBeNull();
    expect(host.requests.filter((r) => r.method === "trajectoryPage")).toHaveLength(2); // the first page and the first-row pick; none per event
  });

  it("keeps a run producing 100 trajectories/s for 60 s current from its events, with no data request per event", async () => {
    const { host, bridge, data } = setup(6000, { group: 4 });
    const all = data.summaries.splice(0);
    data.run.status = "running";
    // Episodes run 16 at a time, so they finish out of order within a sliding window.
    const order = all.map((_, i) => i);
    for (let i = 0; i < order.length; i++) {
      const j = Math.min(order.length - 1, i + ((i * 7919) % 16));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    act(() => mountInspector(root!, bridge));
    host.push({ kind: "init", init: { runnerName: "mem", runId: data.run.id, trajectoryId: null, follow: true } });
    await vi.waitFor(() => expect(container.querySelector('[data-testid="traj-list"]')?.getAttribute("data-total")).toBe("0"));
    const started = performance.now();
    const groupsLeft = new Map<string, number>();
    let afterFirstSecond = 0;
    for (let second = 0; second < 60; second++) {
      await act(async () => {
        for (const k of order.slice(second * 100, second * 100 + 100)) {
          const t = all[k]!;
          host.emit("trajectory.finished", { ...t, advantage: null });
          const left = (groupsLeft.get(t.groupId) ?? 4) - 1;
          groupsLeft.set(t.groupId, left);
          if (left === 0) {
            const members = all.filter((m) => m.groupId === t.groupId);
            host.emit("group.advantages", { groupId: t.groupId, items: members.map((m) => ({ trajectoryId: m.id, advantage: m.advantage })) });
            host.emit("run.metrics", { step: data.metrics.length, values: { reward_mean: 0.5 } });
          }
        }
      });
      // Each second's rows are in the list as soon as their events are handled, not a refresh later.
      expect(container.querySelector('[data-testid="traj-list"]')?.getAttribute("data-total")).toBe(String((second + 1) * 100));
      if (second === 0) afterFirstSecond = host.requests.length;
    }
    const elapsedMs = performance.now() - started;
    // The visible rows are the runner's first rows, in order, with their advantages.
    const truth = data.summaries.slice(0, 5);
    await vi.waitFor(() => expect(q(".traj-row").slice(0, 5).map((r) => r.textContent)).toEqual(truth.map((t) => expect.stringContaining(t.taskId))));
    const later = host.requests.slice(afterFirstSecond);
    // No data request at all after the first second (6,000 finished + 1,500 advantages + 1,500 metrics events)...
    expect(later.filter((r) => r.method !== "run" && r.method !== "listRuns")).toEqual([]);
    // ...only the header's totals, re-read at most every RUN_REFRESH_MS (two requests each time).
    expect(later.length).toBeLessThanOrEqual(2 * (Math.ceil(elapsedMs / RUN_REFRESH_MS) + 1));
  });

  it("compares the run with another task by task: flipped tasks listed, a task's two trajectories diffed turn by turn", async () => {
    const { host, bridge, data } = setup(8, { group: 2, turns: 2 });
    const other = syntheticRun(8, { group: 2, turns: 3, runId: "run-b" });
    data.otherRuns = [{ ...other.run, config: { ...other.run.config, name: "after training" } }];
    const [t0, t1] = [data.summaries[0]!, data.summaries[2]!];
    const o0 = other.summaries[0]!;
    const own = data.trajectory;
    data.trajectory = (id) => (id.startsWith("run-b:") ? other.trajectory(id) : own(id)); // the host serves either run's trajectories
    data.comparisons = {
      "run-b": {
        a: data.run.id,
        b: "run-b",
        threshold: 0.5,
        shared: 2,
        gained: 1,
        lost: 0,
        meanA: 0.2,
        meanB: 0.6,
        tasks: [
          { taskId: t0.taskId, a: { mean: 0.2, samples: 1, solved: false, trajectoryIds: [t0.id] }, b: { mean: 1, samples: 1, solved: true, trajectoryIds: [o0.id] }, delta: 0.8, flip: "gained" },
          { taskId: t1.taskId, a: { mean: 0.2, samples: 1, solved: false, trajectoryIds: [t1.id] }, b: { mean: 0.2, samples: 1, solved: false, trajectoryIds: [t1.id] }, delta: 0, flip: null },
        ],
      },
    };
    act(() => mountInspector(root!, bridge, { runnerName: "mem", runId: data.run.id, trajectoryId: null, follow: false }));
    await vi.waitFor(() => expect(container.querySelector('[data-testid="tab-compare"]')).not.toBeNull());
    act(() => container.querySelector<HTMLElement>('[data-testid="tab-compare"]')!.click());
    await vi.waitFor(() => expect(container.querySelector('[data-testid="compare-summary"]')?.textContent).toContain("2 shared tasks · mean reward 0.200 → 0.600 · 1 gained · 0 lost"));
    expect(host.requests.find((r) => r.method === "compareRuns")?.params).toEqual({ a: data.run.id, b: "run-b", threshold: 0.5 });
    // Flipped only by default; unticked, every task.
    expect(q('[data-testid="compare-row"]').map((r) => r.getAttribute("data-flip"))).toEqual(["gained"]);
    act(() => container.querySelector<HTMLElement>('[data-testid="flipped-only"]')!.click());
    expect(q('[data-testid="compare-row"]')).toHaveLength(2);
    act(() => q('[data-testid="compare-row"]')[0]!.click());
    // Run A's trajectory has 2 turns, run B's 3: the last pair has one side only.
    await vi.waitFor(() => expect(q('[data-testid="compare-turn"]')).toHaveLength(3));
    const turns = q('[data-testid="compare-turn"]').map((t) => t.textContent ?? "");
    expect(turns[0]).toContain("same");
    expect(turns[1]).toMatch(/differs: said, calls, results/);
    expect(turns[2]).toMatch(/differs: missing/);
    expect(q('[data-testid="compare-b"]')[1]?.textContent).toContain("calculate");
  });

  it("lists in-flight episodes from the runner and the run's events, flags stalls on the run, and kills one through the host", async () => {
    const { host, bridge, data } = setup(0, { group: 2 });
    data.run.status = "running";
    const ep = (i: number, stalled: boolean) => ({ trajectoryId: `${data.run.id}:0:${i}`, taskId: "task-00000", sampleIndex: i, attempt: 0, turn: 0, phase: "tool" as const, detail: "wait", sinceMs: stalled ? 9000 : 1000, stalled });
    data.live = { runId: data.run.id, stallAfterMs: 5000, episodes: [ep(0, true), ep(1, false)], policy: { state: "ok", lastAnswerAgoMs: 800, lastError: null, waiting: 0, longestWaitMs: 0 } };
    act(() => mountInspector(root!, bridge));
    host.push({ kind: "init", init: { runnerName: "mem", runId: data.run.id, trajectoryId: null, follow: true } });
    await vi.waitFor(() => expect(container.querySelector('[data-testid="tab-live"]')).not.toBeNull());
    // The second sample stalls: the run header says so, and its badge opens the panel.
    host.emit("episode.stalled", { trajectoryId: ep(1, true).trajectoryId, taskId: "task-00000", sampleIndex: 1, turn: 0, phase: "tool", detail: "wait", sinceMs: 5000, thresholdMs: 5000 });
    await vi.waitFor(() => expect(container.querySelector('[data-testid="stalled-badge"]')?.textContent).toContain("1 stalled"));
    data.live.episodes[1] = ep(1, true); // as the runner lists it now
    act(() => container.querySelector<HTMLElement>('[data-testid="stalled-badge"]')!.click());
    await vi.waitFor(() => expect(q('[data-testid="live-row"]')).toHaveLength(2));
    expect(q('[data-testid="live-row"]').map((r) => r.getAttribute("data-stalled"))).toEqual(["yes", "yes"]);
    expect(container.querySelector('[data-testid="policy-health"]')?.textContent).toContain("policy: ok · last answer 0.8 s ago");
    // The episode that was listed stalled by the runner moves on: no longer stalled.
    host.emit("trajectory.phase", { trajectoryId: ep(0, true).trajectoryId, turn: 1, phase: "policy" });
    await vi.waitFor(() => expect(q('[data-testid="live-row"]').map((r) => r.getAttribute("data-stalled"))).toEqual(["yes", "no"]));
    expect(q('[data-testid="live-row"]')[1]?.textContent).toMatch(/task-00000.*2policy/);
    // Kill the stalled one from the panel: the host is asked; its finished event removes the row.
    act(() => q('[data-testid="live-row"]')[0]!.querySelector<HTMLElement>('[data-testid="kill-episode"]')!.click());
    await vi.waitFor(() => expect(host.requests.find((r) => r.method === "killEpisode")?.params).toEqual({ runId: data.run.id, trajectoryId: ep(1, true).trajectoryId, requeue: false }));
    host.emit("trajectory.finished", { ...syntheticRun(2, { group: 2, runId: data.run.id }).summaries[1]!, status: "infra_error", stopReason: "infra_error", error: "infra: killed from outside" });
    await vi.waitFor(() => expect(q('[data-testid="live-row"]')).toHaveLength(1));
    expect(container.querySelector('[data-testid="stalled-badge"]')).toBeNull();
  });

  it("shows the token lens of a trained turn: tokens coloured by drift, the drifting ones flagged, a token's numbers on click", async () => {
    const { bridge, data } = setup(4, { turns: 2 });
    const t = data.trajectory(data.summaries[0]!.id);
    t.advantage = 0.75;
    t.turns[0]!.policy = { ...t.turns[0]!.policy, completionTokens: ["call", " calc", "ulate"], completionLogprobs: [-0.2, -3.1, -0.01], trainerLogprobs: [-0.25, -1.4, -0.02] };
    act(() =>
      root!.render(
        <BridgeContext.Provider value={bridge}>
          <TurnStepper trajectory={t} />
        </BridgeContext.Provider>,
      ),
    );
    expect(q('[data-testid="lens-token"]').map((e) => e.textContent)).toEqual(["call", " calc", "ulate"]);
    expect(q('[data-testid="lens-token"]').map((e) => e.classList.contains("flagged"))).toEqual([false, true, false]);
    expect(container.querySelector('[data-testid="lens-drift"]')?.textContent).toMatch(/mean \|Δ\| 0\.587 · max 1\.700 · 1 past/);
    act(() => q('[data-testid="lens-token"]')[1]!.click());
    const detail = container.querySelector('[data-testid="lens-detail"]')?.textContent ?? "";
    expect(detail).toContain("sampler logprob-3.1000");
    expect(detail).toContain("trainer logprob-1.4000");
    expect(detail).toContain("difference-1.7000");
    expect(detail).toContain("advantage applied+0.7500");
    // A turn without logprobs has no lens.
    act(() => container.querySelector<HTMLElement>('[data-testid="next-turn"]')!.click());
    expect(container.querySelector('[data-testid="token-lens"]')).toBeNull();
  });

  it("shows the trainer's logprobs in the token lens once a trajectory.logprobs event names the trajectory on screen", async () => {
    const { host, bridge, data } = setup(4, { turns: 2 });
    const plain = data.trajectory.bind(data);
    let trained = false;
    // The runner's store: sampled logprobs from the start, the trainer's once the step stored them.
    data.trajectory = (id) => {
      const t = plain(id);
      t.turns[0]!.policy = { ...t.turns[0]!.policy, completionTokens: ["a", "b"], completionLogprobs: [-0.2, -3.1], ...(trained ? { trainerLogprobs: [-0.21, -1.0] } : {}) };
      return t;
    };
    act(() => mountInspector(root!, bridge));
    host.push({ kind: "init", init: { runnerName: "mem", runId: data.run.id, trajectoryId: null, follow: true } });
    await vi.waitFor(() => expect(container.querySelector('[data-testid="token-lens"]')?.textContent).toContain("trainer logprobs not recorded"));
    const shown = data.summaries[0]!.id;
    const reads = () => host.requests.filter((r) => r.method === "trajectory").length;
    const before = reads();
    trained = true;
    host.emit("trajectory.logprobs", { step: 1, trajectoryIds: [data.summaries[1]!.id] });
    host.emit("trajectory.logprobs", { step: 1, trajectoryIds: [shown, data.summaries[2]!.id] });
    await vi.waitFor(() => expect(container.querySelector('[data-testid="lens-drift"]')?.textContent).toMatch(/mean \|Δ\| 1\.055 · max 2\.100 · 1 past/));
    expect(reads()).toBe(before + 1); // the one on screen, once; not the others
  });

  it("routes responses by id and turns host errors into rejections", async () => {
    const { bridge } = setup(3);
    const [a, b] = await Promise.all([bridge.request("trajectoryPage", { runId: "run-bench", query: { limit: 1 } }), bridge.request("trajectoryPage", { runId: "run-bench", query: { offset: 2, limit: 1 } })]);
    expect(a.items[0]!.sampleIndex).toBe(0);
    expect(b.items[0]!.sampleIndex).toBe(2);
    await expect(bridge.request("trajectory", { id: "nope" })).rejects.toThrow("No trajectory nope");
  });
});
