import { useEffect, useState } from "react";
import type { ListFilters } from "./use-trajectory-pages";

interface Props {
  onChange: (f: ListFilters) => void;
}

/** Text search inside messages (runs on the runner) plus reward/error filters; typing is debounced. */
export function Filters({ onChange }: Props) {
  const [text, setText] = useState("");
  const [minReward, setMinReward] = useState("");
  const [status, setStatus] = useState<"all" | "errors" | "ok">("all");
  useEffect(() => {
    const h = setTimeout(() => {
      const f: ListFilters = {};
      if (text.trim()) f.text = text.trim();
      if (minReward.trim() && !Number.isNaN(Number(minReward))) f.minReward = Number(minReward);
      if (status !== "all") f.hasError = status === "errors";
      onChange(f);
    }, 200);
    return () => clearTimeout(h);
  }, [text, minReward, status, onChange]);
  return (
    <div className="filters">
      <input className="search" type="search" placeholder="Search messages, tool calls, observations" value={text} onChange={(e) => setText(e.target.value)} aria-label="search" />
      <input className="min-reward" type="number" step="0.1" placeholder="min reward" value={minReward} onChange={(e) => setMinReward(e.target.value)} aria-label="minimum reward" />
      <select value={status} onChange={(e) => setStatus(e.target.value as typeof status)} aria-label="status filter">
        <option value="all">all</option>
        <option value="ok">no errors</option>
        <option value="errors">errors only</option>
      </select>
    </div>
  );
}
