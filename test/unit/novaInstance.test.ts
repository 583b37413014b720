import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { novaCreateTimeout, parseNovaServer } from "../../components/testInstance";
import { ROOT } from "./harness";

// nova-instance.sh's retry policy, with the openstack CLI and ssh stood in for
// (test/fixtures/nova-standin): a server that never becomes usable is the infrastructure's
// failure, deleted and retried on a fresh server a bounded number of times. Whether the image
// then passes its tests is the test run's business, not this script's.
describe("Nova servers: infrastructure failures retried on fresh servers", function () {
    this.timeout(60000);
    let state: string;

    beforeEach(() => {
        state = fs.mkdtempSync(path.join(os.tmpdir(), "osip-nova-"));
    });
    afterEach(() => fs.rmSync(state, { recursive: true, force: true }));

    /** nova-instance.sh ACTION with the stand-ins on PATH; SCENARIO: each create's outcome. */
    function novaInstance(action: "create" | "delete", scenario = "", env = {}) {
        return spawnSync("bash", ["scripts/program/compute/nova-instance.sh", action], {
            cwd: ROOT,
            input: "#cloud-config\nfqdn: test\n",
            encoding: "utf8",
            env: {
                ...process.env,
                PATH: `${path.join(ROOT, "test/fixtures/nova-standin")}:${process.env.PATH}`,
                NOVA_STATE: state,
                NOVA_SCENARIO: scenario,
                EXPECTED_KEY: "TEST-KEY",
                SERVER: "stack-i",
                INSTANCE: "i",
                IMAGE_ID: "img",
                FLAVOR: "p1.metal",
                NETWORK: "net",
                KEY_PAIR: "kp",
                USE_CASE: "managed-physical",
                SSH_USER: "cloud-user",
                SSH_PRIVATE_KEY: "TEST-KEY",
                BOOT_ATTEMPTS: "2",
                BOOT_WAIT: "2",
                DELETE_WAIT: "10",
                WORK_DIR: path.join(state, "work"),
                OS_CLOUD: "site-test",
                OS_PASSWORD: "CLOUD-PASSWORD",
                ...env,
            },
        });
    }

    const calls = () => fs.readFileSync(path.join(state, "calls"), "utf8").trim().split("\n");
    const servers = () => fs.readdirSync(path.join(state, "servers")).sort();
    const result = (stdout: string) => JSON.parse(stdout.trim().split("\n").pop()!) as unknown;
    /** A server the stand-in knows, as a killed run would have left it. */
    const leftover = (id: string, name: string) => {
        fs.mkdirSync(path.join(state, "servers"), { recursive: true });
        fs.writeFileSync(path.join(state, "servers", id), `${id} ${name} ACTIVE 10.0.0.9\n`);
    };

    it("a server in ERROR is reported with its console, deleted, and a fresh one created", () => {
        const r = novaInstance("create", "error,ok");
        assert.strictEqual(r.status, 0, r.stderr);
        assert.deepStrictEqual(result(r.stdout), {
            id: "srv-2",
            address: "10.0.0.2",
            attempts: 2,
        });
        assert.match(
            r.stderr,
            /infrastructure failure \(attempt 1 of 2\): the server is not ACTIVE after \d+s \(status ERROR: No valid host was found\.\); console:\n {4}\[ {3}6\.0\] boot line 6 of srv-1\n/,
        );
        // 15 lines, the terminal escapes gone.
        assert.match(
            r.stderr,
            /\[ {3}19\.0\] boot line 19 of srv-1\n {4}stub console of srv-1: waiting for the network\n/,
        );
        assert.doesNotMatch(r.stderr, /boot line 5 of/);
        assert.ok(!r.stderr.includes("\x1b"), "terminal escapes in the excerpt");
        assert.deepStrictEqual(servers(), ["srv-2"]);
        assert.ok(calls().includes("server delete --wait srv-1"), calls().join("\n"));
        // The failed server's whole console is kept for the report.
        assert.match(
            fs.readFileSync(path.join(state, "work/consoles/i.log"), "utf8"),
            /line 1 of srv-1/,
        );
        const create = calls().find((c) => c.startsWith("server create"))!;
        assert.match(
            create,
            /^server create --image img --flavor p1\.metal --network net --key-name kp --user-data \S+ --property osimages_use_case=managed-physical --wait stack-i$/,
        );
        assert.strictEqual(
            fs.readFileSync(path.join(state, "user-data"), "utf8"),
            "#cloud-config\nfqdn: test\n",
        );
        assert.doesNotMatch(r.stdout + r.stderr, /CLOUD-PASSWORD|TEST-KEY/);
    });

    it("a server that never gets SSH and cloud-init is replaced; SSH goes to its IPv4 address", () => {
        const r = novaInstance("create", "nossh,ok");
        assert.strictEqual(r.status, 0, r.stderr);
        assert.deepStrictEqual(result(r.stdout), { id: "srv-2", address: "10.0.0.2", attempts: 2 });
        assert.match(
            r.stderr,
            /infrastructure failure \(attempt 1 of 2\): no SSH and finished cloud-init after \d+s; console:\n {4}\[/,
        );
        // With the key of the key pair, only its owner able to read it (the stand-in checks).
        const ssh = fs.readFileSync(path.join(state, "ssh-calls"), "utf8").trim().split("\n");
        assert.deepStrictEqual(
            [ssh[0], ssh[ssh.length - 1]],
            ["cloud-user@10.0.0.1", "cloud-user@10.0.0.2"],
        );
        assert.deepStrictEqual(servers(), ["srv-2"]);
    });

    it("gives up after the configured attempts: non-zero, the consoles reported, no server left", () => {
        const failed = novaInstance("create", "error,nossh");
        assert.strictEqual(failed.status, 1);
        assert.strictEqual(failed.stdout, "");
        assert.match(failed.stderr, /attempt 1 of 2\): the server is not ACTIVE/);
        assert.match(failed.stderr, /stub console of srv-1: waiting for the network/);
        assert.match(failed.stderr, /stub console of srv-2: waiting for the network/);
        assert.match(
            failed.stderr,
            /no usable machine after 2 attempts \(infrastructure\): no SSH and finished cloud-init after \d+s\n$/,
        );
        assert.deepStrictEqual(servers(), []);
    });

    it("says why a server was unusable: no address, or refused by the cloud", () => {
        const r = novaInstance("create", "noaddress,refused,ok", { BOOT_ATTEMPTS: "3" });
        assert.strictEqual(r.status, 0, r.stderr);
        assert.match(r.stderr, /\(attempt 1 of 3\): no address on net after \d+s/);
        assert.match(
            r.stderr,
            /Quota exceeded[^]*\(attempt 2 of 3\): no server after \d+s \(the create failed: see above\); console:\n {4}\(no console log from Nova\)/,
        );
        assert.deepStrictEqual(result(r.stdout), { id: "srv-3", address: "10.0.0.3", attempts: 3 });
    });

    it("deletes a server left by a killed create instead of adopting it, and only that one", () => {
        leftover("srv-old", "stack-i");
        leftover("srv-other", "stack-i-other");
        const r = novaInstance("create", "ok");
        assert.strictEqual(r.status, 0, r.stderr);
        assert.deepStrictEqual(servers(), ["srv-1", "srv-other"]);
        const order = calls().filter((c) => /^server (create|delete)/.test(c));
        assert.deepStrictEqual(
            order.map((c) => c.split(" ").slice(0, 2).join(" ")),
            ["server delete", "server create"],
        );
        assert.strictEqual(order[0], "server delete --wait srv-old");
    });

    it("delete removes the server and keeps its console; a server already gone is fine", () => {
        leftover("srv-1", "stack-i");
        const r = novaInstance("delete");
        assert.strictEqual(r.status, 0, r.stderr);
        assert.deepStrictEqual(servers(), []);
        assert.match(fs.readFileSync(path.join(state, "work/consoles/i.log"), "utf8"), /of srv-1/);
        const again = novaInstance("delete");
        assert.strictEqual(again.status, 0, again.stderr);
        assert.ok(!calls().slice(-1)[0].startsWith("server delete"));
    });

    it("gives every attempt the boot timeout and a deletion; parses the result line", () => {
        assert.strictEqual(novaCreateTimeout("30m", 2), "5400s");
        assert.deepStrictEqual(
            parseNovaServer('Progress: 100\n{"id":"s","address":"a","attempts":1}'),
            {
                id: "s",
                address: "a",
                attempts: 1,
            },
        );
        assert.throws(
            () => parseNovaServer('{"id":"s"}'),
            /did not report \{"id","address","attempts"\}/,
        );
    });
});
