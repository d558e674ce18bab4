import { useMemo } from "react";
import { html as diffHtml } from "diff2html";

/** True when a text looks like a unified diff (a patch the agent wrote or a tool printed). */
export function looksLikeDiff(text: string): boolean {
  return /^(diff --git |--- \S.*\n\+\+\+ \S)/m.test(text) && /^@@ /m.test(text);
}

/** A patch rendered by diff2html (which escapes the content), line by line, themed by inspector.css. */
export function DiffView({ patch }: { patch: string }) {
  const rendered = useMemo(() => diffHtml(patch, { drawFileList: false, outputFormat: "line-by-line", matching: "lines" }), [patch]);
  return <div className="diff" data-testid="diff" dangerouslySetInnerHTML={{ __html: rendered }} />;
}
