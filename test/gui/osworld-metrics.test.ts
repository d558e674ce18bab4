// OSWorld's table and Chrome metrics on values as the getters give them (no desktop: the table
// reader is a function of the bytes here; the desktop-apps test reads real XLSX/CSV files).
import { describe, expect, it } from "vitest";
import { sameUrl } from "../../remote-runner/src/envs/kinds/gui/browser-metrics.js";
import { FileValue, type Sheet } from "../../remote-runner/src/envs/kinds/gui/files.js";
import { METRICS } from "../../remote-runner/src/envs/kinds/gui/metrics.js";

const book = (sheets: Sheet[]) => new FileValue("/home/user/x.xlsx", Buffer.from("xlsx"), async () => sheets);
const unreadable = new FileValue("/home/user/x.pdf", Buffer.from("%PDF"), async () => {
  throw new Error("no table reader for x.pdf");
});
const m = (name: string) => METRICS[name] as NonNullable<(typeof METRICS)[string]>;

describe("OSWorld table metrics", () => {
  const result = book([{ name: "Sheet1", rows: [["Region", "Sales", null], ["North", 10, null], ["Total", 60, null], [null, null, null]] }]);
  const same = book([{ name: "Data", rows: [["Region", "Sales"], ["North", 10], ["Total", 60]] }]);
  const other = book([{ name: "Sheet1", rows: [["Region", "Sales"], ["North", 10], ["Total", 61]] }]);

  it("compare_table without rules: every sheet's cells equal, trailing empty cells ignored", async () => {
    expect(await m("compare_table")(result, same, {})).toBe(1);
    expect(await m("compare_table")(result, other, {})).toBe(0);
    expect(await m("compare_table")(null, same, {})).toBe(0);
    expect(await m("compare_table")(unreadable, same, {})).toBe(0);
  });

  it("compare_table rules: sheet_data with OSWorld's sheet indexes, sheet_name, check_cell with value methods", async () => {
    expect(await m("compare_table")(result, same, { rules: [{ type: "sheet_data", sheet_idx0: 0, sheet_idx1: "EI0" }] })).toBe(1);
    expect(await m("compare_table")(result, same, { rules: [{ type: "sheet_data", sheet_idx0: "RNSheet1", sheet_idx1: "ENData" }] })).toBe(1);
    expect(await m("compare_table")(result, same, { rules: [{ type: "sheet_name" }] })).toBe(0);
    const cell = (coordinate: string, method: string, ref: unknown) => ({ rules: [{ type: "check_cell", sheet_idx: 0, coordinate, props: { value: { method, ref } } }] });
    expect(await m("compare_table")(result, undefined, cell("B3", "eq", 60))).toBe(1);
    expect(await m("compare_table")(result, undefined, cell("B3", "eq", 61))).toBe(0);
    expect(await m("compare_table")(result, undefined, cell("B3", "approx:0.5", 60.4))).toBe(1);
    expect(await m("compare_table")(result, undefined, cell("A2", "re", "^No"))).toBe(1);
    expect(await m("compare_table")(result, undefined, cell("C9", "eq", null))).toBe(1);
    await expect(async () => m("compare_table")(result, undefined, { rules: [{ type: "check_chart" }] })).rejects.toThrow(/rule type "check_chart" is not supported \(use sheet_data, sheet_name, check_cell\)/);
    await expect(async () => m("compare_table")(result, undefined, cell("B3", "between", 1))).rejects.toThrow(/unknown value rule method "between"/);
  });

  it("check_csv: expected records present, unexpected ones absent (fields as text); compare_csv: same lines", async () => {
    const csv = book([{ name: "Sheet1", rows: [["name", "score"], ["Ada", 91], ["Grace", 85]] }]);
    expect(await m("check_csv")(csv, { expect: [{ name: "Grace", score: "85" }], unexpect: [{ name: "Alan" }] }, {})).toBe(1);
    expect(await m("check_csv")(csv, { expect: [{ name: "Grace", score: "86" }] }, {})).toBe(0);
    expect(await m("check_csv")(csv, { expect: [], unexpect: [{ name: "Ada" }] }, {})).toBe(0);
    const text = (t: string) => new FileValue("a.csv", Buffer.from(t), async () => []);
    expect(await m("compare_csv")(text("a,b\r\n1,2\n"), text("a,b\n1,2"), {})).toBe(1);
    expect(await m("compare_csv")(text("a,b\n1,2\n"), text("a,b\n1,3\n"), {})).toBe(0);
  });

  it("text metrics read a fetched file's text", async () => {
    const f = new FileValue("/home/user/todo.txt", Buffer.from("call mom\nbuy milk\n"), async () => []);
    expect(await m("exact_match")(f, { expected: "call mom\nbuy milk\n" }, {})).toBe(1);
    expect(await m("check_include_exclude")(f, { include: ["buy milk"], exclude: ["call dad"] }, {})).toBe(1);
    expect(await m("check_include_exclude")(null, { include: [] }, {})).toBe(0);
  });
});

describe("OSWorld Chrome metrics", () => {
  const tabs = [
    { title: "News", url: "http://localhost:8000/news.html" },
    { title: "Home", url: "http://localhost:8000/index.html" },
  ];

  it("is_expected_tabs: exactly the expected URLs in any order", async () => {
    expect(await m("is_expected_tabs")(tabs, { type: "url", urls: ["http://localhost:8000/index.html", "http://localhost:8000/news.html"] }, {})).toBe(1);
    expect(await m("is_expected_tabs")(tabs, { type: "url", urls: ["http://localhost:8000/index.html"] }, {})).toBe(0);
    expect(await m("is_expected_tabs")(null, { type: "url", urls: [] }, {})).toBe(0);
    expect(() => m("is_expected_tabs")(tabs, { type: "title", titles: [] }, {})).toThrow(/rule type "title" is not supported/);
  });

  it("is_expected_active_tab and is_expected_url_pattern_match", async () => {
    expect(await m("is_expected_active_tab")(tabs[0], { type: "url", url: "http://LOCALHOST:8000/news.html/" }, {})).toBe(1);
    expect(await m("is_expected_active_tab")(tabs[1], { type: "url", url: "http://localhost:8000/news.html" }, {})).toBe(0);
    expect(await m("is_expected_active_tab")(null, { type: "url", url: "http://localhost:8000/news.html" }, {})).toBe(0);
    expect(await m("is_expected_url_pattern_match")("http://localhost:8000/search.html?q=llama", { expected: ["search\\.html\\?q=llama$"] }, {})).toBe(1);
    expect(await m("is_expected_url_pattern_match")("http://localhost:8000/search.html?q=lama", { expected: ["q=llama$"] }, {})).toBe(0);
    expect(sameUrl("https://www.example.org/a/", "https://example.org/a")).toBe(true);
    expect(sameUrl("https://example.org/a?x=1", "https://example.org/a?x=2")).toBe(false);
  });
});
