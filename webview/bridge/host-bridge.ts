import type { HostPush, HostToWebview, WebviewMethod, WebviewParams, WebviewResult, WebviewToHost } from "@agentrl/protocol";

/** How messages leave and arrive: the VS Code webview API in the panel, an in-memory host in tests and the bench. */
export interface Transport {
  post(message: WebviewToHost): void;
  listen(handler: (message: HostToWebview) => void): () => void;
}

/**
 * The webview side of the typed request/response protocol: `request("trajectoryPage", {...})`
 * returns a promise of exactly that method's result type; pushes go to subscribers.
 */
export class HostBridge {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly pushListeners = new Set<(m: HostPush) => void>();

  constructor(private readonly transport: Transport) {
    transport.listen((m) => {
      if (m.kind === "response") {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.ok) p.resolve(m.result);
        else p.reject(new Error(m.error));
      } else {
        for (const l of this.pushListeners) l(m);
      }
    });
  }

  request<M extends WebviewMethod>(method: M, params: WebviewParams<M>): Promise<WebviewResult<M>> {
    const id = this.nextId++;
    return new Promise<WebviewResult<M>>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.transport.post({ kind: "request", id, method, params } as WebviewToHost);
    });
  }

  onPush(listener: (m: HostPush) => void): () => void {
    this.pushListeners.add(listener);
    return () => this.pushListeners.delete(listener);
  }

  ready(): void {
    this.transport.post({ kind: "ready" });
  }
}

interface VsCodeApi {
  postMessage(message: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

/** The transport inside a real VS Code webview. */
export function vscodeTransport(): Transport {
  const api = acquireVsCodeApi();
  return {
    post: (m) => api.postMessage(m),
    listen: (handler) => {
      const fn = (e: MessageEvent): void => handler(e.data as HostToWebview);
      window.addEventListener("message", fn);
      return () => window.removeEventListener("message", fn);
    },
  };
}
