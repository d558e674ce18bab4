import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { cacheDir } from "../../../config/paths.js";
import { runnerFolder } from "../../../config/runner-files.js";
import { ensureEnvImage } from "../../../images/build.js";
import { ImageBuildError, type ProgressFn } from "../../../images/progress.js";

const run = promisify(execFile);

/**
 * PyAutoGUI and the small pure-Python packages it imports, pinned. Debian has no python3-pyautogui,
 * so they come from PyPI (fetched once by pip on the runner's machine, cached, and installed into
 * the desktop image offline with --no-index); python3-xlib and python3-pil come from Debian.
 */
export const PYAUTOGUI_PINS = ["pyautogui==0.9.54", "pymsgbox==2.0.1", "pytweening==1.2.0", "pyscreeze==1.0.1", "pygetwindow==0.0.9", "pyrect==0.2.0", "mouseinfo==0.1.3", "pyperclip==1.11.0"];

/** The desktop image recipe (remote-runner/images/gui), found from this module in source or bundled form. */
export function guiImageDir(): string {
  return runnerFolder("images/gui", "Dockerfile", "the GUI desktop image recipe");
}

/** The pinned PyPI files, downloaded once into the cache (pip's own client; no build, no install). */
async function pyautoguiFiles(progress: ProgressFn): Promise<string> {
  const dir = path.join(cacheDir(), "gui-wheels", createHash("sha256").update(PYAUTOGUI_PINS.join("\n")).digest("hex").slice(0, 16));
  if (fs.existsSync(path.join(dir, ".complete"))) return dir;
  const tmp = `${dir}.${process.pid}.tmp`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  progress(`fetching ${PYAUTOGUI_PINS.join(", ")} from PyPI for the desktop image`);
  const python = process.env.AGENTRL_PYTHON ?? "python3";
  try {
    await run(python, ["-m", "pip", "download", "--no-deps", "--disable-pip-version-check", "-d", tmp, ...PYAUTOGUI_PINS], { timeout: 600_000, maxBuffer: 16 << 20 });
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    const e = err as { stderr?: string; message: string };
    throw new ImageBuildError(
      `the desktop image needs ${PYAUTOGUI_PINS.join(" ")} from PyPI and \`${python} -m pip download\` failed: ${(e.stderr ?? e.message).trim().split("\n").slice(-3).join(" ")}. ` +
        `Fix: make PyPI reachable for pip on this machine (or set AGENTRL_PYTHON to a python with pip), or put those files in ${dir} with an empty .complete file`,
    );
  }
  fs.writeFileSync(path.join(tmp, ".complete"), "");
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  fs.renameSync(tmp, dir);
  return dir;
}

function copyTree(from: string, to: string): void {
  fs.mkdirSync(to, { recursive: true });
  for (const e of fs.readdirSync(from, { withFileTypes: true })) {
    if (e.name === "__pycache__") continue;
    if (e.isDirectory()) copyTree(path.join(from, e.name), path.join(to, e.name));
    else if (e.isFile()) fs.copyFileSync(path.join(from, e.name), path.join(to, e.name));
  }
}

/**
 * What the `apps` variant adds on top of the desktop: Debian's Chromium, LibreOffice Calc and
 * Writer, the GTK text editor Mousepad, the xterm terminal, AT-SPI (accessibility trees of
 * GTK/Chromium/LibreOffice apps, over a session D-Bus the desktop daemon starts), openpyxl (XLSX
 * files), socat (OSWorld's Chrome tasks forward the DevTools port with it) and libnss-myhostname
 * (sandboxes have no network, so Docker leaves /etc/hosts empty: "localhost" must still resolve,
 * for local web servers and OSWorld's `socat ... tcp:localhost:1337`). One layer after the
 * desktop's packages and before the daemon's files, so the two variants share their cache and a
 * daemon edit does not reinstall the applications.
 */
export const DESKTOP_APPS = ["chromium", "libreoffice-calc", "libreoffice-writer", "libreoffice-gtk3", "mousepad", "xterm", "socat", "at-spi2-core", "python3-pyatspi", "python3-openpyxl", "libnss-myhostname"];

/** The session bus the daemon starts in the `apps` image; every process of the sandbox finds it through this address. */
export const SESSION_BUS = "unix:path=/tmp/.agentrl/session-bus";

function appsLayer(): string {
  return [
    "# The `apps` variant: real applications for OSWorld-style domains (browser, office suite, text editor, terminal).",
    "USER root",
    "RUN apt-get update -q >/dev/null \\",
    ` && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ${DESKTOP_APPS.join(" ")} >/dev/null \\`,
    " && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb \\",
    " && sed -i 's/^hosts:.*/hosts: files myhostname dns/' /etc/nsswitch.conf \\",
    // OSWorld's Chrome tasks launch `google-chrome`: Debian's Chromium answers to that name too.
    " && ln -s /usr/bin/chromium /usr/local/bin/google-chrome",
    "COPY apps/chromium-flags /etc/chromium.d/agentrl",
    "COPY apps/libreoffice.xcd /usr/lib/libreoffice/share/registry/agentrl.xcd",
    "COPY apps/xterm-resources /tmp/xterm-resources",
    "RUN cat /tmp/xterm-resources >> /etc/X11/app-defaults/XTerm && rm /tmp/xterm-resources",
    // GTK, Chromium and LibreOffice (through its GTK3 plugin) export their trees to AT-SPI on this bus.
    `ENV DBUS_SESSION_BUS_ADDRESS=${SESSION_BUS} SAL_USE_VCLPLUGIN=gtk3 ACCESSIBILITY_ENABLED=1`,
  ].join("\n");
}

/** The desktop recipe with the apps layer in place of its `# @apps-layer` marker (the plain desktop drops nothing). */
function dockerfileFor(recipe: string, apps: boolean): string {
  const text = fs.readFileSync(path.join(recipe, "Dockerfile"), "utf8");
  const marker = /^# @apps-layer.*$/m;
  if (!marker.test(text)) throw new ImageBuildError(`${path.join(recipe, "Dockerfile")} has no "# @apps-layer" line. Fix: restore it where the apps variant's layer goes`);
  return apps ? text.replace(marker, appsLayer()) : text;
}

/**
 * The desktop image: the recipe in remote-runner/images/gui plus the PyAutoGUI files in `wheels/`,
 * assembled in a build folder named by their content and built (and cached) by content hash like
 * every env image; `variant: "apps"` adds DESKTOP_APPS (image agentrl/env-gui-apps). Tests and
 * benchmarks build it through here too.
 */
export async function ensureGuiImage(opts: { progress?: ProgressFn; variant?: "desktop" | "apps" } = {}): Promise<string> {
  const apps = opts.variant === "apps";
  const progress = opts.progress ?? (() => {});
  const recipe = guiImageDir();
  const wheels = await pyautoguiFiles(progress);
  const h = createHash("sha256");
  for (const root of [recipe, wheels]) {
    const walk = (rel: string): void => {
      for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
        const r = rel ? `${rel}/${e.name}` : e.name;
        if (e.name === "__pycache__") continue;
        if (e.isDirectory()) walk(r);
        else h.update(`${r}\0`).update(fs.readFileSync(path.join(root, r))).update("\0");
      }
    };
    walk("");
  }
  const dockerfile = dockerfileFor(recipe, apps);
  h.update(dockerfile);
  // The folder's basename names the image: agentrl/env-gui:<hash> (or env-gui-apps).
  const buildDir = path.join(cacheDir(), "gui-builds", h.digest("hex").slice(0, 16), apps ? "gui-apps" : "gui");
  if (!fs.existsSync(path.join(buildDir, ".complete"))) {
    const tmp = `${buildDir}.${process.pid}.tmp`;
    fs.rmSync(tmp, { recursive: true, force: true });
    copyTree(recipe, tmp);
    copyTree(wheels, path.join(tmp, "wheels"));
    fs.rmSync(path.join(tmp, "wheels/.complete"), { force: true });
    fs.writeFileSync(path.join(tmp, "Dockerfile"), dockerfile);
    fs.writeFileSync(path.join(tmp, ".complete"), "");
    fs.rmSync(buildDir, { recursive: true, force: true });
    fs.renameSync(tmp, buildDir);
  }
  return ensureEnvImage(buildDir, { progress });
}
