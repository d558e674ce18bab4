import { EnvironmentList, EnvironmentUploaded } from "@agentrl/protocol";
import type { EnvironmentRegistry } from "../environments.js";
import { Reply, type Route } from "../router.js";

export function environmentRoutes(envs: EnvironmentRegistry): Route[] {
  return [
    {
      method: "POST",
      path: "/v1/environments",
      summary: "Upload an environment bundle (tar.gz of the env folder); answers its sha256",
      tag: "environments",
      auth: true,
      body: "gzip",
      response: EnvironmentUploaded,
      status: 201,
      errors: [413, 415],
      handler: async ({ req }) => {
        const nameHeader = req.headers["x-agentrl-env-name"];
        const name = typeof nameHeader === "string" ? nameHeader.slice(0, 200) : undefined;
        const uploaded = await envs.upload(req, name);
        return uploaded.created ? uploaded : new Reply(200, uploaded);
      },
    },
    {
      method: "GET",
      path: "/v1/environments",
      summary: "List uploaded environment bundles, newest first",
      tag: "environments",
      auth: true,
      response: EnvironmentList,
      handler: (): EnvironmentList => ({ items: envs.list() }),
    },
  ];
}
