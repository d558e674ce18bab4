/**
 * The in-container agent: started as the sandbox's main process (under docker-init), it reads one
 * JSON request per line on stdin and answers one JSON line per request on stdout. One long-lived
 * channel over the attach stream replaces a `docker exec` (three API calls and a new process in the
 * runtime) per command. Time limits, output caps and out-of-memory detection happen here, next to
 * the process, so they hold even if the runner is slow.
 *
 * Kept as Python because every sandbox image derives from the base image, which has python3.
 *
 * Out of the model's reach: the agent is the container's PID 1 (no docker-init), so signals sent
 * from inside the container only reach it for handlers it installed (none: SIGINT is reset), and it
 * makes itself non-dumpable, so processes of the same uid cannot open /proc/1/fd/* (the channel's
 * pipes), read its memory or ptrace it. Commands get fresh pipes and no inherited descriptors. As
 * PID 1 it also reaps orphaned processes, and "killall" ends every process but itself before scoring.
 */
export const AGENT_PY = String.raw`
import base64, ctypes, json, os, selectors, signal, stat, subprocess, sys, threading, time

_out_lock = threading.Lock()
# Held while a command starts and is recorded, and while orphans are reaped: a child of ours that exits
# at once must not be reaped as an orphan (its thread would then read a wrong exit status).
_spawn_lock = threading.Lock()
_ours = set()
# SIGCHLD only wakes the reaper thread through this pipe. A Python handler runs on the main thread
# between any two bytecodes, also while that thread holds _spawn_lock (in killall): a handler that
# took the lock itself deadlocked the agent for good. The pipe write happens in C, lock-free.
_reap_r, _reap_w = os.pipe()

def harden():
    try:
        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 0
    except (OSError, AttributeError):
        pass
    # As PID 1 only signals with a handler are delivered from inside: keep none (Python handles SIGINT)
    # but SIGCHLD, whose handler does nothing (a model sending it only costs a /proc scan).
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    if os.getpid() == 1:
        os.set_blocking(_reap_w, False)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        signal.set_wakeup_fd(_reap_w, warn_on_full_buffer=False)
        # Started before the model runs anything: a sandbox it filled to its pids limit has no room for a thread.
        threading.Thread(target=reaper, daemon=True).start()

def reaper():
    # A full pipe drops bytes, but then a read is pending, and the scan after it sees every zombie.
    while True:
        os.read(_reap_r, 4096)
        reap_orphans()

def reap_orphans():
    with _spawn_lock:
        for p in os.listdir("/proc"):
            if not p.isdigit() or int(p) in _ours or int(p) == 1:
                continue
            try:
                with open("/proc/%s/stat" % p) as f:
                    st = f.read()
                fields = st[st.rindex(")") + 2:].split()
                if fields[0] == "Z" and fields[1] == "1":
                    os.waitpid(int(p), os.WNOHANG)
            except (OSError, ValueError, IndexError, ChildProcessError):
                pass

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

def run(req):
    # Every request gets an answer: a runner waiting on a reply that never comes would only see a
    # "frozen" sandbox, far from the real cause.
    try:
        send(run_command(req))
    except Exception as e:
        send({"id": req.get("id"), "error": "the agent could not run the command: %s: %s" % (type(e).__name__, e)})

def run_command(req):
    # One thread does everything after the start (pipes, stdin, time limit): a command that fills the
    # pids limit at once (a fork bomb) leaves no room for another thread, so none may be needed.
    started = time.monotonic()
    rid = req["id"]
    cmd = req["cmd"]
    argv = ["/bin/sh", "-c", cmd] if isinstance(cmd, str) else cmd
    env = dict(os.environ)
    env.update(req.get("env") or {})
    cap = int(req.get("cap", 1 << 20))
    deadline = started + float(req.get("timeout", 60000)) / 1000.0
    stdin_data = base64.b64decode(req["stdin"]) if req.get("stdin") else None
    oom_before = oom_kills()
    try:
        with _spawn_lock:
            proc = subprocess.Popen(argv, stdin=subprocess.PIPE if stdin_data is not None else subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=req.get("cwd") or None,
                                    env=env, start_new_session=True)
            _ours.add(proc.pid)
    except (OSError, ValueError) as e:
        return {"id": rid, "exit": 127, "out": "", "err": base64.b64encode(("agentrl: cannot start %r: %s\n" % (argv[0], e)).encode()).decode(),
                "timedOut": False, "truncated": False, "oom": False, "ms": (time.monotonic() - started) * 1000}
    try:
        with open("/proc/%d/oom_score_adj" % proc.pid, "w") as f:
            f.write("1000")  # the command, never the agent, is what the OOM killer should pick
    except OSError:
        pass
    sel = selectors.DefaultSelector()
    sinks = {}
    for pipe in (proc.stdout, proc.stderr):
        os.set_blocking(pipe.fileno(), False)
        sel.register(pipe.fileno(), selectors.EVENT_READ, pipe)
        sinks[pipe.fileno()] = [[], 0]  # chunks kept (up to the cap), bytes seen
    out_sink, err_sink = sinks[proc.stdout.fileno()], sinks[proc.stderr.fileno()]
    pending_in = memoryview(stdin_data) if stdin_data is not None else None
    if pending_in is not None:
        os.set_blocking(proc.stdin.fileno(), False)
        sel.register(proc.stdin.fileno(), selectors.EVENT_WRITE, proc.stdin)
    # A pidfd turns "the command exited" into a selectable event; without one (old kernels) poll.
    pidfd = None
    try:
        pidfd = os.pidfd_open(proc.pid)
        sel.register(pidfd, selectors.EVENT_READ, None)
    except (AttributeError, OSError):
        pidfd = None
    timed_out = False
    ended_at = None
    linger = 0.5  # a background child (a server started with &) may keep the pipes open: do not wait for it
    while True:
        now = time.monotonic()
        if ended_at is None and proc.poll() is not None:
            ended_at = now
        if ended_at is None and now >= deadline:
            timed_out = True
            kill_session(proc.pid)
            proc.wait()
            ended_at, linger = time.monotonic(), 2.0
        if ended_at is not None:
            if pidfd is not None:
                sel.unregister(pidfd)
                os.close(pidfd)
                pidfd = None
            if not any(fd in sinks for fd in sel.get_map()) or now >= ended_at + linger:
                break
            wait = ended_at + linger - now
        else:
            wait = deadline - now if pidfd is not None else min(deadline - now, 0.02)
        for key, _ in sel.select(max(wait, 0)):
            if key.data is None:
                continue  # the pidfd: the exit is picked up at the top of the loop
            if key.data is proc.stdin:
                try:
                    n = os.write(key.fd, pending_in[:65536])
                    pending_in = pending_in[n:]
                    done = len(pending_in) == 0
                except BlockingIOError:
                    done = False
                except OSError:
                    done = True  # the command closed its stdin: the rest is not wanted
                if done:
                    sel.unregister(key.fd)
                    proc.stdin.close()
                continue
            try:
                chunk = os.read(key.fd, 65536)
            except BlockingIOError:
                continue
            if not chunk:
                sel.unregister(key.fd)
                continue
            sink = sinks[key.fd]
            if sink[1] < cap:
                sink[0].append(chunk[: cap - sink[1]])
            sink[1] += len(chunk)
    for key in list(sel.get_map().values()):
        sel.unregister(key.fd)
    if pidfd is not None:
        os.close(pidfd)
    sel.close()
    for pipe in (proc.stdin, proc.stdout, proc.stderr):
        if pipe is not None:
            try:
                pipe.close()
            except OSError:
                pass
    code = proc.returncode
    _ours.discard(proc.pid)
    oom = oom_kills() > oom_before >= 0
    return {"id": rid, "exit": None if (timed_out or code < 0) else code, "signal": -code if code < 0 else None,
            "out": base64.b64encode(b"".join(out_sink[0])).decode(), "err": base64.b64encode(b"".join(err_sink[0])).decode(),
            "timedOut": timed_out, "truncated": out_sink[1] > cap or err_sink[1] > cap, "oom": oom,
            "ms": (time.monotonic() - started) * 1000}

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

def file_error(rid, code, message):
    return {"id": rid, "error": message, "code": code}

def read_file(req):
    # Read as the sandbox user, capped: a folder, a device or a 2 GB file is an answer, not a tar of the
    # whole filesystem in the runner's memory.
    rid, path, cap = req["id"], req["path"], int(req["cap"])
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        return file_error(rid, "not_found", "no such file in the sandbox: %s" % path)
    except IsADirectoryError:
        return file_error(rid, "is_dir", "%s is a folder, not a file" % path)
    except OSError as e:
        return file_error(rid, "denied", "cannot read %s: %s" % (path, e.strerror))
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            return file_error(rid, "is_dir", "%s is a folder, not a file" % path)
        if not stat.S_ISREG(st.st_mode):
            return file_error(rid, "not_regular", "%s is not a regular file" % path)
        if st.st_size > cap:
            return dict(file_error(rid, "too_large", "%s is %d bytes, over the %d-byte read limit" % (path, st.st_size, cap)), size=st.st_size)
        chunks, total = [], 0
        while total <= cap:
            c = os.read(fd, min(1 << 20, cap + 1 - total))
            if not c:
                break
            chunks.append(c)
            total += len(c)
        if total > cap:
            return dict(file_error(rid, "too_large", "%s grew past the %d-byte read limit while it was read" % (path, cap)), size=total)
        return {"id": rid, "data": base64.b64encode(b"".join(chunks)).decode()}
    finally:
        os.close(fd)

def write_one(path, data, mode):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fchmod(fd, mode)
    finally:
        os.close(fd)

def write_files(req):
    # Written as the sandbox user into its writable areas (the root filesystem is read-only).
    rid = req["id"]
    mode = int(req.get("mode", 0o644))
    for path, b64 in req["files"].items():
        try:
            write_one(path, base64.b64decode(b64), mode)
        except OSError as e:
            code = "no_space" if e.errno in (28, 27, 122) else "denied"
            return file_error(rid, code, "cannot write %s: %s" % (path, e.strerror))
    return {"id": rid, "ok": True}

def read_dir(req):
    rid, root, cap = req["id"], req["path"], int(req["cap"])
    if not os.path.isdir(root):
        return file_error(rid, "not_found", "no such folder in the sandbox: %s" % root)
    files, total = {}, 0
    for d, dirs, names in os.walk(root):
        for n in names:
            full = os.path.join(d, n)
            try:
                st = os.lstat(full)
                if not stat.S_ISREG(st.st_mode):
                    continue
                total += st.st_size
                if total > cap:
                    return file_error(rid, "too_large", "%s holds more than the %d-byte read limit" % (root, cap))
                with open(full, "rb") as f:
                    files[os.path.relpath(full, root)] = base64.b64encode(f.read(cap)).decode()
            except OSError:
                continue
    return {"id": rid, "files": files}

def untar(req):
    # The image's own files under a size-limited writable area (tmpfs starts empty), unpacked at start.
    import io, tarfile
    with tarfile.open(fileobj=io.BytesIO(base64.b64decode(req["data"]))) as t:
        kw = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        t.extractall(req["dest"], **kw)
    return {"id": req["id"], "ok": True}

def kill_all(req):
    # Before scoring: every process but this one goes, including daemons the model left behind.
    # kill(-1) from PID 1 reaches every other process of the container; repeat while a fork races it.
    for _ in range(500):
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass
        reap_orphans()
        with _spawn_lock:
            left = [p for p in os.listdir("/proc") if p.isdigit() and p != "1" and session_of(int(p)) is not None]
        if not left:
            return {"id": req["id"], "ok": True}
        time.sleep(0.002)
    return {"id": req["id"], "error": "processes left after 500 kill rounds: %s" % ",".join(left[:20])}

OPS = {"read": read_file, "write": write_files, "readdir": read_dir, "killall": kill_all, "untar": untar}

def answer(fn, req):
    try:
        send(fn(req))
    except Exception as e:
        send({"id": req.get("id"), "error": "the agent failed: %s: %s" % (type(e).__name__, e)})

def main():
    harden()
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
        op = req.get("op")
        if op == "ping":
            send({"id": req.get("id"), "pong": True})
            continue
        if op == "killall":
            # On this thread: a sandbox whose pids the model filled has no room for another one.
            answer(kill_all, req)
            continue
        if op == "unix":
            target, args = unix_request, (req,)
        elif op in OPS:
            target, args = answer, (OPS[op], req)
        else:
            target, args = run, (req,)
        try:
            threading.Thread(target=target, args=args, daemon=True).start()
        except RuntimeError as e:
            # Threads count against the pids limit: another command (a fork bomb) may have taken them all.
            send({"id": req.get("id"), "error": "no room to start the command (%s): the sandbox is at its process limit; "
                  "end the command that fills it or raise limits.pids" % e})

main()
`;
