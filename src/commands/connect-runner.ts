import * as vscode from "vscode";
import { RunnerClient } from "../../remote-runner/src/api/client";
import type { ExtensionServices } from "../services";

/** Connect Runner: URL and token (kept in SecretStorage, never in settings); checked before it is saved. */
export async function connectRunner(svc: ExtensionServices): Promise<void> {
  const url = await vscode.window.showInputBox({
    title: "Connect Runner (1/3): URL of agentrl serve",
    placeHolder: "https://gpu-box.example.com:7420",
    validateInput: (v) => {
      try {
        const u = new URL(v);
        return u.protocol === "http:" || u.protocol === "https:" ? null : "Use an http:// or https:// URL.";
      } catch {
        return "Not a URL. Example: http://10.0.0.5:7420";
      }
    },
  });
  if (!url) return;
  const token = await vscode.window.showInputBox({ title: "Connect Runner (2/3): token (printed by agentrl serve; stored in SecretStorage)", password: true, ignoreFocusOut: true });
  if (!token) return;
  const name = await vscode.window.showInputBox({ title: "Connect Runner (3/3): name", value: new URL(url).hostname });
  if (!name) return;
  const client = new RunnerClient(url, token);
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Checking ${url}…`, cancellable: true }, async (_p, cancel) => {
    const abort = new AbortController();
    cancel.onCancellationRequested(() => abort.abort());
    const h = await client.health(abort.signal);
    await client.listRuns(abort.signal); // checks the token, which health does not
    svc.log(`connected to ${url} (runner ${h.version}, api ${h.api})`);
  });
  await svc.registry.addRemote(name, url.replace(/\/+$/, ""), token);
  void vscode.window.showInformationMessage(`AgentRL: connected to ${name}; it is now the active runner.`);
}
