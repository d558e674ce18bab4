import path from "node:path";
import * as vscode from "vscode";
import { EmbeddedRunner, newToken } from "./embedded-runner";
import { RunnerClient } from "../../remote-runner/src/api/client";
import { settings } from "../util/settings";

export const EMBEDDED_ID = "embedded";

export interface RunnerEntry {
  id: string;
  name: string;
  url: string | null;
  embedded: boolean;
}

/**
 * The runners the extension knows: the embedded local runner and the remote ones configured in
 * `agentrl.runners` (name + URL; tokens live only in SecretStorage, keyed by URL). Tracks which
 * one is active for commands and the Runs view.
 */
export class RunnerRegistry implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private embedded: EmbeddedRunner | null = null;
  private activeId: string;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: (line: string) => void,
  ) {
    this.activeId = context.workspaceState.get<string>("agentrl.activeRunner") ?? EMBEDDED_ID;
  }

  list(): RunnerEntry[] {
    const out: RunnerEntry[] = [{ id: EMBEDDED_ID, name: "Local (embedded)", url: this.embedded?.client?.baseUrl ?? null, embedded: true }];
    for (const r of settings().runners) out.push({ id: r.url, name: r.name, url: r.url, embedded: false });
    return out;
  }

  get active(): RunnerEntry {
    return this.list().find((r) => r.id === this.activeId) ?? this.list()[0]!;
  }

  get embeddedRunning(): boolean {
    return this.embedded?.running ?? false;
  }

  async setActive(id: string): Promise<void> {
    this.activeId = id;
    await this.context.workspaceState.update("agentrl.activeRunner", id);
    this.changed.fire();
  }

  /** The embedded runner's data folder: the extension's global storage (per user, not per repo). */
  embeddedHome(): string {
    return path.join(this.context.globalStorageUri.fsPath, "runner");
  }

  async startEmbedded(signal?: AbortSignal): Promise<RunnerClient> {
    let token = await this.context.secrets.get("agentrl.token.embedded");
    if (!token) {
      token = newToken();
      await this.context.secrets.store("agentrl.token.embedded", token);
    }
    const s = settings();
    this.embedded?.stop();
    this.embedded = new EmbeddedRunner({ command: s.runnerCommand(), node: s.nodePath, home: this.embeddedHome(), token, log: this.log });
    try {
      const client = await this.embedded.start(signal);
      this.log(`embedded runner ready at ${client.baseUrl}`);
      return client;
    } finally {
      this.changed.fire();
    }
  }

  stopEmbedded(): void {
    this.embedded?.stop();
    this.log("embedded runner stopped");
    this.changed.fire();
  }

  async addRemote(name: string, url: string, token: string): Promise<void> {
    const list = settings().runners.filter((r) => r.url !== url);
    list.push({ name, url });
    await vscode.workspace.getConfiguration("agentrl").update("runners", list, vscode.ConfigurationTarget.Global);
    await this.context.secrets.store(`agentrl.token.${url}`, token);
    await this.setActive(url);
  }

  /** A client for a runner; starts the embedded runner when it is asked for and not running. */
  async client(id: string = this.activeId, signal?: AbortSignal): Promise<RunnerClient> {
    if (id === EMBEDDED_ID) {
      if (this.embedded?.running && this.embedded.client) return this.embedded.client;
      return this.startEmbedded(signal);
    }
    const entry = this.list().find((r) => r.id === id);
    if (!entry?.url) throw new Error(`No runner ${id}. Fix: run "AgentRL: Connect Runner".`);
    const token = await this.context.secrets.get(`agentrl.token.${entry.url}`);
    if (!token) throw new Error(`No token stored for ${entry.url}. Fix: run "AgentRL: Connect Runner" and paste the token printed by agentrl serve.`);
    return new RunnerClient(entry.url, token);
  }

  /** The active runner's client if it can be had without starting anything. */
  async clientIfReady(): Promise<RunnerClient | null> {
    if (this.activeId === EMBEDDED_ID) return this.embedded?.running ? this.embedded.client : null;
    try {
      return await this.client();
    } catch {
      return null;
    }
  }

  dispose(): void {
    this.embedded?.stop();
    this.changed.dispose();
  }
}
