/**
 * The in-container agent: started as the sandbox's main process (under docker-init), it reads one
 * JSON request per line on stdin and answers one JSON line per request on stdout. One long-lived
 * channel over the attach stream replaces a `docker exec` (three API calls and a new process in the
 * runtime) per command. Time limits, output caps and out-of-memory detection happen here, next to
 * the process, so they hold even if the runner is slow.
 *
 * Kept as Python because every sandbox image derives from the base image, which has python3.
 */
export const AGENT_PY = String.raw`
import base64, json, os, signal, subprocess, sys, threading, time

_out_lock = threading.Lock()

def send(obj):
    data = (json.dumps(obj, separators=(",", ":")) + "\n").encode()
    with _out_lock:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()

def oom_kills():
    # cgroup v2 exposes memory.events, v1 memory.oom_control; both count oom_kill events.
    for path in ("/sys/fs/cgroup/memory.events", "/sys/fs/cgroup/memory/memory.oom_control"):
        try:
            with open(path) as f:
                for line in f:
                    parts = line.split()
                    if len(parts) == 2 and parts[0] == "oom_kill":
                        return int(parts[1])
        except OSError:
            pass
    return -1

def session_of(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
        fields = stat[stat.rindex(")") + 2:].split()
        # A killed process stays in /proc as a zombie until reaped: it no longer counts.
        return None if fields[0] in ("Z", "X") else int(fields[3])
    except (OSError, ValueError, IndexError):
        return None

def kill_session(sid):
    # A fork bomb keeps forking while we kill: repeat until no process of the session is left.
    me = os.getpid()
    for _ in range(200):
        try:
            os.killpg(sid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        left = [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) != me and session_of(int(p)) == sid]
        if not left:
            return
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.005)

def reader(pipe, cap, sink):
    total = 0
    while True:
        chunk = pipe.read1(65536) if hasattr(pipe, "read1") else pipe.read(65536)
        if not chunk:
            break
        if total < cap:
            sink.append(chunk[: cap - total])
        total += len(chunk)
    sink.append(total > cap)

def run(req):
    started = time.monotonic()
    rid = req["id"]
    cmd = req["cmd"]
    argv = ["/bin/sh", "-c", cmd] if isinstance(cmd, str) else cmd
    env = dict(os.environ)
    env.update(req.get("env") or {})
    cap = int(req.get("cap", 1 << 20))
    timeout = float(req.get("timeout", 60000)) / 1000.0
    stdin_data = base64.b64decode(req["stdin"]) if req.get("stdin") else None
    oom_before = oom_kills()
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE if stdin_data is not None else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=req.get("cwd") or None,
                                env=env, start_new_session=True)
    except (OSError, ValueError) as e:
        send({"id": rid, "exit": 127, "out": "", "err": base64.b64encode(("agentrl: cannot start %r: %s\n" % (argv[0], e)).encode()).decode(),
              "timedOut": False, "truncated": False, "oom": False, "ms": (time.monotonic() - started) * 1000})
        return
    try:
        with open("/proc/%d/oom_score_adj" % proc.pid, "w") as f:
            f.write("1000")  # the command, never the agent, is what the OOM killer should pick
    except OSError:
        pass
    out, err = [], []
    threads = [threading.Thread(target=reader, args=(proc.stdout, cap, out), daemon=True),
               threading.Thread(target=reader, args=(proc.stderr, cap, err), daemon=True)]
    for t in threads:
        t.start()
    if stdin_data is not None:
        def feed():
            try:
                proc.stdin.write(stdin_data)
                proc.stdin.close()
            except OSError:
                pass
        threading.Thread(target=feed, daemon=True).start()
    timed_out = False
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
    if timed_out:
        kill_session(proc.pid)
    proc.wait()
    # A background child (server started with &) may keep the pipes open: answer without waiting for it.
    for t in threads:
        t.join(timeout=2 if timed_out else 0.5)
    code = proc.returncode
    oom = oom_kills() > oom_before >= 0
    trunc = bool(out and out[-1] is True) or bool(err and err[-1] is True)
    body_out = b"".join(c for c in out if isinstance(c, bytes))
    body_err = b"".join(c for c in err if isinstance(c, bytes))
    send({"id": rid, "exit": None if (timed_out or code < 0) else code, "signal": -code if code < 0 else None,
          "out": base64.b64encode(body_out).decode(), "err": base64.b64encode(body_err).decode(),
          "timedOut": timed_out, "truncated": trunc, "oom": oom, "ms": (time.monotonic() - started) * 1000})

def unix_request(req):
    # One request/reply with a service listening on a unix socket inside the sandbox (a desktop
    # daemon, a language server): no process is started, so it costs about a millisecond.
    import socket
    rid = req["id"]
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(float(req.get("timeout", 30000)) / 1000.0)
        s.connect(req["path"])
        s.sendall(base64.b64decode(req.get("data") or ""))
        s.shutdown(socket.SHUT_WR)
        cap = int(req.get("cap", 64 << 20))
        chunks, total = [], 0
        while True:
            c = s.recv(1 << 20)
            if not c:
                break
            total += len(c)
            if total > cap:
                raise OSError("reply larger than %d bytes" % cap)
            chunks.append(c)
        s.close()
        send({"id": rid, "data": base64.b64encode(b"".join(chunks)).decode()})
    except (OSError, ValueError, KeyError) as e:
        send({"id": rid, "error": "%s: %s" % (type(e).__name__, e)})

def main():
    send({"ready": True, "pid": os.getpid(), "uid": os.getuid()})
    for line in sys.stdin.buffer:
        line = line.strip()
        if not line:
            continue
        try:
            req = json.loads(line)
        except ValueError as e:
            send({"id": None, "error": "bad request: %s" % e})
            continue
        if req.get("op") == "ping":
            send({"id": req.get("id"), "pong": True})
            continue
        target = unix_request if req.get("op") == "unix" else run
        threading.Thread(target=target, args=(req,), daemon=True).start()

main()
`;
