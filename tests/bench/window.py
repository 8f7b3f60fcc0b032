#!/usr/bin/env python3
"""The real window while a watched folder of N small files uploads (issue 19, goal 6).

  tests/lib/session.sh --display -- python3 tests/bench/window.py [--files 100000]

Makes N small files in a folder, watches it into the built-in local-folder destination, then
opens the window (the release build, through tauri-driver and WebKitWebDriver, under the
session's Xvfb) and, while Hoist walks, queues and uploads them all:
- records how late a 10 ms timer fires in the web view (how long its main thread was busy, so
  what a click or scroll would wait), and the animation frames drawn;
- samples the resident memory of the web process (WebKitWebProcess) and of hoist-window.
Prints the time to every file uploaded, the delays (median, p95, p99, max, and how many were
over 50 ms), both peaks, and how many jobs the window's list holds at the end: the watch's
completed uploads beyond the newest 1,000 are taken off the queue, so the list stays bounded.
No peer watches folders or has a window to stand beside.
"""
import argparse, functools, json, os, shutil, signal, socket, subprocess, sys, tempfile, time
import urllib.request

print = functools.partial(print, flush=True)

# Two clocks in the web view: animation frames (WebKitGTK under Xvfb draws one only when
# something changed on screen, so their count says how often the list was redrawn) and a 10 ms
# timer, whose lateness is how long the page's main thread was busy: what a click or a scroll
# would have waited.
RECORDER = """
window.__frames = [];
window.__lags = [];
let lastFrame = performance.now();
const frame = (t) => { window.__frames.push(t - lastFrame); lastFrame = t; requestAnimationFrame(frame); };
requestAnimationFrame(frame);
let lastTick = performance.now();
window.__long = [];
setInterval(() => { const now = performance.now(); const lag = now - lastTick - 10; window.__lags.push(lag); if (lag > 50) window.__long.push([Math.round(now), Math.round(lag)]); lastTick = now; }, 10);
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Driver:
    def __init__(self, application, env, log):
        self.port = free_port()
        self.process = subprocess.Popen(
            ["tauri-driver", "--port", str(self.port), "--native-port", str(free_port())],
            env=env, stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + 30
        while True:
            try:
                self.call("GET", "/status")
                break
            except OSError:
                if time.time() > deadline:
                    sys.exit("tauri-driver did not answer in 30 s")
                time.sleep(0.1)
        caps = {"capabilities": {"alwaysMatch": {"tauri:options": {"application": application}}}}
        self.session = self.call("POST", "/session", caps)["value"]["sessionId"]

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=120) as answer:
            return json.load(answer)

    def script(self, source):
        return self.call("POST", f"/session/{self.session}/execute/sync",
                         {"script": source, "args": []})["value"]

    def close(self):
        try:
            self.call("DELETE", f"/session/{self.session}")
        except OSError:
            pass
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def pids_named(name):
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as f:
                    if f.read().strip() == name[:15]:
                        found.append(int(entry))
            except OSError:
                pass
    return found


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def count_files(folder):
    return sum(len(files) for _, _, files in os.walk(folder))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--timeout", type=int, default=1800, help="seconds to wait for the uploads")
    args = parser.parse_args()
    if not os.environ.get("DISPLAY"):
        sys.exit("no DISPLAY: run under tests/lib/session.sh --display")
    hoist = os.path.abspath(os.environ.get("HOIST_BIN", "target/release/hoist"))
    root = tempfile.mkdtemp(prefix="hoist-bench-window-")
    data, src, local = (os.path.join(root, d) for d in ("data", "src", "Hoist"))
    env = dict(os.environ, HOIST_DATA_DIR=data, HOIST_LOCAL_DIR=local)
    try:
        for i in range(args.files):
            folder = os.path.join(src, f"dir{i % 100}")
            if i < 100:
                os.makedirs(folder)
            with open(os.path.join(folder, f"file-{i}.txt"), "w") as f:
                f.write(f"file {i}\n" * 10)
        subprocess.run([hoist, "watch", "add", src, "--settle", "500ms"], env=env, check=True,
                       capture_output=True)
        log = open(os.path.join(root, "window.log"), "w")
        started = time.time()
        driver = Driver(hoist, env, log)
        driver.script(RECORDER)
        web, window = 0, 0
        uploaded, next_count = 0, 0.0
        while uploaded < args.files:
            if time.time() - started > args.timeout:
                sys.exit(f"only {uploaded} of {args.files} uploaded in {args.timeout} s; see {root}")
            for pid in pids_named("WebKitWebProcess"):
                web = max(web, rss_kib(pid))
            for pid in pids_named("hoist-window"):
                window = max(window, rss_kib(pid))
            if time.time() >= next_count:
                uploaded = count_files(local) if os.path.isdir(local) else 0
                next_count = time.time() + 2
            time.sleep(0.2)
        took = time.time() - started
        # Ten seconds idle, then the web process again: what it keeps once the queue is quiet.
        time.sleep(10)
        web_after = max([rss_kib(pid) for pid in pids_named("WebKitWebProcess")] or [0])
        frames = driver.script("return window.__frames.slice(1);") or [0]
        lags = driver.script("return window.__lags;") or [0]
        if os.environ.get("BENCH_VERBOSE") == "1":
            print("long delays [page ms, delay ms]:", driver.script("return window.__long;"))
            print("page time now:", driver.script("return performance.now();"))
        shown = driver.script(
            "return [document.querySelector('.summary').textContent,"
            " document.querySelector('.jobs-spacer').style.height];")
        driver.close()
        rows = int(float(shown[1].rstrip("px") or 0) / 64)
        print(f"window, {args.files:,} watched files into the local folder (release build, Xvfb):")
        print(f"  all uploaded after the window opened: {took:.1f} s")
        print(f"  main-thread delay (a 10 ms timer's lateness, {len(lags):,} ticks): median "
              f"{percentile(lags, 0.5):.1f} ms, p95 {percentile(lags, 0.95):.1f} ms, p99 "
              f"{percentile(lags, 0.99):.1f} ms, max {max(lags):.0f} ms; "
              f"{sum(l > 50 for l in lags)} over 50 ms")
        print(f"  animation frames: {len(frames):,} (drawn when the list changed); interval "
              f"median {percentile(frames, 0.5):.1f} ms, p95 {percentile(frames, 0.95):.1f} ms, "
              f"max {max(frames):.0f} ms")
        print(f"  peak RSS: web process {web / 1024:.0f} MiB, hoist-window {window / 1024:.0f} MiB; "
              f"web process 10 s after the last upload {web_after / 1024:.0f} MiB")
        print(f"  the list at the end: {rows:,} jobs ({shown[0]})")
    finally:
        if os.environ.get("HOIST_KEEP_BENCH") != "1":
            shutil.rmtree(root, ignore_errors=True)
        else:
            print(f"kept {root}")


if __name__ == "__main__":
    main()
