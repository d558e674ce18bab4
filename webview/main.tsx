// Inspector webview entry: registers the VS Code web components, styles, and mounts the app on the real host transport.
import "@vscode-elements/elements/dist/vscode-button/index.js";
import "@vscode-elements/elements/dist/vscode-badge/index.js";
import "uplot/dist/uPlot.min.css";
import "diff2html/bundles/css/diff2html.min.css";
import "../media/inspector.css";
import { createRoot } from "react-dom/client";
import { HostBridge, vscodeTransport } from "./bridge/host-bridge";
import { mountInspector } from "./mount";

mountInspector(createRoot(document.getElementById("root")!), new HostBridge(vscodeTransport()));
