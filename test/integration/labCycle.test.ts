import * as assert from "assert";
import { spawn, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { noteFor } from "../../scripts/ci/mr-note";
import { errorText, ROOT, ScratchProject } from "../../scripts/dev/engineWorkspace";
import { stackConfig } from "../unit/harness";

// The lab stack's whole monthly cycle through the real engine, against a lab of its own (Keystone,
// Glance, PostgreSQL, dockerd, two registries on test ports), checked with the services' own
// clients: the openstack CLI and the registries' /v2/ API.
const PORTS = {
    postgres: 25432,
    keystone: 25000,
    glance: 29292,
    internal: 25001,
    public: 25002,
    vendor: 28080,
    puppet: 28140,
};

/** A distro entry of the lab stack, edited. */
type Debian12 = { releases: string[]; promote?: string; keep?: number };

describe("the lab cycle through pulumi up, on real Keystone, Glance, registries and qemu", function () {
    this.timeout(60 * 60 * 1000);
    const labDir = fs.mkdtempSync(path.join(os.tmpdir(), "osip-labcycle-"));
    // PostgreSQL runs as its own user and must reach its cluster inside.
    fs.chmodSync(labDir, 0o755);
    const labEnv = {
        OSIP_LAB_DIR: labDir,
        LAB_POSTGRES_PORT: String(PORTS.postgres),
        LAB_KEYSTONE_PORT: String(PORTS.keystone),
        LAB_GLANCE_PORT: String(PORTS.glance),
        LAB_REGISTRY_PORTS: `${PORTS.internal} ${PORTS.public}`,
        LAB_VENDOR_PORT: String(PORTS.vendor),
        LAB_PUPPET_PORT: String(PORTS.puppet),
    };
    const cloudEnv = {
        OS_CLIENT_CONFIG_FILE: path.join(labDir, "clouds.yaml"),
        DOCKER_HOST: `unix://${labDir}/services/docker/docker.sock`,
    };
    let project: ScratchProject;
    let stack: Stack;
    const firstIds: Record<string, string> = {};

    function labServices(action: "up" | "down") {
        const r = spawnSync("bash", ["scripts/dev/lab-services.sh", action], {
            cwd: ROOT,
            env: { ...process.env, ...labEnv },
            encoding: "utf8",
        });
        assert.strictEqual(r.status, 0, r.stderr);
    }

    /** The lab stack as shipped, on this test's registries, with its debian12 entry edited. */
    function writeStack(debian12: Debian12, siteEnvironment: Record<string, string> = {}) {
        const cfg = structuredClone(stackConfig("lab")) as Record<string, Record<string, unknown>>;
        cfg.registries = {
            internal: `127.0.0.1:${PORTS.internal}/osimages`,
            public: `127.0.0.1:${PORTS.public}/osimages`,
        };
        const shipped = cfg.distros.debian12 as Record<string, unknown>;
        cfg.distros = { debian12: { ...shipped, ...debian12 } };
        const testing = cfg.testing as {
            siteEnvironment: Record<string, string>;
            useCases: string[];
        };
        testing.siteEnvironment = { ...testing.siteEnvironment, ...siteEnvironment };
        // The cycle (build, test, promote, rotate, resume) on one machine per image: the managed
        // use case is proven by labCommand.test.ts.
        testing.useCases = ["unmanaged-virtual"];
        project.writeStack("lab", cfg);
    }

    function openstack(...args: string[]): unknown {
        const r = spawnSync("openstack", ["--os-cloud", "lab-prod", ...args, "-f", "json"], {
            env: { ...process.env, ...cloudEnv },
            encoding: "utf8",
        });
        assert.strictEqual(r.status, 0, r.stderr);
        return JSON.parse(r.stdout);
    }

    type Image = { id: string; name: string; visibility: string; status: string };
    /** `openstack image show`: Glance's own os_* fields come among the properties. */
    type Shown = Image & { properties: Record<string, string> & { os_hidden?: boolean } };
    const images = () =>
        [
            ...(openstack("image", "list", "--long") as Record<string, string>[]),
            ...(openstack("image", "list", "--long", "--hidden") as Record<string, string>[]),
        ].map((i) => ({ id: i.ID, name: i.Name, visibility: i.Visibility, status: i.Status }));
    const show = (id: string) => openstack("image", "show", id) as Shown;
    const byName = (name: string) => {
        const found = images().filter((i) => i.name === name);
        assert.strictEqual(found.length, 1, `${name}: ${JSON.stringify(images())}`);
        return show(found[0].id);
    };

    /** The digest a registry serves for a tag, from its /v2/ API. */
    async function digest(port: number, tag: string): Promise<string | undefined> {
        const r = await fetch(`http://127.0.0.1:${port}/v2/osimages/debian12/manifests/${tag}`, {
            method: "HEAD",
            headers: { Accept: "application/vnd.docker.distribution.manifest.v2+json" },
        });
        return r.status === 200 ? (r.headers.get("docker-content-digest") ?? undefined) : undefined;
    }

    // As npm run lab: one image's failed tests must not cancel its twin's evidence step.
    const up = () => stack.up({ refresh: true, continueOnError: true, onOutput: () => undefined });

    /** The merge request's note of a preview of the stack as it is written: from the engine's events. */
    async function previewNote(): Promise<string> {
        const events: EngineEvent[] = [];
        await stack.preview({ onEvent: (e) => events.push(e) }).catch(() => undefined);
        const file = path.join(project.dir, "preview-events.jsonl");
        fs.writeFileSync(file, events.map((e) => JSON.stringify(e)).join("\n"));
        return (await noteFor(file, undefined, {}, project.dir)).note;
    }

    before(async function () {
        if (process.env.OSIP_LAB_TESTS === "0") this.skip();
        assert.strictEqual(process.getuid?.(), 0, "the lab needs root; OSIP_LAB_TESTS=0 skips it");
        labServices("up");
        project = new ScratchProject(cloudEnv);
        writeStack({ releases: ["2026-11-01"] });
        stack = await project.programStack("lab");
    });

    after(async () => {
        if (stack) await stack.destroy({ onOutput: () => undefined }).catch(() => undefined);
        if (project) project.remove();
        if (fs.existsSync(path.join(labDir, "services"))) labServices("down");
        fs.rmSync(labDir, { recursive: true, force: true });
    });

    it("refuses a bad stack file before anything changes: Glance stays empty", async () => {
        writeStack({ releases: ["2026-13-01"] });
        await assert.rejects(up(), (e) => {
            assert.match(errorText(e), /2026-13-01/);
            return true;
        });
        assert.deepStrictEqual(images(), []);
    });

    it("builds, uploads as TEST, boots, tests and records the evidence; publishes the tested container", async () => {
        writeStack({ releases: ["2026-11-01"] });
        const result = await up();
        assert.strictEqual(result.summary.result, "succeeded");
        for (const [mode, name] of [
            ["bios", "DEBIAN12 - x86_64 [2026-11-01] TEST"],
            ["uefi", "DEBIAN12 - x86_64 UEFI [2026-11-01] TEST"],
        ]) {
            const image = byName(name);
            firstIds[mode] = image.id;
            assert.strictEqual(image.status, "active");
            assert.strictEqual(image.visibility, "shared");
            const p = image.properties;
            assert.strictEqual(p.os_distro, "debian");
            assert.strictEqual(p.hw_firmware_type, mode);
            assert.strictEqual(p.osimages_test_result, "passed");
            assert.strictEqual(p.osimages_tested_sha256, p.osimages_sha256);
            assert.match(p.osimages_test_summary, /^unmanaged-virtual: \d+ passed, 0 failed/);
            // Glance's own sha512 of what it stored is the sha512 of the artefact we built.
            const artefact = fs
                .readdirSync(path.join(project.dir, ".lab/work/debian12/x86_64/2026-11-01"))
                .find((f) => f.endsWith(".qcow2"))!;
            const bytes = fs.readFileSync(
                path.join(project.dir, ".lab/work/debian12/x86_64/2026-11-01", artefact),
            );
            assert.strictEqual(
                crypto.createHash("sha256").update(bytes).digest("hex"),
                p.osimages_sha256,
            );
            assert.strictEqual(
                p.os_hash_value,
                crypto.createHash("sha512").update(bytes).digest("hex"),
            );
        }
        const junit = path.join(
            project.dir,
            ".lab/work/results/debian12-x86_64-bios-2026-11-01/unmanaged-virtual.junit.xml",
        );
        assert.match(fs.readFileSync(junit, "utf8"), /<testsuite name="upstream"/);
        const tested = await digest(PORTS.internal, "2026-11-01-test");
        assert.ok(tested, "no test tag in the internal registry");
        for (const tag of ["latest", "12", "2026-11-01"]) {
            assert.strictEqual(await digest(PORTS.public, tag), tested, tag);
        }
    });

    it("promotes with one line: the same Glance images, renamed and public", async () => {
        writeStack({ releases: ["2026-11-01"], promote: "2026-11-01" });
        const note = await previewNote();
        assert.ok(
            note.includes(
                "- promote 2026-11-01: bios `DEBIAN12 - x86_64 [2026-11-01] TEST` → `DEBIAN12 - x86_64`; " +
                    "uefi `DEBIAN12 - x86_64 UEFI [2026-11-01] TEST` → `DEBIAN12 - x86_64 UEFI`\n",
            ),
            note,
        );
        assert.ok(
            note.includes("- visibility 2026-11-01: bios shared → public; uefi shared → public\n"),
            note,
        );
        assert.match(note, /✅ the preview succeeded/);
        const result = await up();
        assert.strictEqual(result.summary.result, "succeeded");
        const bios = byName("DEBIAN12 - x86_64");
        assert.strictEqual(bios.id, firstIds.bios);
        assert.strictEqual(bios.visibility, "public");
        assert.strictEqual(byName("DEBIAN12 - x86_64 UEFI").id, firstIds.uefi);
    });

    it("tests a second release; a failing suite is recorded, named, and blocks its promotion", async () => {
        writeStack(
            { releases: ["2026-11-01", "2026-12-01"], promote: "2026-11-01" },
            // A nameserver the VM does not have: the site/dns test fails the image.
            { SITE_DNS: "192.0.2.53" },
        );
        await assert.rejects(up(), (e) => {
            assert.match(errorText(e), /failed its tests: unmanaged-virtual: site\/dns/);
            return true;
        });
        const failed = byName("DEBIAN12 - x86_64 [2026-12-01] TEST");
        assert.strictEqual(failed.properties.osimages_test_result, "failed");
        assert.match(failed.properties.osimages_failed_tests, /unmanaged-virtual: site\/dns/);
        // The promotion that follows is refused before anything changes, naming test and use case.
        writeStack(
            { releases: ["2026-11-01", "2026-12-01"], promote: "2026-12-01" },
            { SITE_DNS: "192.0.2.53" },
        );
        const refused = await previewNote();
        assert.match(refused, /❌ the preview failed/);
        assert.match(
            refused,
            /⛔ promotion refused: cannot promote debian12 x86_64 \(bios\) release 2026-12-01: its tests failed .*unmanaged-virtual: site\/dns/,
        );
        await assert.rejects(up(), (e) => {
            assert.match(errorText(e), /promotion refused by the evidence gate/);
            assert.match(errorText(e), /unmanaged-virtual: site\/dns/);
            return true;
        });
        assert.strictEqual(byName("DEBIAN12 - x86_64").id, firstIds.bios);
        assert.strictEqual(byName("DEBIAN12 - x86_64 [2026-12-01] TEST").visibility, "shared");
    });

    it("re-tests once fixed, then promotes it: the previous production image is dated and hidden", async () => {
        writeStack({ releases: ["2026-11-01", "2026-12-01"], promote: "2026-11-01" });
        assert.strictEqual((await up()).summary.result, "succeeded");
        writeStack({ releases: ["2026-11-01", "2026-12-01"], promote: "2026-12-01" });
        const note = await previewNote();
        for (const line of [
            "- promote 2026-12-01: bios `DEBIAN12 - x86_64 [2026-12-01] TEST` → `DEBIAN12 - x86_64`;",
            "- rename 2026-11-01: bios `DEBIAN12 - x86_64` → `DEBIAN12 - x86_64 [2026-11-01]`;",
            "- visibility 2026-11-01: bios hidden false → hidden true;",
        ]) {
            assert.ok(note.includes(line), `${line}\n${note}`);
        }
        assert.strictEqual((await up()).summary.result, "succeeded");
        const previous = byName("DEBIAN12 - x86_64 [2026-11-01]");
        assert.strictEqual(previous.id, firstIds.bios);
        assert.strictEqual(previous.properties.os_hidden, true);
        assert.strictEqual(previous.visibility, "public");
        assert.strictEqual(byName("DEBIAN12 - x86_64").properties.osimages_release, "2026-12-01");
        assert.strictEqual(
            await digest(PORTS.public, "2026-11-01"),
            await digest(PORTS.internal, "2026-11-01-test"),
        );
    });

    it("resumes an update killed mid-upload: no duplicate, no queued orphan; rotates out the oldest beyond keep", async () => {
        writeStack({
            releases: ["2026-11-01", "2026-12-01", "2027-01-01"],
            promote: "2026-12-01",
            keep: 2,
        });
        const env = { ...process.env, ...project.env };
        const cli = spawn("pulumi", ["up", "--yes", "--stack", "lab", "--non-interactive"], {
            cwd: project.dir,
            env,
            stdio: "ignore",
        });
        // Killed once Glance holds an image of the new release that is not uploaded yet: polled
        // through Glance's API with one token (the CLI is too slow for the seconds it takes).
        const { id: token } = openstack("token", "issue", "-c", "id") as { id: string };
        const inFlight = async () => {
            const r = await fetch(`http://127.0.0.1:${PORTS.glance}/v2/images?limit=200`, {
                headers: { "X-Auth-Token": token },
            });
            const { images: listed } = (await r.json()) as { images: Image[] };
            return listed.some((i) => i.name.includes("2027-01-01") && i.status !== "active");
        };
        const deadline = Date.now() + 20 * 60 * 1000;
        while (!(await inFlight())) {
            assert.ok(Date.now() < deadline && cli.exitCode === null, "the upload never started");
            await new Promise((r) => setTimeout(r, 50));
        }
        cli.kill("SIGKILL");
        await new Promise((r) => cli.once("exit", r));
        const recover = spawnSync(
            "npx",
            ["ts-node", path.join(ROOT, "scripts/dev/lab-recover.ts"), "lab"],
            { cwd: project.dir, env, encoding: "utf8" },
        );
        assert.strictEqual(recover.status, 0, recover.stderr);
        assert.match(recover.stderr, /deleting DEBIAN12 - x86_64 (UEFI )?\[2027-01-01\] TEST/);
        assert.strictEqual((await up()).summary.result, "succeeded");
        const all = images();
        assert.deepStrictEqual(
            all.filter((i) => i.status !== "active"),
            [],
        );
        for (const name of [
            "DEBIAN12 - x86_64 [2027-01-01] TEST",
            "DEBIAN12 - x86_64 UEFI [2027-01-01] TEST",
        ]) {
            assert.strictEqual(all.filter((i) => i.name === name).length, 1, name);
        }
        // keep: 2 retires 2026-11-01: its images are gone from Glance.
        assert.ok(
            !all.some((i) => i.id === firstIds.bios || i.id === firstIds.uefi),
            JSON.stringify(all),
        );
    });
});
