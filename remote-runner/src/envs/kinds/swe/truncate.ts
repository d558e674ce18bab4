/** Longest tool output the model sees at once; the rest is cut with a marker saying how to see it. */
export const MAX_TOOL_OUTPUT_CHARS = 12_000;

/**
 * Keeps the head and the tail of a long text (errors are often at the end) and puts a marker in the
 * middle that says how much was cut and how to see it.
 */
export function truncateOutput(text: string, howToSeeMore: string, max = MAX_TOOL_OUTPUT_CHARS): string {
  if (text.length <= max) return text;
  const head = Math.floor(max * 0.7);
  const tail = max - head;
  const cut = text.length - head - tail;
  return `${text.slice(0, head)}\n[... ${cut} characters truncated. To see more: ${howToSeeMore}]\n${text.slice(text.length - tail)}`;
}
