import type { TabInfo } from "./browser.js";
import type { Metric } from "./metrics.js";

/** URLs compared as OSWorld's compare_urls does: scheme and host case-free, "www." and a trailing slash ignored. */
export function sameUrl(a: string, b: string): boolean {
  const norm = (u: string) => {
    try {
      const x = new URL(u);
      return `${x.protocol}//${x.host.replace(/^www\./, "")}${x.pathname.replace(/\/$/, "")}${x.search}${x.hash}`;
    } catch {
      return u.replace(/\/$/, "");
    }
  };
  return norm(a) === norm(b);
}

function urlOf(v: unknown): string | null {
  if (typeof v === "string") return v;
  if (v && typeof v === "object" && typeof (v as TabInfo).url === "string") return (v as TabInfo).url;
  return null;
}

function rule(expected: unknown): Record<string, unknown> {
  return expected && typeof expected === "object" ? (expected as Record<string, unknown>) : {};
}

/** OSWorld's Chrome metrics (desktop_env/evaluators/metrics/chrome.py), on the browser getters' values. */
export const BROWSER_METRICS: Record<string, Metric> = {
  /** The open tabs are exactly the rule's `urls` (rule `{type: "url", urls}`), in any order. */
  is_expected_tabs: (result, expected) => {
    const r = rule(expected);
    if (r.type !== "url") throw new Error(`is_expected_tabs: rule type "${String(r.type)}" is not supported (use "url")`);
    if (!Array.isArray(result) || !Array.isArray(r.urls)) return 0;
    const actual = result.map(urlOf).filter((u): u is string => u !== null);
    const want = r.urls.map(String);
    const left = [...actual];
    for (const w of want) {
      const i = left.findIndex((a) => sameUrl(a, w));
      if (i < 0) return 0;
      left.splice(i, 1);
    }
    return left.length === 0 ? 1 : 0;
  },
  /** The active tab shows the rule's `url` (rule `{type: "url", url}`). */
  is_expected_active_tab: (result, expected) => {
    const r = rule(expected);
    if (r.type !== "url") throw new Error(`is_expected_active_tab: rule type "${String(r.type)}" is not supported (use "url")`);
    const url = urlOf(result);
    return url !== null && typeof r.url === "string" && sameUrl(url, r.url) ? 1 : 0;
  },
  /** Every pattern of the rule's `expected` list is found in the URL. */
  is_expected_url_pattern_match: (result, expected) => {
    const url = urlOf(result);
    const patterns = rule(expected).expected;
    if (url === null || !Array.isArray(patterns)) return 0;
    return patterns.every((p) => new RegExp(String(p)).test(url)) ? 1 : 0;
  },
};
