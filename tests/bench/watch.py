#!/usr/bin/env python3
"""Folder-watching benchmark (issue 12): `hoist run --watch` into a local-folder destination.

  HOIST_BIN=target/release/hoist python3 tests/bench/watch.py [--files 100000]

(a) Latency from the last write of a file to its object existing, over 50 files written one at a
    time with the default settle time (2 s): p50 and p95.
(b) The initial walk of a folder of N (100,000) small files: `find` and `rclone lsf -R` of the
    same folder as the ceiling and a peer (neither watches), then Hoist: time to the end of its
    walk (its "walked the folder" log line), to every file queued, to every file uploaded, and
    its peak RSS.
(c) CPU time `hoist run --watch` spends while the N watched files sit idle for 60 s.
(d) A restart over the N unchanged files: time to the end of the walk, and the jobs it added
    (every request Hoist sends belongs to a job, so no job means no request).
(e) With Garage (run under `tests/lib/session.sh --garage`): the N files watched into a bucket,
    all uploaded, then a restart with the destination pointed at a counting proxy
    (tests/lib/count_proxy.py): the requests that restart sent to the server, by kind.
No peer watches folders, so (a), (c), (d) and (e) have none to stand beside.
"""
import argparse, functools, json, os, shutil, signal, statistics, subprocess, sys, tempfile, time

print = functools.partial(print, flush=True)  # figures appear as they are measured

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--idle", type=int, default=60)
    parser.add_argument("--only-restart-requests", action="store_true",
                        help="skip (a) to (d): make the files and measure (e) alone")
    args = parser.parse_args()
    hoist = os.environ.get("HOIST_BIN", "target/release/hoist")
    root = tempfile.mkdtemp(prefix="hoist-bench-watch-")
    data, out, src = (os.path.join(root, d) for d in ("data", "out", "src"))
    for d in (out, src):
        os.makedirs(d)
    env = dict(os.environ, HOIST_DATA_DIR=data, HOIST_LOCAL_DIR=os.path.join(root, "Hoist"))

    def run(*argv):
        return subprocess.run([hoist, *argv], env=env, check=True, capture_output=True, text=True).stdout

    def start():
        log = open(os.path.join(root, "run.log"), "a")
        return subprocess.Popen([hoist, "-v", "run", "--watch"], env=env, stdout=log, stderr=log)

    def walked(after_lines):
        deadline = time.time() + 1800
        while time.time() < deadline:
            with open(os.path.join(root, "run.log")) as f:
                lines = [l for l in f if "walked the folder" in l]
            if len(lines) > after_lines:
                return
            time.sleep(0.02)
        sys.exit("no 'walked the folder' line in 30 min")

    def walk_count():
        try:
            with open(os.path.join(root, "run.log")) as f:
                return sum("walked the folder" in l for l in f)
        except FileNotFoundError:
            return 0

    def watch():
        return json.loads(run("watch", "list", "--json"))[0]

    def stop(proc):
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=120)

    def cpu_seconds(pid):
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def peak_rss_mib(pid):
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    if args.only_restart_requests:
        big = os.path.join(src, "many")
        make_files(big, args.files)
        restart_requests(hoist, root, big, args.files)
        shutil.rmtree(root)
        return

    run("destination", "add", "out", "--folder", out)
    run("watch", "add", src, "--destination", "out")

    # (a) latency
    proc = start()
    walked(0)
    latencies = []
    for i in range(50):
        name = f"latency-{i:02}.bin"
        with open(os.path.join(src, name), "wb") as f:
            f.write(os.urandom(64 * 1024))
        last_write = time.time()
        target = os.path.join(out, name)
        deadline = last_write + 60
        while not os.path.exists(target):
            if time.time() > deadline:
                sys.exit(f"{name} not uploaded within 60 s")
            time.sleep(0.005)
        latencies.append(time.time() - last_write)
    stop(proc)
    latencies.sort()
    p95 = latencies[int(0.95 * len(latencies)) - 1]
    print(f"(a) last write -> object, 50 files, settle 2 s: p50 {statistics.median(latencies):.2f} s, p95 {p95:.2f} s")

    # (b) initial walk of N files
    big = os.path.join(src, "many")
    make_files(big, args.files)
    time.sleep(3)  # let every file age past the settle time before timing anything
    t = time.time()
    subprocess.run(["find", big, "-type", "f"], check=True, stdout=subprocess.DEVNULL)
    print(f"(b) ceiling: find of {args.files} files {time.time() - t:.2f} s")
    if shutil.which("rclone"):
        t = time.time()
        peer = subprocess.run(["/usr/bin/time", "-f", "%M", "rclone", "lsf", "-R", big],
                              check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        rss = int(peer.stderr.strip().splitlines()[-1]) / 1024
        print(f"    peer: rclone lsf -R {time.time() - t:.2f} s, peak RSS {rss:.0f} MiB")
    before = walk_count()
    t = time.time()
    proc = start()
    walked(before)
    walk_s = time.time() - t
    total = args.files + 50
    while watch()["uploaded"] < total:
        time.sleep(0.5)
    queued, completed = log_times(os.path.join(root, "run.log"), t)
    queued_s = time_to(queued, args.files) - t
    uploaded_s = time_to(completed, args.files) - t
    print(f"    hoist: walk {walk_s:.2f} s, all queued {queued_s:.2f} s, all uploaded {uploaded_s:.1f} s, "
          f"peak RSS {peak_rss_mib(proc.pid):.0f} MiB")

    # (c) idle CPU
    c0 = cpu_seconds(proc.pid)
    time.sleep(args.idle)
    c1 = cpu_seconds(proc.pid)
    print(f"(c) idle over {args.files} watched files for {args.idle} s: {c1 - c0:.2f} CPU-s "
          f"({100 * (c1 - c0) / args.idle:.2f} % of one core)")
    stop(proc)

    # (d) restart over N unchanged files
    jobs_before = len(json.loads(run("queue", "--json")))
    before = walk_count()
    t = time.time()
    proc = start()
    walked(before)
    walk_s = time.time() - t
    time.sleep(3)  # past the settle time: anything it wanted to queue is queued by now
    jobs_after = len(json.loads(run("queue", "--json")))
    print(f"(d) restart over {args.files} unchanged files: idle after {walk_s:.2f} s, "
          f"peak RSS {peak_rss_mib(proc.pid):.0f} MiB, jobs added {jobs_after - jobs_before} (so requests sent: 0)")
    stop(proc)
    if os.environ.get("HOIST_GARAGE_ENDPOINT"):
        restart_requests(hoist, root, big, args.files)
    if not os.environ.get("HOIST_KEEP_SESSION"):
        shutil.rmtree(root)


def log_times(path, since):
    """From a `hoist -v` log: the times (Unix seconds) at which the files queued by watches, and the
    uploads completed, each add up to a count, for lines after `since`. Read from the log, not by
    polling `hoist watch list`, whose answers lag while the engine writes."""
    import datetime, re
    ansi = re.compile(r"\x1b\[[0-9;]*m")
    queued, completed = [], []
    with open(path) as f:
        for line in f:
            line = ansi.sub("", line)
            try:
                stamp = datetime.datetime.fromisoformat(line.split()[0].replace("Z", "+00:00")).timestamp()
            except (ValueError, IndexError):
                continue  # the CLI's own lines carry no time
            if stamp < since:
                continue
            if "queued finished files" in line:
                queued.append((stamp, int(line.rsplit("files=", 1)[1].split()[0])))
            elif "upload completed" in line:
                completed.append((stamp, 1))
    return queued, completed


def time_to(events, count):
    """When the running sum of `events` first reaches `count`, or None."""
    total = 0
    for stamp, n in events:
        total += n
        if total >= count:
            return stamp
    return None


def make_files(folder, files):
    """`files` small files in folders of 1,000."""
    os.makedirs(folder)
    for d in range(files // 1000):
        sub = os.path.join(folder, f"d{d:03}")
        os.makedirs(sub)
        for i in range(1000):
            with open(os.path.join(sub, f"f{i:04}"), "w") as f:
                f.write(str(i))


def restart_requests(hoist, root, folder, files):
    """(e): the requests a restart over `files` unchanged files watched into Garage sends."""
    data = os.path.join(root, "data-garage")
    log_path = os.path.join(root, "garage.log")
    env = dict(os.environ, HOIST_DATA_DIR=data, HOIST_LOCAL_DIR=os.path.join(root, "Hoist"),
               AWS_ACCESS_KEY_ID=os.environ["HOIST_GARAGE_ACCESS_KEY"],
               AWS_SECRET_ACCESS_KEY=os.environ["HOIST_GARAGE_SECRET_KEY"])

    def run(*argv):
        return subprocess.run([hoist, *argv], env=env, check=True, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL).stdout

    def walks():
        try:
            with open(log_path) as f:
                return sum("walked the folder" in l for l in f)
        except FileNotFoundError:
            return 0

    def start():
        log = open(log_path, "a")
        return subprocess.Popen([hoist, "-v", "run", "--watch"], env=env, stdout=log, stderr=log)

    def stop(proc):
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=120)

    def watch():
        return json.loads(run("watch", "list", "--json"))[0]

    endpoint = os.environ["HOIST_GARAGE_ENDPOINT"]
    run("destination", "add", "garage", "--endpoint", endpoint, "--bucket", os.environ["HOIST_GARAGE_BUCKET"],
        "--region", os.environ["HOIST_GARAGE_REGION"], "--path-style")
    run("watch", "add", folder, "--destination", "garage", "--prefix", "bench-watch")
    t = time.time()
    proc = start()
    deadline = t + 3600
    while watch()["uploaded"] < files:
        if time.time() > deadline:
            sys.exit("the files were not all uploaded to Garage within an hour")
        time.sleep(1)
    print(f"(e) {files} files watched into Garage: all uploaded in {time.time() - t:.0f} s")
    stop(proc)

    def through_proxy(name, body):
        """Runs `body` with the destination behind a fresh counting proxy; the requests it saw."""
        counts_file = os.path.join(root, f"{name}.counts")
        proxy = subprocess.Popen(["python3", "tests/lib/count_proxy.py", endpoint.removeprefix("http://"),
                                  counts_file], stdout=subprocess.PIPE, text=True)
        port = proxy.stdout.readline().strip().removeprefix("port=")
        run("destination", "edit", "garage", "--endpoint", f"http://127.0.0.1:{port}")
        result = body()
        proxy.send_signal(signal.SIGTERM)
        proxy.wait(timeout=30)
        with open(counts_file) as f:
            return result, {k: v for k, v in json.load(f).items() if k != "GET_BYTES"}

    def restart():
        jobs_before = len(json.loads(run("queue", "--json")))
        before = walks()
        t = time.time()
        proc = start()
        while walks() == before:
            if time.time() > t + 600:
                sys.exit("no 'walked the folder' line within 10 min")
            time.sleep(0.02)
        walk_s = time.time() - t
        time.sleep(3)  # past the settle time: anything it wanted to send is sent by now
        stop(proc)
        return walk_s, len(json.loads(run("queue", "--json"))) - jobs_before

    (walk_s, added), counts = through_proxy("restart", restart)
    # The same proxy in front of a command that does send requests: it counts them.
    _, tested = through_proxy("check", lambda: run("destination", "test", "garage"))
    print(f"    restart over them: idle after {walk_s:.2f} s, jobs added {added}, "
          f"requests to the server {sum(counts.values())} {counts}")
    print(f"    check of the counting: `hoist destination test` through the same proxy sent "
          f"{sum(tested.values())} {tested}")

if __name__ == "__main__":
    main()
