import * as assert from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { durationSeconds, labCreateTimeout } from "../../components/testInstance";
import { ROOT } from "./harness";
import { parseCommandLine } from "../../scripts/dev/test-image";

// lab-instance.sh's retry policy, with qemu and ssh stood in for: a machine that never gets SSH
// is the infrastructure's failure, retried on a fresh machine a bounded number of times.
describe("lab machines: infrastructure failures retried on fresh machines", function () {
    this.timeout(60000);
    let dir: string;
    let image: string;

    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "osip-labvm-"));
        // A lab image: one ext4 filesystem with a kernel and an initrd under /boot.
        const tree = path.join(dir, "tree");
        fs.mkdirSync(path.join(tree, "boot"), { recursive: true });
        fs.writeFileSync(path.join(tree, "boot", "vmlinuz-6.1.0-test"), "kernel");
        fs.writeFileSync(path.join(tree, "boot", "initrd.img-6.1.0-test"), "initrd");
        execFileSync("mkfs.ext4", [
            "-q",
            "-L",
            "root",
            "-d",
            tree,
            path.join(dir, "disk.raw"),
            "8M",
        ]);
        image = path.join(dir, "image.qcow2");
        execFileSync("qemu-img", ["convert", "-O", "qcow2", path.join(dir, "disk.raw"), image]);
        const bin = path.join(dir, "bin");
        fs.mkdirSync(bin);
        // qemu: counts its calls, writes a console line, leaves a "machine" running (daemonized).
        fs.writeFileSync(
            path.join(bin, "qemu-system-x86_64"),
            `#!/bin/sh
echo "$*" >> "${dir}/qemu-calls"
while [ $# -gt 0 ]; do
    case "$1" in -pidfile) pidfile=$2; shift ;; -serial) serial=\${2#file:}; shift ;; esac
    shift
done
echo "stub console: waiting for the network" > "$serial"
sleep 300 </dev/null >/dev/null 2>&1 &
echo $! > "$pidfile"
echo $! >> "${dir}/vm-pids"
`,
            { mode: 0o755 },
        );
        // ssh: answers from the SSH_FROM-th machine on (never when unset).
        fs.writeFileSync(
            path.join(bin, "ssh"),
            `#!/bin/sh\n[ "$(wc -l < "${dir}/qemu-calls")" -ge "\${SSH_FROM:-99}" ]\n`,
            { mode: 0o755 },
        );
    });

    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    /** lab-instance.sh ACTION with the stand-ins on PATH and the test's image. */
    function labInstance(action: "start" | "stop", env: Record<string, string>) {
        return spawnSync("bash", ["scripts/program/compute/lab-instance.sh", action], {
            cwd: ROOT,
            input: "#cloud-config\n",
            encoding: "utf8",
            env: {
                ...process.env,
                PATH: `${dir}/bin:${process.env.PATH}`,
                INSTANCE: "vm",
                WORK_DIR: path.join(dir, "work"),
                IMAGE_FILE: image,
                LAB_BOOT_WAIT: "2",
                ...env,
            },
        });
    }

    function start(env: Record<string, string>) {
        fs.rmSync(path.join(dir, "qemu-calls"), { force: true });
        fs.rmSync(path.join(dir, "vm-pids"), { force: true });
        const r = labInstance("start", env);
        const calls = fs.readFileSync(path.join(dir, "qemu-calls"), "utf8").trim().split("\n");
        const pids = fs.readFileSync(path.join(dir, "vm-pids"), "utf8").trim().split("\n");
        return { ...r, calls, pids: pids.map(Number) };
    }

    /** Whether the process runs (a killed one may linger as a zombie until it is reaped). */
    const alive = (pid: number) => {
        try {
            return !/^\d+ \(.*\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
        } catch {
            return false;
        }
    };

    /** Whether the process is gone within 10 s: a killed process takes a moment to exit on a busy machine. */
    const goneSoon = (pid: number) => {
        for (let i = 0; i < 100 && alive(pid); i++)
            Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
        return !alive(pid);
    };

    it("a machine that never gets SSH is stopped and a fresh one booted; the address says which attempt", () => {
        const r = start({ BOOT_ATTEMPTS: "3", SSH_FROM: "2" });
        assert.strictEqual(r.status, 0, r.stderr);
        assert.strictEqual(r.calls.length, 2);
        assert.match(
            r.stderr,
            /infrastructure failure \(attempt 1 of 3\): no SSH and finished cloud-init after 2s; console:\n {4}stub console: waiting for the network/,
        );
        const address = JSON.parse(r.stdout.trim().split("\n").pop()!) as { attempts: number };
        assert.strictEqual(address.attempts, 2);
        assert.deepStrictEqual([goneSoon(r.pids[0]), alive(r.pids[1])], [true, true]);
        labInstance("stop", {});
        assert.strictEqual(goneSoon(r.pids[1]), true);
    });

    it("gives up after the configured attempts, naming the failure as the infrastructure's", () => {
        const r = start({ BOOT_ATTEMPTS: "2" });
        assert.strictEqual(r.status, 1);
        assert.strictEqual(r.calls.length, 2);
        assert.match(
            r.stderr,
            /no usable machine after 2 attempts \(infrastructure\): no SSH and finished cloud-init after 2s/,
        );
        assert.deepStrictEqual(r.pids.map(goneSoon), [true, true]);
        assert.strictEqual(r.stdout, "");
    });

    it("forwards the runner's services to the VM through socat, and refuses any other target", () => {
        const r = start({
            BOOT_ATTEMPTS: "1",
            SSH_FROM: "1",
            INSTANCE: "Debian12_x86_64-managed-virtual",
            LAB_GUEST_FORWARDS: "10.0.2.100:8140=127.0.0.1:18140",
        });
        assert.strictEqual(r.status, 0, r.stderr);
        assert.match(
            r.calls[0],
            /hostfwd=tcp:127\.0\.0\.1:\d+-:22,guestfwd=tcp:10\.0\.2\.100:8140-cmd:socat STDIO TCP:127\.0\.0\.1:18140 /,
        );
        // Each machine's host name (and Puppet certificate) says what it tests.
        const instanceDir = path.join(dir, "work", "instances", "Debian12_x86_64-managed-virtual");
        assert.match(
            fs.readFileSync(path.join(instanceDir, "meta-data"), "utf8"),
            /^local-hostname: debian12-x86-64-managed-virtual$/m,
        );
        labInstance("stop", { INSTANCE: "Debian12_x86_64-managed-virtual" });
        fs.writeFileSync(path.join(dir, "qemu-calls"), "");
        const bad = labInstance("start", { LAB_GUEST_FORWARDS: "10.0.2.100:8140=192.0.2.1:8140" });
        assert.strictEqual(bad.status, 1);
        assert.match(
            bad.stderr,
            /LAB_GUEST_FORWARDS: '10\.0\.2\.100:8140=192\.0\.2\.1:8140' is not/,
        );
        assert.strictEqual(fs.readFileSync(path.join(dir, "qemu-calls"), "utf8"), "");
    });

    it("gives every attempt the boot timeout, plus time for the download", () => {
        assert.strictEqual(durationSeconds("15m"), 900);
        assert.strictEqual(durationSeconds("2h"), 7200);
        assert.strictEqual(labCreateTimeout("15m", 2), "2400s");
        assert.throws(() => durationSeconds("soon"), /not a duration: soon/);
    });
});

describe("npm run test-image: its command line", () => {
    it("takes one source of bytes and the use cases, arch and firmware to boot it with", () => {
        assert.deepStrictEqual(
            parseCommandLine([
                "--image",
                "abc",
                "--use-case",
                "managed-virtual",
                "--firmware",
                "uefi",
            ]),
            {
                image: "abc",
                file: undefined,
                useCases: ["managed-virtual"],
                arch: "x86_64",
                firmware: "uefi",
                user: "debian",
                stack: "lab",
                agentEnvironment: undefined,
            },
        );
        assert.strictEqual(
            parseCommandLine(["--image", "a", "--agent-environment", "broken"]).agentEnvironment,
            "broken",
        );
    });

    it("refuses two sources or none, an unknown use case and a missing file, saying which", () => {
        for (const [argv, message] of [
            [["--image", "a", "--file", "package.json"], /exactly one of --image .* and --file/],
            [[], /exactly one of --image .* and --file/],
            [
                ["--image", "a", "--use-case", "nope"],
                /--use-case: nope is not one of unmanaged-virtual/,
            ],
            [
                ["--image", "a", "--arch", "ppc64le"],
                /--arch: ppc64le is not one of x86_64, aarch64/,
            ],
            [["--file", "/nonexistent.qcow2"], /--file: \/nonexistent\.qcow2 does not exist/],
        ] as const) {
            assert.throws(() => parseCommandLine([...argv]), message);
        }
    });
});
