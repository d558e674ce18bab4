// A page for the Chromium component test of the screenshot overlay: renders the real TurnStepper for a
// GUI-style trajectory whose observation is a screenshot and whose next action clicks at (x, y).
import "../../media/inspector.css";
import { createRoot } from "react-dom/client";
import type { Trajectory } from "@agentrl/protocol";
import { BridgeContext } from "../../webview/bridge/bridge-context";
import { HostBridge } from "../../webview/bridge/host-bridge";
import { fullTrajectory, memoryHost, syntheticRun } from "../../webview/dev/memory-host";
import { TurnStepper } from "../../webview/components/TurnStepper";

function render(png: string, click: { x: number; y: number }): void {
  const data = syntheticRun(1, { group: 1, turns: 2 });
  data.blobs = { ["c".repeat(64)]: png };
  const base: Trajectory = fullTrajectory(data.summaries[0]!, 2);
  const t: Trajectory = {
    ...base,
    turns: [
      // The gui kind attaches screenshots as observation `images` (spread: older protocol versions lack the field).
      { ...base.turns[0]!, assistant: { role: "assistant", content: "", toolCalls: [{ id: "s1", name: "screenshot", arguments: {}, rawArguments: "{}" }] }, observations: [{ toolCallId: "s1", tool: "screenshot", content: "", durationMs: 40, ...{ images: [{ sha256: "c".repeat(64), size: png.length, mime: "image/png" }] } }] },
      { ...base.turns[1]!, assistant: { role: "assistant", content: "", toolCalls: [{ id: "a1", name: "computer", arguments: { action_type: "CLICK", x: click.x, y: click.y }, rawArguments: "" }] } },
    ],
  };
  const el = document.getElementById("root")!;
  createRoot(el).render(
    <BridgeContext.Provider value={new HostBridge(memoryHost(data).transport)}>
      <TurnStepper trajectory={t} />
    </BridgeContext.Provider>,
  );
}

(window as unknown as { renderOverlay: typeof render }).renderOverlay = render;
