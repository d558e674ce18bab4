import type { InspectorPanel } from "./inspector/inspector-panel";
import type { RunnerRegistry } from "./runners/runner-registry";
import type { EnvironmentsView } from "./views/environments-view";
import type { RunStatusBar } from "./views/run-status-bar";
import type { RunsView } from "./views/runs-view";

/** What the commands share: the runner registry, the views, the status bar, the output channel. */
export interface ExtensionServices {
  registry: RunnerRegistry;
  runsView: RunsView;
  envsView: EnvironmentsView;
  statusBar: RunStatusBar;
  log: (line: string) => void;
  openInspector(opts: { runId?: string; trajectoryId?: string; follow?: boolean }): Promise<InspectorPanel | undefined>;
}
