"""A warm dbt: imports dbt once, then forks a fresh process for every invocation.

Starting dbt costs seconds before it does any work (the interpreter, dbt's imports, the
adapter), on every run. This server pays that once, at worker start: it imports dbt, listens
on a Unix socket in a private directory, and for each connection forks a child that runs the
dbt command line it was sent, exactly as the `dbt` program would (same script, same exit
codes), with the child's output streamed back over the connection. A fork shares nothing
mutable with its siblings: every invocation is its own process, with its own PID to interrupt,
its own environment, its own adapter and connections, and its own artifacts; two dates run at
once as two children. Nothing of dbt is replaced or patched: a child is dbt's own command line
(`runpy` of the `dbt` script) or dbt's documented programmatic entry (`dbtRunner`).

Protocol, one connection per invocation. The client sends one JSON line, within
REQUEST_SECONDS of connecting (else the connection is dropped; a stalled client never delays
another's fork):
    {"script": <the dbt console script>, "args": [...], "env": {...}, "cwd": <dir>,
     "manifestKey": <optional>}
The child answers with a line {"roas_pid": <pid>}, then dbt's own output (stdout and stderr),
then, when dbt returns, a line {"roas_exit": <code>}. A child killed by a signal ends the
stream without that line. When the server cannot fork safely it answers {"roas_refused":
<why>} instead, and the client runs dbt as a plain process.

The parsed project, kept in memory. A request {"prepare": {"args": [...], "env": {...},
"cwd": <dir>, "key": <key>}} makes the server itself run `dbt parse` once (static parser off:
its thread pool would not survive a fork) and keep the parsed project; it answers
{"roas_prepared": true|false, ...}. The server's environment and working directory are put
back as they were afterwards, and dbt's adapter registry is emptied (each child registers an
adapter of its own, with its own lock and connections). An invocation sent with the same
"manifestKey" starts from that parse (`dbtRunner(manifest=...)`) only when nothing it depends
on differs: no file of the project has changed, its `--vars` are the parse's, and every
environment variable the parse read (through `env_var`, in the project, the profile or any
model, macro or YAML file) has the value it had then. Otherwise the child parses as dbt always
does. The run date is not part of any parse: models read it at run time.

Fork safety: the server refuses to fork while it runs more than one thread (a lock held by
another thread would stay locked forever in the child), saying which threads. Its objects are
frozen out of the garbage collector before any fork, so children do not copy the parse's pages
by merely scanning them.

Lifetime: the server asks Linux to send it SIGTERM when its parent (the worker) dies, and each
child asks for SIGINT when the server dies (and checks the server is still its parent once
asked, so a server that died just before is noticed); SIGINT makes dbt cancel its open queries
and stop. On SIGTERM (the worker died, or is closing it) the server interrupts its children
itself and kills, 1.5 s later, any that has not stopped (dbt cancelling its queries can take
longer on a busy machine: the retry ends what is left of them). So a worker killed with SIGKILL
leaves no dbt behind after 2 s.

Usage: python forkserver.py <socket path>
"""

import ctypes
import gc
import json
import os
import re
import runpy
import selectors
import signal
import socket
import sys
import time

PR_SET_PDEATHSIG = 1
# A request must arrive this soon after its connection, else the connection is dropped.
REQUEST_SECONDS = 5.0
MAX_REQUEST_BYTES = 1_000_000
# The distributions whose versions the worker reports (and compares with the pinned set).
DISTRIBUTIONS = ("dbt-core", "dbt-adapters", "dbt-postgres", "dbt-common", "Jinja2")
_pid_file = None
_children = set()
CHILD_GRACE_SECONDS = 1.5


def _signal(pid, sig):
    try:
        os.kill(pid, sig)
        return True
    except OSError:
        return False


def stop_children(signum, frame):
    """SIGTERM: interrupt every dbt still running (it cancels its queries), kill what is left after the grace, exit."""
    alive = [pid for pid in _children if _signal(pid, signal.SIGINT)]
    deadline = time.monotonic() + CHILD_GRACE_SECONDS
    while alive and time.monotonic() < deadline:
        time.sleep(0.05)
        alive = [pid for pid in alive if _signal(pid, 0)]
    for pid in alive:
        _signal(pid, signal.SIGKILL)
    os._exit(143)


def die_with_parent(sig):
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(sig))
    except (AttributeError, OSError):
        pass


def installed_versions():
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in DISTRIBUTIONS:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def preload():
    """Imports what every dbt invocation needs; returns (imported, why not)."""
    try:
        import dbt.adapters.factory  # noqa: F401
        import dbt.adapters.postgres  # noqa: F401
        import dbt.cli.main  # noqa: F401
        import dbt.parser.manifest  # noqa: F401
        import dbt.task.build  # noqa: F401
        import dbt.task.debug  # noqa: F401
    except Exception as error:  # the server still works, it just saves nothing
        return False, f"dbt could not be imported: {error!r}"
    return True, None


def threads():
    """The names of this process's threads, native ones included (from /proc)."""
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return ["?"]
    names = []
    for task in tasks:
        try:
            with open(f"/proc/self/task/{task}/comm") as f:
                names.append(f.read().strip())
        except OSError:
            names.append(task)
    return names


_prepared = {"key": None, "manifest": None, "stamp": None, "dir": None, "vars": None, "env": None}
ENV_VAR_CALL = re.compile(r"""env_var\(\s*['"]([^'"]+)['"]""")


def project_stamp(project_dir):
    """Every file dbt reads from the project, with its size and modification time."""
    stamp = []
    for root, dirs, files in os.walk(project_dir):
        dirs[:] = sorted(d for d in dirs if d not in ("target", "logs", "__pycache__", ".venv") and not d.startswith("."))
        for name in sorted(files):
            full = os.path.join(root, name)
            try:
                st = os.stat(full)
            except OSError:
                continue
            stamp.append((full, st.st_size, st.st_mtime_ns))
    return stamp


def cli_vars(args):
    """The value of --vars in a dbt command line, as data (None when absent or empty)."""
    raw = None
    for i, arg in enumerate(args):
        if arg == "--vars" and i + 1 < len(args):
            raw = args[i + 1]
        elif arg.startswith("--vars="):
            raw = arg[len("--vars="):]
    if raw is None:
        return None
    try:
        import yaml

        value = yaml.safe_load(raw)
    except Exception:
        return raw
    return value or None


def parse_time_env_names(manifest, cwd, args):
    """Every environment variable the parse read: dbt records those of models, macros and YAML
    files in the manifest; those of dbt_project.yml and profiles.yml are read from the files."""
    names = set(getattr(manifest, "env_vars", {}) or {})
    dirs = {cwd}
    for flag in ("--project-dir", "--profiles-dir"):
        if flag in args and args.index(flag) + 1 < len(args):
            dirs.add(args[args.index(flag) + 1])
    for d in dirs:
        for name in ("dbt_project.yml", "profiles.yml", "packages.yml", "dependencies.yml"):
            try:
                with open(os.path.join(d, name)) as f:
                    names.update(ENV_VAR_CALL.findall(f.read()))
            except OSError:
                pass
    return names


def prepare(request):
    """Runs `dbt parse` in this process and keeps the parsed project for the children.

    Whatever happens, the server is left as it was for the next child: its environment, its
    working directory, and no adapter (with its lock and connections) registered."""
    from dbt.adapters.factory import reset_adapters
    from dbt.cli.main import dbtRunner

    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    _prepared.update(key=None, manifest=None, stamp=None, dir=None, vars=None, env=None)
    try:
        os.environ.update({str(k): str(v) for k, v in request.get("env", {}).items()})
        # dbt's static parser runs a thread pool that a forked child cannot use (it waits on it forever).
        os.environ["DBT_STATIC_PARSER"] = "false"
        cwd = request.get("cwd") or "."
        os.chdir(cwd)
        args = list(request["args"])
        stamp = project_stamp(cwd)
        result = dbtRunner().invoke(args)
        if not result.success or result.result is None:
            return {"roas_prepared": False, "error": str(result.exception or "dbt parse failed")}
        manifest = result.result
        env = {name: os.environ.get(name) for name in parse_time_env_names(manifest, cwd, args)}
        _prepared.update(key=request["key"], manifest=manifest, stamp=stamp, dir=cwd, vars=cli_vars(args), env=env)
    finally:
        try:
            reset_adapters()
        finally:
            os.environ.clear()
            os.environ.update(saved_env)
            os.chdir(saved_cwd)
    # Everything the server holds now (the parse, dbt's modules) is frozen out of the garbage
    # collector: a child's collections would otherwise touch every object, copying each page of
    # the server it shares.
    gc.collect()
    gc.freeze()
    answer = {"roas_prepared": True, "nodes": len(manifest.nodes), "parseEnv": sorted(env)}
    extra = threads()
    if len(extra) > 1:
        answer["threads"] = extra
    return answer


def prepared_manifest(request):
    """The kept parse, if it was made for this key and nothing it depends on has changed since;
    else None, with why."""
    key = request.get("manifestKey")
    if key is None:
        return None, None
    if _prepared["key"] != key or _prepared["manifest"] is None:
        return None, "no parse kept for this project"
    if cli_vars(request.get("args", [])) != _prepared["vars"]:
        return None, "--vars differ from the kept parse's"
    env = {**os.environ, **{str(k): str(v) for k, v in request.get("env", {}).items()}}
    changed = sorted(name for name, value in _prepared["env"].items() if env.get(name) != value)
    if changed:
        return None, f"environment variables read at parse time changed: {', '.join(changed)}"
    if project_stamp(_prepared["dir"]) != _prepared["stamp"]:
        return None, "a file of the project changed"
    return _prepared["manifest"], None


def run_child(conn, request, manifest, server_pid, why_parse):
    """In the forked child: become the dbt invocation, report its exit code, exit."""
    die_with_parent(signal.SIGINT)
    if os.getppid() != server_pid:
        os._exit(130)  # the server died before the parent-death signal was armed
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    fd = conn.fileno()
    os.write(fd, (json.dumps({"roas_pid": os.getpid()}) + "\n").encode())
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.environ.update({str(k): str(v) for k, v in request.get("env", {}).items()})
    os.chdir(request.get("cwd") or ".")
    # A forked dbt's command line is the server's: the pid file, held open while dbt runs, is
    # how a person (or a test, through /proc/<pid>/fd) tells which date and step a process is.
    target = os.environ.get("DBT_TARGET_PATH")
    if target:
        os.makedirs(target, exist_ok=True)
        global _pid_file
        _pid_file = open(os.path.join(target, "dbt.pid"), "w")
        _pid_file.write(f"{os.getpid()}\n")
        _pid_file.flush()
    script = request["script"]
    sys.argv = [script, *request["args"]]
    code = 0
    try:
        if manifest is not None:
            code = invoke_with(manifest, list(request["args"]))
        else:
            if why_parse:
                print(json.dumps({"roas_parsed_because": why_parse}), flush=True)
            runpy.run_path(script, run_name="__main__")
    except SystemExit as exit_:
        if exit_.code is None:
            code = 0
        elif isinstance(exit_.code, int):
            code = exit_.code
        else:
            print(exit_.code, file=sys.stderr)
            code = 1
    except KeyboardInterrupt:
        code = 130
    except BaseException as error:  # the traceback is what a person needs to see
        import traceback

        traceback.print_exception(error)
        code = 1
    # Flush what dbt wrote (its log file too), then leave without the interpreter's slow
    # teardown: the artifacts are on disk and the connection gets the exit code last.
    try:
        import logging
        import multiprocessing.util

        # What the interpreter's exit would do that matters: unlink dbt's named semaphores
        # and flush the log handlers.
        multiprocessing.util._exit_function()
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os.write(1, (json.dumps({"roas_exit": code}) + "\n").encode())
        os._exit(code)


def invoke_with(manifest, args):
    """dbt's programmatic entry with the kept parse; the exit codes of the `dbt` program."""
    from dbt.cli.main import dbtRunner

    print(json.dumps({"roas_reused_parse": True}), flush=True)
    result = dbtRunner(manifest=manifest).invoke(args)
    if result.success:
        return 0
    if result.exception is None:
        return 1  # nodes failed: dbt has reported them
    if isinstance(result.exception, KeyboardInterrupt):
        return 130
    # dbt has already reported errors it raised itself; a usage error it has not.
    print(f"Error: {result.exception}", file=sys.stderr)
    return 2


def answer_and_close(conn, message):
    try:
        conn.setblocking(True)
        conn.settimeout(REQUEST_SECONDS)
        conn.sendall((json.dumps(message) + "\n").encode())
    except OSError:
        pass
    conn.close()


class Server:
    """Accepts connections and reads their requests without ever waiting on one client."""

    def __init__(self, listener):
        self.listener = listener
        self.selector = selectors.DefaultSelector()
        listener.setblocking(False)
        self.selector.register(listener, selectors.EVENT_READ, None)
        self.pending = {}  # connection -> [bytes so far, deadline]

    def drop(self, conn):
        self.pending.pop(conn, None)
        try:
            self.selector.unregister(conn)
        except (KeyError, ValueError):
            pass
        conn.close()

    def serve(self):
        while True:
            now = time.monotonic()
            for conn, (_, deadline) in list(self.pending.items()):
                if deadline <= now:
                    self.drop(conn)  # a request that did not arrive in time
            timeout = min((d for _, d in self.pending.values()), default=None)
            events = self.selector.select(None if timeout is None else max(0.0, timeout - now))
            for key, _ in events:
                if key.data is None:
                    self.accept()
                else:
                    self.receive(key.fileobj)

    def accept(self):
        try:
            conn, _ = self.listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        conn.setblocking(False)
        self.pending[conn] = [b"", time.monotonic() + REQUEST_SECONDS]
        self.selector.register(conn, selectors.EVENT_READ, "client")

    def receive(self, conn):
        entry = self.pending.get(conn)
        if entry is None:
            return
        try:
            chunk = conn.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            chunk = b""
        if not chunk:
            self.drop(conn)
            return
        entry[0] += chunk
        if len(entry[0]) > MAX_REQUEST_BYTES:
            self.drop(conn)
            return
        if not entry[0].endswith(b"\n"):
            return
        self.pending.pop(conn)
        self.selector.unregister(conn)
        try:
            request = json.loads(entry[0])
        except ValueError:
            conn.close()
            return
        self.handle(conn, request)

    def handle(self, conn, request):
        if "prepare" in request:
            try:
                answer = prepare(request["prepare"])
            except BaseException as error:  # keep serving: children then parse as usual
                answer = {"roas_prepared": False, "error": repr(error)}
            answer_and_close(conn, answer)
            return
        running = threads()
        if len(running) > 1:
            why = f"the warm dbt runs {len(running)} threads ({', '.join(running)}); a fork would copy their locks held forever"
            answer_and_close(conn, {"roas_refused": why})
            return
        manifest, why_parse = prepared_manifest(request)
        sys.stdout.flush()
        sys.stderr.flush()
        server_pid = os.getpid()
        pid = os.fork()
        if pid == 0:
            conn.setblocking(True)
            for other in list(self.pending):
                other.close()
            self.selector.close()
            self.listener.close()
            run_child(conn, request, manifest, server_pid, why_parse)
        # Children are reaped by the kernel: keep the pids of those still running.
        _children.intersection_update([p for p in _children if _signal(p, 0)])
        _children.add(pid)
        conn.close()


def main():
    signal.signal(signal.SIGTERM, stop_children)
    die_with_parent(signal.SIGTERM)
    parent = os.environ.get("ROAS_PARENT_PID")
    if parent and parent != str(os.getppid()):
        sys.exit(130)  # the worker died before the parent-death signal was armed
    socket_path = sys.argv[1]
    started = time.monotonic()
    preloaded, why_not = preload()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(socket_path)
    os.chmod(socket_path, 0o600)
    listener.listen(64)
    # Children are reaped by the kernel; the client learns the exit code from the stream.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    ready = {
        "roas_forkserver": "ready",
        "preloaded": preloaded,
        "versions": installed_versions(),
        "threads": threads(),
        "seconds": round(time.monotonic() - started, 3),
    }
    if why_not:
        ready["error"] = why_not
    print(json.dumps(ready), flush=True)
    Server(listener).serve()


if __name__ == "__main__":
    main()
