import { useEffect, useState } from "react";
import type { BlobRef, ToolCall } from "@agentrl/protocol";
import { useBridge } from "../bridge/bridge-context";

/** Where a GUI action points, from computer_13-style arguments ({x, y}, or coordinate: [x, y]). */
export function actionPoint(call: ToolCall | undefined): { x: number; y: number; label: string } | null {
  const a = call?.arguments;
  if (!call || !a) return null;
  const coord = Array.isArray(a.coordinate) ? a.coordinate : null;
  const x = typeof a.x === "number" ? a.x : typeof coord?.[0] === "number" ? coord[0] : null;
  const y = typeof a.y === "number" ? a.y : typeof coord?.[1] === "number" ? coord[1] : null;
  if (x === null || y === null) return null;
  const kind = typeof a.action_type === "string" ? a.action_type : typeof a.action === "string" ? a.action : call.name;
  return { x, y, label: String(kind) };
}

/** A screenshot observation with the next action drawn on it (a crosshair and label at the click point). */
export function Screenshot({ blob, action }: { blob: BlobRef; action: ToolCall | undefined }) {
  const bridge = useBridge();
  const [src, setSrc] = useState<string | null>(null);
  const [size, setSize] = useState<{ w: number; h: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    bridge
      .request("blob", { sha256: blob.sha256 })
      .then((r) => live && setSrc(r.dataUrl))
      .catch((e: Error) => live && setError(e.message));
    return () => {
      live = false;
    };
  }, [bridge, blob.sha256]);
  const p = actionPoint(action);
  if (error) return <div className="error-banner">screenshot unavailable: {error}</div>;
  if (!src) return <div className="muted">loading screenshot…</div>;
  return (
    <div className="screenshot" data-testid="screenshot">
      <img src={src} alt="screenshot" onLoad={(e) => setSize({ w: e.currentTarget.naturalWidth, h: e.currentTarget.naturalHeight })} />
      {p && size && (
        <svg className="action-overlay" viewBox={`0 0 ${size.w} ${size.h}`} preserveAspectRatio="none" data-testid="action-overlay">
          <circle cx={p.x} cy={p.y} r={Math.max(8, size.w / 80)} />
          <line x1={p.x - 20} y1={p.y} x2={p.x + 20} y2={p.y} />
          <line x1={p.x} y1={p.y - 20} x2={p.x} y2={p.y + 20} />
          <text x={p.x + 14} y={p.y - 12}>{`${p.label} (${p.x}, ${p.y})`}</text>
        </svg>
      )}
    </div>
  );
}
