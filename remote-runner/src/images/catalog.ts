import type Docker from "dockerode";
import { connectDocker } from "../docker/engine.js";
import { BASE_REPO, baseRecipe, recipeHash } from "./base.js";

export interface ImageRow {
  ref: string;
  id: string;
  kind: string;
  sizeBytes: number;
  created: string;
  current: boolean;
}

/** Images the runner made (base, env images, snapshots), newest first. */
export async function listImages(): Promise<ImageRow[]> {
  const { docker } = await connectDocker();
  const currentBase = `${BASE_REPO}:${recipeHash(baseRecipe())}`;
  const imgs = await docker.listImages({ all: false, filters: { label: ["agentrl.managed=1"] } });
  const snaps = await docker.listImages({ filters: { label: ["agentrl.snapshot=1"] } });
  const seen = new Set<string>();
  const rows: ImageRow[] = [];
  for (const img of [...imgs, ...snaps]) {
    if (seen.has(img.Id)) continue;
    seen.add(img.Id);
    const labels = img.Labels ?? {};
    const kind = labels["agentrl.snapshot"] === "1" ? "snapshot" : (labels["agentrl.image"] ?? "?");
    const ref = img.RepoTags?.find((t) => t !== "<none>:<none>") ?? img.Id.slice(7, 19);
    rows.push({
      ref,
      id: img.Id,
      kind,
      sizeBytes: img.Size,
      created: new Date(img.Created * 1000).toISOString(),
      current: kind === "base" ? ref === currentBase : kind === "env",
    });
  }
  return rows.sort((a, b) => b.created.localeCompare(a.created));
}

/**
 * Removes runner images nothing needs: old base images (another recipe hash), older builds of the
 * same env image, and snapshots. `all` removes every runner image. Images in use by a container stay.
 */
export async function pruneImages(opts: { all?: boolean } = {}): Promise<{ removed: string[]; kept: string[] }> {
  const { docker } = await connectDocker();
  const rows = await listImages();
  const newestEnv = new Map<string, string>();
  for (const r of rows) if (r.kind === "env" && !newestEnv.has(r.ref.split(":")[0] ?? "")) newestEnv.set(r.ref.split(":")[0] ?? "", r.id);
  const removed: string[] = [];
  const kept: string[] = [];
  for (const r of rows) {
    const stale = opts.all || r.kind === "snapshot" || (r.kind === "base" && !r.current) || (r.kind === "env" && newestEnv.get(r.ref.split(":")[0] ?? "") !== r.id);
    if (!stale) {
      kept.push(r.ref);
      continue;
    }
    try {
      await (docker.getImage(r.id) as Docker.Image).remove({ force: false });
      removed.push(r.ref);
    } catch {
      kept.push(`${r.ref} (in use)`);
    }
  }
  return { removed, kept };
}
