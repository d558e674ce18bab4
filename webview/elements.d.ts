// JSX typings of the @vscode-elements/elements web components the inspector uses.
import type { DetailedHTMLProps, HTMLAttributes } from "react";

type El = DetailedHTMLProps<HTMLAttributes<HTMLElement>, HTMLElement> & { class?: string };

declare module "react" {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace JSX {
    interface IntrinsicElements {
      "vscode-button": El & { secondary?: boolean; disabled?: boolean; icon?: string };
      "vscode-badge": El & { variant?: "default" | "counter" | "activity-bar-counter" | "tab-header-counter" };
      "vscode-progress-ring": El;
      "vscode-divider": El;
    }
  }
}
