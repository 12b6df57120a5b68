"""A warm dbt: imports dbt once, then forks a fresh process for every invocation.

Starting dbt costs seconds before it does any work (the interpreter, dbt's imports, the
adapter), on every run. This server pays that once, at worker start: it imports dbt, listens
on a Unix socket in a private directory, and for each connection forks a child that runs the
dbt command line it was sent, exactly as the `dbt` program would (same script, same exit
codes), with the child's output streamed back over the connection. A fork shares nothing
mutable with its siblings: every invocation is its own process, with its own PID to interrupt,
its own environment and its own artifacts; two dates run at once as two children.

Protocol, one connection per invocation. The client sends one JSON line:
    {"script": <the dbt console script>, "args": [...], "env": {...}, "cwd": <dir>,
     "manifestKey": <optional>}
The child answers with a line {"roas_pid": <pid>}, then dbt's own output (stdout and stderr),
then, when dbt returns, a line {"roas_exit": <code>}. A child killed by a signal ends the
stream without that line.

The parsed project, kept in memory. A request {"prepare": {"args": [...], "env": {...},
"cwd": <dir>, "key": <key>}} makes the server itself run `dbt parse` once and keep the parsed
project; it answers {"roas_prepared": true|false, ...}. An invocation sent with the same
"manifestKey" then starts from that parse instead of reading and checking the saved one, as
long as no file of the project has changed since (a change, or a different key, and the child
parses as dbt always does: nothing stale is ever used). The run date is not part of any parse:
models read it at run time.

What a warm dbt saves besides start-up, per node of every invocation (see speed_up_dbt):
dbt compiles the Jinja of every macro and node it uses, again in every process, and opens a new
PostgreSQL connection for every node; here the server compiles every macro and node of the kept
parse once, the children reuse the compiled code (the same code dbt would compile: the cache is
keyed by the source text and the environment's settings), and a thread's connection serves its
next node too (rolled back between nodes, as dbt's closing it would). The server's objects are
frozen out of the garbage collector before any fork, so children do not copy the parse's pages
by merely scanning them.

Lifetime: the server asks Linux to send it SIGTERM when its parent (the worker) dies, and each
child asks for SIGINT when the server dies; SIGINT makes dbt cancel its open queries and stop.
So a worker killed with SIGKILL leaves no dbt behind.

Usage: python forkserver.py <socket path>
"""

import ctypes
import gc
import json
import os
import runpy
import signal
import socket
import sys
import time

PR_SET_PDEATHSIG = 1
_pid_file = None


def die_with_parent(sig):
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(sig))
    except (AttributeError, OSError):
        pass


def preload():
    """Imports what every dbt invocation needs; a missing dbt only makes the children slower."""
    try:
        import dbt.adapters.postgres  # noqa: F401
        import dbt.cli.main  # noqa: F401
        import dbt.parser.manifest  # noqa: F401
        import dbt.task.build  # noqa: F401
        import dbt.task.debug  # noqa: F401
    except Exception:  # pragma: no cover - the server still works, it just saves nothing
        return False, []
    return True, speed_up_dbt()


def speed_up_dbt():
    """Installs what saves dbt's per-node work in every child; returns the names of those installed.

    Each one checks that dbt's internals are the ones it was written for (dbt-core 1.11, pinned in
    requirements.txt) and is left out otherwise: dbt then works as it always does.
    """
    installed = []
    if not SPEEDUPS:
        return installed
    for name, install in (("compiled_jinja", keep_compiled_jinja), ("reused_connections", reuse_connections)):
        try:
            if install():
                installed.append(name)
        except Exception:  # pragma: no cover - an unexpected dbt: leave it as it is
            pass
    return installed


# ROAS_DBT_SPEEDUPS=off (in the worker's environment) leaves dbt exactly as it is, with the
# warm start only: for comparing, or if a dbt release ever disagrees with them.
SPEEDUPS = os.environ.get("ROAS_DBT_SPEEDUPS", "on").strip().lower() not in ("off", "0", "false", "no")
_compiled = {}


def keep_compiled_jinja():
    """Jinja compiles a template's source to Python code on every use; dbt does it for every node
    and every macro in every process. Keep the code by source text and the environment's
    settings (its class, extensions, filters and tests: all that the compiled code depends on).
    Each use still makes its own template from that code, with its own context."""
    import jinja2
    from dbt_common.clients.jinja import MacroFuzzEnvironment

    if "compile" in MacroFuzzEnvironment.__dict__:
        return False
    compile_ = jinja2.Environment.compile

    def compile(self, source, name=None, filename=None, raw=False, defer_init=False):
        if not isinstance(source, str):
            return compile_(self, source, name, filename, raw, defer_init)
        key = (type(self), tuple(self.extensions), frozenset(self.filters), frozenset(self.tests), source, name, filename, raw, defer_init)
        code = _compiled.get(key)
        if code is None:
            code = _compiled[key] = compile_(self, source, name, filename, raw, defer_init)
        return code

    MacroFuzzEnvironment.compile = compile
    return True


def reuse_connections():
    """dbt closes a thread's PostgreSQL connection after each node and opens a new one for the
    next (a new server process each time). Keep it open instead: end its transaction (roll back
    what was not committed, as closing does) and let the thread's next node use it. A connection
    that is not healthy is closed as before. dbt closes them all when the command ends.
    Session settings carry over between nodes: the profile's role is meant to (see open_), and
    nothing else in this project sets any (its locks are transaction locks)."""
    from dbt.adapters.postgres.connections import PostgresConnectionManager

    base_release = PostgresConnectionManager.release
    if getattr(base_release, "_roas_keeps_open", False):
        return False

    def release(self):
        with self.lock:
            conn = self.get_if_exists()
            if conn is None:
                return
        handle = conn.handle
        if conn.state != "open" or getattr(handle, "closed", 1) != 0:
            return base_release(self)
        try:
            if conn.transaction_open:
                self._rollback(conn)
            else:
                handle.rollback()
        except Exception:
            return base_release(self)

    base_open = PostgresConnectionManager.open.__func__

    def open_(cls, connection):
        # dbt's open sets the profile's role (SET ROLE) in the connection's first transaction,
        # which a closed connection never outlives. On a kept connection the rollback between
        # nodes would undo it: commit it at once, so the role holds for the whole session.
        connection = base_open(cls, connection)
        handle = connection.handle
        if connection.state == "open" and getattr(connection.credentials, "role", None) and not getattr(handle, "autocommit", True):
            handle.commit()
        return connection

    release._roas_keeps_open = True
    PostgresConnectionManager.open = classmethod(open_)
    PostgresConnectionManager.release = release
    return True


def precompile(manifest):
    """Compiles every macro and every node's SQL of the kept parse, in the server, once."""
    from dbt_common.clients.jinja import get_environment, template_cache

    count = 0
    for macro in manifest.macros.values():
        try:
            template_cache.get_node_template(macro)
            count += 1
        except Exception:  # a macro that does not compile fails where dbt uses it, as before
            pass
    if not _compiled:  # without keep_compiled_jinja, a node's compiled code is not kept
        return count
    for node in manifest.nodes.values():
        code = getattr(node, "raw_code", None)
        if not code:
            continue
        try:
            get_environment(node).compile(code)
            count += 1
        except Exception:
            pass
    return count


_prepared = {"key": None, "manifest": None, "stamp": None, "dir": None}


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


def prepare(request):
    """Runs `dbt parse` in this process and keeps the parsed project for the children."""
    from dbt.cli.main import dbtRunner

    env = {str(k): str(v) for k, v in request.get("env", {}).items()}
    os.environ.update(env)
    cwd = request.get("cwd") or "."
    os.chdir(cwd)
    stamp = project_stamp(cwd)
    result = dbtRunner().invoke(list(request["args"]))
    if not result.success or result.result is None:
        _prepared.update(key=None, manifest=None, stamp=None, dir=None)
        return {"roas_prepared": False, "error": str(result.exception or "dbt parse failed")}
    _prepared.update(key=request["key"], manifest=result.result, stamp=stamp, dir=cwd)
    if not SPEEDUPS:
        return {"roas_prepared": True, "nodes": len(result.result.nodes)}
    try:
        precompiled = precompile(result.result)
    except Exception:  # pragma: no cover - the children compile what they use, as dbt does
        precompiled = 0
    # Everything the server holds now (the parse, the compiled code, dbt's modules) is frozen
    # out of the garbage collector: a child's collections would otherwise touch every object,
    # copying each page of the server it shares.
    gc.collect()
    gc.freeze()
    return {"roas_prepared": True, "nodes": len(result.result.nodes), "precompiled": precompiled}


def prepared_manifest(key):
    """The kept parse, if it was made for this key and the project has not changed since."""
    if key is None or _prepared["key"] != key or _prepared["manifest"] is None:
        return None
    if project_stamp(_prepared["dir"]) != _prepared["stamp"]:
        return None
    return _prepared["manifest"]


def read_request(conn):
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
        if len(data) > 1_000_000:
            return None
    return json.loads(data)


def run_child(conn, request, manifest):
    """In the forked child: become the dbt invocation, report its exit code, exit."""
    die_with_parent(signal.SIGINT)
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


def main():
    die_with_parent(signal.SIGTERM)
    parent = os.environ.get("ROAS_PARENT_PID")
    if parent and parent != str(os.getppid()):
        sys.exit(130)  # the worker died before the parent-death signal was armed
    socket_path = sys.argv[1]
    started = time.monotonic()
    preloaded, faster = preload()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(socket_path)
    os.chmod(socket_path, 0o600)
    server.listen(16)
    # Children are reaped by the kernel; the client learns the exit code from the stream.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    print(json.dumps({"roas_forkserver": "ready", "preloaded": preloaded, "faster": faster, "seconds": round(time.monotonic() - started, 3)}), flush=True)
    while True:
        conn, _ = server.accept()
        try:
            request = read_request(conn)
        except (OSError, ValueError):
            request = None
        if request is None:
            conn.close()
            continue
        if "prepare" in request:
            try:
                answer = prepare(request["prepare"])
            except BaseException as error:  # keep serving: children then parse as usual
                answer = {"roas_prepared": False, "error": repr(error)}
            try:
                conn.sendall((json.dumps(answer) + "\n").encode())
            except OSError:
                pass
            conn.close()
            continue
        manifest = prepared_manifest(request.get("manifestKey"))
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            server.close()
            run_child(conn, request, manifest)
        conn.close()


if __name__ == "__main__":
    main()
