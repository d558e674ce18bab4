// The options of each environment kind, one type per kind (the `swe`, `gui`, … field of a definition
// whose `kind` names it). The runner's kind folders read them; EnvironmentInput unions them.

/** Options of `kind: "swe"` environments (all optional). */
export interface SweOptions {
  /** Folders with local mirrors of `owner/name` repositories (relative to the env folder). */
  mirrors?: string[];
  /** Allow cloning over the network when no mirror has a repository. */
  network?: boolean;
  /** Step rewards that count only when the outcome clears `threshold`. */
  gatedStepRewards?: { weight: number; threshold: number; perEdit?: number };
}

/** Options of `kind: "harbor"` environments (all optional). */
export interface HarborOptions {
  /** The folder of Harbor task folders (or one task folder), relative to the env folder (default "."). */
  tasks?: string;
}

/** Options of `kind: "gui"` environments (all optional). */
export interface GuiOptions {
  /** Folder of the env copied into the desktop user's home (/home/user) before each task's setup steps (default "files"). */
  files?: string;
  /** Put the accessibility tree in every observation (default true). */
  accessibilityTree?: boolean;
  /**
   * The desktop image: "desktop" (default: Xvfb, a window manager, Python Tk for apps in the env's
   * files) or "apps" (that plus Debian's Chromium, LibreOffice Calc and Writer, the Mousepad text
   * editor, xterm, AT-SPI accessibility trees and a session D-Bus; larger, built once and cached).
   */
  image?: "desktop" | "apps";
  /** Run a window manager (default true). */
  windowManager?: boolean;
  /**
   * The files OSWorld `download` setup steps fetch, from the env folder (sandboxes have no
   * network): URL → path relative to the env folder. A URL not listed fails the step, naming it.
   */
  downloads?: Record<string, string>;
}
