import type { EnvKind } from "../types.js";

/**
 * The `tool` kind (the default): the environment's own tools, setup and rewards are all there is; the
 * engine adds nothing, so every hook is absent.
 */
export const TOOL_KIND: EnvKind = {
  name: "tool",
  create: () => ({ tools: [] }),
};
