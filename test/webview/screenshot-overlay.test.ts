// The screenshot overlay in a real browser (Debian's chromium): the GUI action is drawn where it
// points on the image, whatever size the image is shown at. happy-dom cannot decode images, so this
// component test runs in Chromium, with the inspector's own CSS and VS Code-like theme variables.
import path from "node:path";
import { build } from "esbuild";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { screenshotPath, vscodeTools } from "../e2e/code-server";

const root = path.resolve(__dirname, "../..");
let browser: Browser;
let js = "";
let css = "";

beforeAll(async () => {
  const out = await build({ entryPoints: [path.join(root, "bench/inspector/overlay-page.tsx")], bundle: true, write: false, outdir: "/overlay", platform: "browser", format: "iife", jsx: "automatic", define: { "process.env.NODE_ENV": '"production"' }, logLevel: "warning" });
  js = out.outputFiles.find((f) => f.path.endsWith(".js"))!.text;
  css = out.outputFiles.find((f) => f.path.endsWith(".css"))?.text ?? "";
  browser = await chromium.launch({ executablePath: vscodeTools().chromium, args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"] });
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

describe("screenshot with the action drawn (Chromium)", () => {
  it("draws the click at its image coordinates, scaled with the image", async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 700 } });
    // A real PNG: a 1000×500 "desktop" with a button at (800, 400), made by the browser itself.
    await page.setContent('<div style="width:1000px;height:500px;background:#2b5797;position:relative"><div style="position:absolute;left:760px;top:385px;width:80px;height:30px;background:#eee"></div></div>');
    const png = `data:image/png;base64,${(await page.screenshot({ clip: { x: 0, y: 0, width: 1000, height: 500 } })).toString("base64")}`;
    await page.setViewportSize({ width: 700, height: 700 });
    await page.setContent(`<!DOCTYPE html><html><head><style>${css} body{--vscode-charts-red:#f14c4c;--vscode-editor-background:#1e1e1e;--vscode-foreground:#ccc;}</style></head><body><div id="root"></div></body></html>`);
    await page.addScriptTag({ content: js });
    await page.evaluate((src) => (window as unknown as { renderOverlay(p: string, c: { x: number; y: number }): void }).renderOverlay(src, { x: 800, y: 400 }), png);
    const overlay = page.locator('[data-testid="action-overlay"]');
    await overlay.waitFor();
    expect(await overlay.getAttribute("viewBox")).toBe("0 0 1000 500");
    expect(await overlay.locator("circle").getAttribute("cx")).toBe("800");
    expect(await overlay.locator("text").textContent()).toBe("CLICK (800, 400)");
    // Shown narrower than 1000 px, the circle still sits on the button: compare screen positions.
    const img = await page.locator('[data-testid="screenshot"] img').boundingBox();
    const circle = await overlay.locator("circle").boundingBox();
    expect(img!.width).toBeLessThan(1000);
    const scale = img!.width / 1000;
    expect(Math.abs(circle!.x + circle!.width / 2 - (img!.x + 800 * scale))).toBeLessThan(2);
    expect(Math.abs(circle!.y + circle!.height / 2 - (img!.y + 400 * scale))).toBeLessThan(2);
    await page.screenshot({ path: screenshotPath("webview-screenshot-overlay") });
    await page.close();
  });
});
