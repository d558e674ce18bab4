"""The desktop daemon of a GUI sandbox.

`desktop.py start --width W --height H` starts Xvfb, a window manager and this daemon, and returns
once the daemon answers on its unix socket. The daemon executes computer_13 actions with xdotool,
waits until the screen settles, and answers with a PNG screenshot and the accessibility trees the
apps expose. Keeping it alive (PIL loaded, one process) makes action + screenshot take tens of ms
instead of the hundreds a fresh process per screenshot costs.
"""
import base64
import glob
import io
import json
import os
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from keys import EXAMPLES, keysym  # noqa: E402

STATE = "/tmp/.agentrl"
SOCK = os.path.join(STATE, "desktop.sock")
DISPLAY = ":0"
BUTTONS = {"left": 1, "middle": 2, "right": 3}
XDOTOOL_TIMEOUT = 5.0
GRAB_TIMEOUT = 5.0


class ActionError(Exception):
    """Bad input from the policy: reported as an observation, never a crash."""


class Desktop:
    def __init__(self, width, height):
        self.width, self.height = width, height
        self.env = dict(os.environ, DISPLAY=DISPLAY)
        self.apps = {}  # pid -> {"name", "proc", "reported"}
        self.lock = threading.Lock()
        self.pressed_buttons = set()
        # The raw pixels of the last screen a reply carried: "changed" means the action's screen
        # differs from what the agent last saw, and the action does not pay for a grab before it.
        self.last_raw = None
        from PIL import ImageGrab  # loaded once, up front

        self.grab_impl = ImageGrab.grab

    # --- screen -------------------------------------------------------------------------
    def grab(self):
        """(image, raw pixels) of the whole screen; a frozen X server is an error, not a hang."""
        box = {}

        def work():
            try:
                im = self.grab_impl(xdisplay=DISPLAY)
                box["im"], box["raw"] = im, im.tobytes()
            except Exception as e:  # the X server went away
                box["error"] = str(e)

        t = threading.Thread(target=work, daemon=True)
        t.start()
        t.join(GRAB_TIMEOUT)
        if t.is_alive():
            raise ActionError("the screen did not answer within %.0f s (display frozen)" % GRAB_TIMEOUT)
        if "error" in box:
            raise ActionError("cannot take a screenshot: %s" % box["error"])
        return box["im"], box["raw"]

    @staticmethod
    def png(im):
        buf = io.BytesIO()
        im.save(buf, "PNG", compress_level=1)
        return base64.b64encode(buf.getvalue()).decode()

    def settle(self, before_raw, max_wait=0.6):
        """The screen once two grabs in a row are identical (the app finished repainting), whether
        it differs from `before_raw`, and its raw pixels."""
        deadline = time.monotonic() + max_wait
        im, raw = self.grab()
        while time.monotonic() < deadline:
            time.sleep(0.01)
            im2, raw2 = self.grab()
            if raw2 == raw:
                break
            im, raw = im2, raw2
        return im, (before_raw is None or raw != before_raw), raw

    # --- accessibility --------------------------------------------------------------------
    def await_a11y(self, since, window=0.08):
        """Apps dump their tree every 25 ms when it changed: give a dump made after the action a
        moment to land, so the tree and the screenshot show the same state."""
        deadline = since + window
        while time.monotonic() < deadline:
            for path in glob.glob(os.path.join(STATE, "a11y", "*.json")):
                try:
                    if os.stat(path).st_mtime >= self.wall_at(since):
                        return
                except OSError:
                    pass
            time.sleep(0.005)

    @staticmethod
    def wall_at(mono):
        return time.time() - (time.monotonic() - mono)

    def a11y(self, atspi=True):
        """The Tk apps' dumps, then (with a session bus, i.e. the apps image) the AT-SPI trees of
        the real applications; `atspi=False` skips the latter (each node costs D-Bus round trips)."""
        trees = []
        for path in sorted(glob.glob(os.path.join(STATE, "a11y", "*.json"))):
            pid = int(os.path.basename(path).split(".")[0])
            if not os.path.exists("/proc/%d" % pid):
                continue
            try:
                with open(path) as f:
                    trees.append(json.load(f))
            except (OSError, ValueError):
                pass
        if atspi and session_bus_path():
            try:
                import a11y_atspi

                trees += a11y_atspi.trees()
            except Exception as e:  # no accessibility bus (yet): the screenshot still comes back
                trees.append({"app": "at-spi", "pid": 0, "title": "accessibility unavailable",
                              "root": {"role": "label", "name": "AT-SPI: %s" % e, "states": []}})
        return trees

    # --- apps -----------------------------------------------------------------------------
    def launch(self, command, name):
        if isinstance(command, str):
            command = ["/bin/sh", "-c", command]
        log = open(os.path.join(STATE, "app-%s.log" % name.replace("/", "_")), "ab")
        proc = subprocess.Popen(command, env=self.env, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                                start_new_session=True, cwd=os.path.expanduser("~"))
        self.apps[proc.pid] = {"name": name, "proc": proc, "reported": False}
        return proc.pid

    def app_status(self):
        out, notes = [], []
        for pid, app in self.apps.items():
            code = app["proc"].poll()
            out.append({"name": app["name"], "pid": pid, "running": code is None, "exitCode": code})
            if code is not None and not app["reported"]:
                app["reported"] = True
                notes.append("application '%s' exited with code %s" % (app["name"], code))
        return out, notes

    def wait_window(self, name, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", name], env=self.env,
                               capture_output=True, timeout=XDOTOOL_TIMEOUT)
            if r.returncode == 0 and r.stdout.strip():
                return True
            time.sleep(0.03)
        return False

    # --- actions --------------------------------------------------------------------------
    def _xy(self, a, required=True):
        if "x" not in a and "y" not in a and not required:
            return None
        try:
            x, y = int(round(float(a["x"]))), int(round(float(a["y"])))
        except (KeyError, TypeError, ValueError):
            raise ActionError("%s needs numeric x and y" % a.get("action_type"))
        if not (0 <= x < self.width and 0 <= y < self.height):
            raise ActionError("(%d, %d) is outside the screen: x must be in 0..%d and y in 0..%d"
                              % (x, y, self.width - 1, self.height - 1))
        return x, y

    def _button(self, a, default="left"):
        b = a.get("button", default)
        if b not in BUTTONS:
            raise ActionError("unknown button %r: use left, middle or right" % b)
        return BUTTONS[b]

    def _key(self, name):
        ks = keysym(name)
        if ks is None:
            raise ActionError("unknown key %r; known keys: %s" % (name, EXAMPLES))
        return ks

    def xdotool_args(self, a):
        t = a.get("action_type")
        if t == "MOVE_TO":
            x, y = self._xy(a)
            return ["mousemove", str(x), str(y)]
        if t in ("CLICK", "RIGHT_CLICK", "DOUBLE_CLICK"):
            pos = self._xy(a, required=False)
            button = 3 if t == "RIGHT_CLICK" else self._button(a)
            n = 2 if t == "DOUBLE_CLICK" else int(a.get("num_clicks", 1))
            if not 1 <= n <= 3:
                raise ActionError("num_clicks must be 1, 2 or 3")
            args = ["mousemove", str(pos[0]), str(pos[1])] if pos else []
            for _ in range(n):  # mousedown/mouseup: xdotool's own click waits ~100 ms
                args += ["mousedown", str(button), "mouseup", str(button)]
            return args
        if t == "MOUSE_DOWN":
            return ["mousedown", str(self._button(a))]
        if t == "MOUSE_UP":
            return ["mouseup", str(self._button(a))]
        if t == "DRAG_TO":
            x, y = self._xy(a)
            return ["mousedown", "1", "mousemove", str(x), str(y), "mouseup", "1"]
        if t == "SCROLL":
            try:
                dx, dy = int(a.get("dx", 0)), int(a.get("dy", 0))
            except (TypeError, ValueError):
                raise ActionError("SCROLL needs integer dx and dy")
            if dx == 0 and dy == 0:
                raise ActionError("SCROLL needs a non-zero dx or dy")
            args = []
            if dy:
                args += ["click", "--repeat", str(min(abs(dy), 50)), "--delay", "1", "4" if dy > 0 else "5"]
            if dx:
                args += ["click", "--repeat", str(min(abs(dx), 50)), "--delay", "1", "7" if dx > 0 else "6"]
            return args
        if t == "TYPING":
            text = a.get("text")
            if not isinstance(text, str) or text == "":
                raise ActionError("TYPING needs a non-empty text")
            # xdotool types "\n" as Linefeed, which GTK and LibreOffice ignore: a newline is a Return
            # key press, as pyautogui.typewrite makes it.
            runs = []
            for i, line in enumerate(text.replace("\r\n", "\n").split("\n")):
                if i:
                    runs.append(["key", "Return"])
                if line:
                    runs.append(["type", "--delay", "0", "--", line])
            return runs
        if t == "PRESS":
            return ["key", "--delay", "0", self._key(a.get("key"))]
        if t == "KEY_DOWN":
            return ["keydown", self._key(a.get("key"))]
        if t == "KEY_UP":
            return ["keyup", self._key(a.get("key"))]
        if t == "HOTKEY":
            keys = a.get("keys")
            if not isinstance(keys, list) or not keys:
                raise ActionError("HOTKEY needs a list of keys, e.g. [\"ctrl\", \"s\"]")
            return ["key", "--delay", "0", "+".join(self._key(k) for k in keys)]
        raise ActionError("unknown action_type %r" % t)

    def act(self, a, atspi=True):
        started = time.monotonic()
        t = a.get("action_type")
        with self.lock:
            before = self.last_raw if self.last_raw is not None else self.grab()[1]
            error = None
            if t in ("DONE", "FAIL"):
                pass
            elif t == "WAIT":
                time.sleep(min(float(a.get("seconds", 1.0)), 10.0))
            else:
                try:
                    args = self.xdotool_args(a)
                    for run in (args if args and isinstance(args[0], list) else [args]):
                        r = subprocess.run(["xdotool"] + run, env=self.env, capture_output=True, timeout=XDOTOOL_TIMEOUT)
                        if r.returncode != 0:
                            error = "xdotool failed: %s" % r.stderr.decode(errors="replace").strip()[:300]
                            break
                except ActionError as e:
                    error = str(e)
                except subprocess.TimeoutExpired:
                    error = "the display did not respond to the action within %.0f s (frozen)" % XDOTOOL_TIMEOUT
            im, changed, self.last_raw = self.settle(before)
            self.await_a11y(started)
            apps, notes = self.app_status()
            return {"ok": error is None, "error": error, "changed": changed, "notes": notes, "apps": apps,
                    "screenshot": self.png(im), "a11y": self.a11y(atspi),
                    "ms": round((time.monotonic() - started) * 1000, 1)}

    def observe(self, atspi=True):
        with self.lock:
            im, self.last_raw = self.grab()
            apps, notes = self.app_status()
            return {"ok": True, "screenshot": self.png(im), "a11y": self.a11y(atspi),
                    "apps": apps, "notes": notes}

    def handle(self, req):
        op = req.get("op")
        try:
            if op == "ping":
                return {"ok": True, "width": self.width, "height": self.height}
            if op == "act":
                return self.act(req.get("action") or {}, req.get("a11y", True) is not False)
            if op == "observe":
                return self.observe(req.get("a11y", True) is not False)
            if op == "launch":
                pid = self.launch(req["command"], req.get("name") or "app")
                ready = True
                if req.get("wait_window"):
                    ready = self.wait_window(req["wait_window"], float(req.get("timeout", 10)))
                apps, notes = self.app_status()
                err = None if ready else "window %r did not appear within %ss" % (req.get("wait_window"), req.get("timeout", 10))
                return {"ok": ready, "pid": pid, "apps": apps, "notes": notes, "error": err}
            return {"ok": False, "error": "unknown op %r" % op}
        except ActionError as e:
            return {"ok": False, "error": str(e)}


def serve(width, height):
    os.makedirs(os.path.join(STATE, "a11y"), exist_ok=True)
    desk = Desktop(width, height)
    if os.path.exists(SOCK):
        os.unlink(SOCK)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(SOCK)
    srv.listen(16)

    def client(conn):
        with conn:
            f = conn.makefile("rwb")
            line = f.readline()
            if not line.strip():
                return  # a readiness probe: connect and close
            try:
                reply = desk.handle(json.loads(line))
            except Exception as e:  # never let one bad request take the desktop down
                reply = {"ok": False, "error": "desktop daemon error: %s" % e}
            try:
                f.write((json.dumps(reply) + "\n").encode())
                f.flush()
            except OSError:
                pass  # the caller gave up (time limit); nothing to tell

    while True:
        conn, _ = srv.accept()
        threading.Thread(target=client, args=(conn,), daemon=True).start()


def session_bus_path():
    """The socket of the session bus the image names (the apps image sets DBUS_SESSION_BUS_ADDRESS),
    or None when the image has no bus (the plain desktop)."""
    addr = os.environ.get("DBUS_SESSION_BUS_ADDRESS", "")
    return addr[len("unix:path="):] if addr.startswith("unix:path=") else None


def start(width, height, wm=True):
    os.makedirs(STATE, exist_ok=True)
    env = dict(os.environ, DISPLAY=DISPLAY)

    def bg(cmd, log):
        return subprocess.Popen(cmd, stdout=open(os.path.join(STATE, log), "ab"), stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True, env=env)

    bus = session_bus_path()
    if bus:
        # The session bus apps register with; it starts the accessibility bus on demand (AT-SPI).
        bg(["dbus-daemon", "--session", "--address=unix:path=%s" % bus, "--nofork", "--nopidfile"], "dbus.log")

    xvfb = bg(["Xvfb", DISPLAY, "-screen", "0", "%dx%dx24" % (width, height), "-nolisten", "tcp", "-noreset"], "xvfb.log")
    deadline = time.monotonic() + 10
    while subprocess.run(["xdpyinfo", "-display", DISPLAY], capture_output=True).returncode != 0:
        if xvfb.poll() is not None or time.monotonic() > deadline:
            sys.exit("Xvfb did not start: %s" % open(os.path.join(STATE, "xvfb.log")).read()[-500:])
        time.sleep(0.02)
    while bus and not os.path.exists(bus):
        if time.monotonic() > deadline:
            sys.exit("the session bus did not start: %s" % open(os.path.join(STATE, "dbus.log")).read()[-500:])
        time.sleep(0.02)
    if wm:
        bg(["jwm"], "wm.log")
        # Windows mapped before the window manager owns the screen can stay unmanaged: wait for it.
        while b"window id" not in subprocess.run(["xprop", "-root", "_NET_SUPPORTING_WM_CHECK"], env=env, capture_output=True).stdout:
            if time.monotonic() > deadline:
                sys.exit("the window manager did not start: %s" % open(os.path.join(STATE, "wm.log")).read()[-500:])
            time.sleep(0.02)
    bg([sys.executable, os.path.abspath(__file__), "serve", str(width), str(height)], "desktop.log")
    while time.monotonic() < deadline:
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(SOCK)
            s.close()
            print(json.dumps({"ok": True, "width": width, "height": height}))
            return
        except OSError:
            time.sleep(0.02)
    sys.exit("the desktop daemon did not start: %s" % open(os.path.join(STATE, "desktop.log")).read()[-500:])


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "start":
        start(int(sys.argv[2]), int(sys.argv[3]), wm=(len(sys.argv) < 5 or sys.argv[4] != "--no-wm"))
    elif cmd == "serve":
        serve(int(sys.argv[2]), int(sys.argv[3]))
    else:
        sys.exit("usage: desktop.py start WIDTH HEIGHT [--no-wm] | serve WIDTH HEIGHT")
