import { useEffect, useState } from "react";
import type { BlobRef, ToolCall } from "@agentrl/protocol";
import { useBridge } from "../bridge/bridge-context";
import { DiffView, looksLikeDiff } from "./DiffView";
import { Screenshot } from "./Screenshot";

const MAX_TEXT = 200_000;

/** Text of a data: URL (base64 or percent-encoded), decoded as UTF-8. */
export function dataUrlText(url: string): string {
  const comma = url.indexOf(",");
  const meta = url.slice(0, comma);
  const body = url.slice(comma + 1);
  if (!meta.endsWith(";base64")) return decodeURIComponent(body);
  const bin = atob(body);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new TextDecoder().decode(bytes);
}

function TextArtifact({ blob }: { blob: BlobRef }) {
  const bridge = useBridge();
  const [text, setText] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    bridge.request("blob", { sha256: blob.sha256 }).then(
      (r) => setText(dataUrlText(r.dataUrl)),
      (e: Error) => setError(e.message),
    );
  }, [bridge, blob.sha256]);
  if (error) return <div className="error-banner">{error}</div>;
  if (text === null) return <div className="muted">loading…</div>;
  const shown = text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}\n… (${text.length - MAX_TEXT} more characters)` : text;
  return looksLikeDiff(shown) ? <DiffView patch={shown} /> : <pre className="obs-content">{shown}</pre>;
}

/** Files the episode produced (an SWE patch as a diff, a test report, a final screenshot with the last action). */
export function ArtifactsView({ artifacts, lastAction }: { artifacts: Record<string, BlobRef>; lastAction: ToolCall | undefined }) {
  const entries = Object.entries(artifacts);
  if (!entries.length) return null;
  return (
    <section className="artifacts" data-testid="artifacts">
      <div className="section-title">artifacts</div>
      {entries.map(([name, blob]) => (
        <details key={name} open={entries.length <= 3}>
          <summary>
            <span className="mono">{name}</span> <span className="muted">· {blob.mime} · {blob.size.toLocaleString()} bytes</span>
          </summary>
          {blob.mime.startsWith("image/") ? <Screenshot blob={blob} action={lastAction} /> : <TextArtifact blob={blob} />}
        </details>
      ))}
    </section>
  );
}
