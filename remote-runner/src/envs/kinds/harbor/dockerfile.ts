import { KindTaskError } from "../types.js";

/**
 * Images a Harbor Dockerfile may build FROM that this runner maps onto its offline Debian base (no
 * registry can be pulled from): Debian and Ubuntu releases, the official Python images (Debian
 * underneath; `python` and `pip` resolve to Debian's python3), and buildpack-deps.
 */
const MAPPABLE = /^(?:(?:docker\.io\/)?(?:library\/)?)(debian|ubuntu|python|buildpack-deps)(?::[\w.-]+)?(?:@sha256:[0-9a-f]{64})?$/i;

/** The base image ARG the build is given; a Dockerfile already FROM it needs no mapping. */
const BASE_ARG = /^\$\{?BASE_IMAGE\}?$/;

export interface MappedDockerfile {
  /** The Dockerfile to build: every FROM replaced by the offline base, then the runner's finishing layer. */
  text: string;
  /** The last WORKDIR (the agent's and the tests' working folder); "/" when none. */
  workdir: string;
  /** The images the task named in its FROM lines. */
  from: string[];
}

/** Folders the sandbox user (uid 1000) owns: the workdir, and the places Harbor uploads tests, solutions and logs. */
function finishingLayer(workdir: string): string[] {
  const dirs = [...new Set([workdir, "/tests", "/solution", "/logs", "/logs/verifier", "/logs/agent"])].filter((d) => d !== "/");
  return [
    "# Added by agentrl: `python` resolves as in the official images, and the sandbox user (uid 1000) owns",
    "# the task's workdir and Harbor's /tests, /solution and /logs (empty until after the episode).",
    "USER root",
    `RUN ([ -e /usr/local/bin/python ] || ln -s /usr/bin/python3 /usr/local/bin/python) && mkdir -p ${dirs.join(" ")} && chown -R 1000:1000 ${dirs.join(" ")}`,
    `WORKDIR ${workdir}`,
  ];
}

/**
 * Rewrites a Harbor task's environment/Dockerfile to build offline: each `FROM` that names a base we
 * can map becomes `FROM ${BASE_IMAGE}` (keeping `AS name`); any other is a task error naming the
 * image and the fix. Line continuations are kept as written.
 */
export function mapHarborDockerfile(text: string, taskId: string): MappedDockerfile {
  const lines = text.split(/\r?\n/);
  const out: string[] = ["ARG BASE_IMAGE"];
  const from: string[] = [];
  let workdir = "/";
  for (const line of lines) {
    const m = /^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)(\s+AS\s+\S+)?\s*$/i.exec(line);
    if (m) {
      const image = m[1] as string;
      from.push(image);
      if (!MAPPABLE.test(image) && !BASE_ARG.test(image)) {
        throw new KindTaskError(
          `task "${taskId}": environment/Dockerfile builds FROM ${image}, which this runner cannot map to its offline Debian base (no registry can be pulled from). ` +
            "Fix: build FROM a Debian, Ubuntu or Python image (e.g. python:3.11-slim or debian:bookworm) and install what the task needs with apt-get, or FROM ${BASE_IMAGE}",
        );
      }
      out.push(`FROM \${BASE_IMAGE}${m[2] ?? ""}`);
      continue;
    }
    const w = /^\s*WORKDIR\s+(\S+)\s*$/i.exec(line);
    if (w) workdir = (w[1] as string).startsWith("/") ? (w[1] as string) : `${workdir.replace(/\/$/, "")}/${w[1] as string}`;
    out.push(line);
  }
  if (from.length === 0) throw new KindTaskError(`task "${taskId}": environment/Dockerfile has no FROM line. Fix: start it with FROM debian:bookworm (or another Debian, Ubuntu or Python image)`);
  return { text: [...out, ...finishingLayer(workdir), ""].join("\n"), workdir, from };
}
