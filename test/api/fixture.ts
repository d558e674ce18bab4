// A real runner front on loopback over a real store in a temporary AGENTRL_HOME, for the API tests.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import tar from "tar-stream";
import { EnvironmentRegistry } from "../../remote-runner/src/api/environments.js";
import { EventStream, type EventStreamOptions } from "../../remote-runner/src/api/event-stream.js";
import { startHttpServer } from "../../remote-runner/src/api/http-server.js";
import type { Route } from "../../remote-runner/src/api/router.js";
import { environmentRoutes } from "../../remote-runner/src/api/routes/environment-routes.js";
import { systemRoutes } from "../../remote-runner/src/api/routes/system-routes.js";
import { trajectoryRoutes } from "../../remote-runner/src/api/routes/trajectory-routes.js";
import type { BundleLimits } from "../../remote-runner/src/api/bundle-upload.js";
import { loadOrCreateToken } from "../../remote-runner/src/api/token.js";
import { openStore, type Store } from "../../remote-runner/src/store/store.js";

export interface TestServer {
  url: string;
  wsUrl: string;
  token: string;
  home: string;
  store: Store;
  stream: EventStream;
  close(): Promise<void>;
}

export function tempHome(prefix = "agentrl-api-"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function startTestServer(opts: { stream?: Partial<EventStreamOptions>; bundleLimits?: BundleLimits; extraRoutes?: (store: Store) => Route[] } = {}): Promise<TestServer> {
  const home = tempHome();
  const { token } = loadOrCreateToken(home, {});
  const store = openStore(home);
  const stream = new EventStream(store, opts.stream);
  const envs = new EnvironmentRegistry(path.join(home, "envs"), opts.bundleLimits);
  const routes: Route[] = [];
  routes.push(...systemRoutes(() => routes), ...environmentRoutes(envs), ...trajectoryRoutes(store), ...(opts.extraRoutes?.(store) ?? []));
  const http = await startHttpServer({ host: "127.0.0.1", port: 0, token, routes, stream });
  return {
    url: http.url,
    wsUrl: http.wsUrl,
    token,
    home,
    store,
    stream,
    close: async () => {
      await http.close();
      store.close();
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

export type TarEntry = Parameters<ReturnType<typeof tar.pack>["entry"]>[0] & { body?: string | Buffer };

/** A tar.gz of the given entries, in that order (bundle upload tests). */
export async function tarGz(entries: TarEntry[]): Promise<Buffer> {
  const p = tar.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve) => p.on("end", resolve));
  p.on("data", (c: unknown) => {
    chunks.push(c as Buffer);
  });
  for (const { body, ...h } of entries) p.entry(h, body ?? "");
  p.finalize();
  await done;
  return zlib.gzipSync(Buffer.concat(chunks));
}
