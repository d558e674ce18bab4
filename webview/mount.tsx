import type { Root } from "react-dom/client";
import type { InspectorInit } from "@agentrl/protocol";
import { BridgeContext } from "./bridge/bridge-context";
import type { HostBridge } from "./bridge/host-bridge";
import { App } from "./components/App";

/** Renders the inspector into a root with a bridge (VS Code's in the panel, an in-memory one in tests and the bench). */
export function mountInspector(root: Root, bridge: HostBridge, initial?: InspectorInit): void {
  root.render(
    <BridgeContext.Provider value={bridge}>
      <App initial={initial} />
    </BridgeContext.Provider>,
  );
}
