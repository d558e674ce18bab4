import type { ToolSpec } from "@agentrl/protocol";

/** OSWorld's computer_13 action space. */
export const ACTION_TYPES = [
  "MOVE_TO",
  "CLICK",
  "MOUSE_DOWN",
  "MOUSE_UP",
  "RIGHT_CLICK",
  "DOUBLE_CLICK",
  "DRAG_TO",
  "SCROLL",
  "TYPING",
  "PRESS",
  "KEY_DOWN",
  "KEY_UP",
  "HOTKEY",
  "WAIT",
  "FAIL",
  "DONE",
] as const;
export type ActionType = (typeof ACTION_TYPES)[number];

export interface Computer13Action {
  action_type: ActionType;
  x?: number;
  y?: number;
  button?: "left" | "middle" | "right";
  num_clicks?: number;
  dx?: number;
  dy?: number;
  text?: string;
  key?: string;
  keys?: string[];
  seconds?: number;
}

const xy = {
  x: { type: "number", description: "screen x in pixels, 0 at the left" },
  y: { type: "number", description: "screen y in pixels, 0 at the top" },
};
const button = { type: "string", enum: ["left", "middle", "right"], description: "mouse button (default left)" };
const key = { type: "string", description: "a key name: enter, esc, tab, backspace, ctrl, shift, alt, up, f1, a, 1, ..." };

interface ToolDef {
  type: ActionType;
  description: string;
  properties: Record<string, unknown>;
  required: string[];
}

const DEFS: ToolDef[] = [
  { type: "MOVE_TO", description: "Move the mouse pointer to (x, y).", properties: { ...xy }, required: ["x", "y"] },
  {
    type: "CLICK",
    description: "Click at (x, y), or where the pointer is when x and y are left out.",
    properties: { ...xy, button, num_clicks: { type: "integer", minimum: 1, maximum: 3 } },
    required: [],
  },
  { type: "MOUSE_DOWN", description: "Press a mouse button and hold it.", properties: { button }, required: [] },
  { type: "MOUSE_UP", description: "Release a held mouse button.", properties: { button }, required: [] },
  { type: "RIGHT_CLICK", description: "Right-click at (x, y) or at the pointer.", properties: { ...xy }, required: [] },
  { type: "DOUBLE_CLICK", description: "Double-click at (x, y) or at the pointer.", properties: { ...xy }, required: [] },
  { type: "DRAG_TO", description: "Drag with the left button from the pointer to (x, y).", properties: { ...xy }, required: ["x", "y"] },
  {
    type: "SCROLL",
    description: "Scroll: dy > 0 up, dy < 0 down, dx > 0 right, dx < 0 left (in wheel clicks).",
    properties: { dx: { type: "integer" }, dy: { type: "integer" } },
    required: [],
  },
  { type: "TYPING", description: "Type a text with the keyboard.", properties: { text: { type: "string" } }, required: ["text"] },
  { type: "PRESS", description: "Press and release one key.", properties: { key }, required: ["key"] },
  { type: "KEY_DOWN", description: "Press a key and hold it.", properties: { key }, required: ["key"] },
  { type: "KEY_UP", description: "Release a held key.", properties: { key }, required: ["key"] },
  { type: "HOTKEY", description: "Press a key combination, e.g. [\"ctrl\", \"s\"].", properties: { keys: { type: "array", items: key, minItems: 1 } }, required: ["keys"] },
  { type: "WAIT", description: "Wait for the screen to change (default 1 s).", properties: { seconds: { type: "number", minimum: 0, maximum: 10 } }, required: [] },
  { type: "FAIL", description: "Declare the task impossible to do.", properties: {}, required: [] },
  { type: "DONE", description: "Declare the task done.", properties: {}, required: [] },
];

/** Tool name the policy calls for an action type (lower case, as models expect function names). */
export function toolName(type: ActionType): string {
  return type.toLowerCase();
}

export function actionTypeOfTool(name: string): ActionType | undefined {
  const upper = name.toUpperCase();
  return (ACTION_TYPES as readonly string[]).includes(upper) ? (upper as ActionType) : undefined;
}

/** The computer_13 actions as chat-completions tools, one function per action type. */
export function computer13Tools(screen: { width: number; height: number }): ToolSpec[] {
  return DEFS.map((d) => ({
    name: toolName(d.type),
    description: `${d.description} The screen is ${screen.width}x${screen.height}.`,
    parameters: { type: "object", properties: d.properties, required: d.required, additionalProperties: false },
  }));
}
