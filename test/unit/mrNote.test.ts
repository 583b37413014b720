// The merge-request note: engine events read and attributed to the plan as pure functions, then
// the command run as a child process against a fake GitLab API on 127.0.0.1.
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";

import { loadStack, readPreludeConfig } from "../../config";
import { MANIFEST_PROPERTY, manifestDigest, parseManifest } from "../../model/packages";
import { planStack } from "../../model/plan";
import { findOwnNote, noteMarker } from "../../scripts/ci/gitlab/notes";
import { noteFor, parseArgs } from "../../scripts/ci/mr-note";
import { noteModel } from "../../scripts/ci/note/changes";
import { EventLogError, readEventLog } from "../../scripts/ci/note/events";
import { renderNote } from "../../scripts/ci/note/render";
import { FakeGitLab } from "./fakeGitLab";

const ROOT = path.resolve(__dirname, "..", "..");
const SCRIPT = path.join(ROOT, "scripts", "ci", "mr-note.ts");
const STACK = "review";
const PROJECT = "os-image-pipeline";

// ---------------------------------------------------------------------------------------------
// A review stack (the lab's, a month on) and the events a preview of it sends
// ---------------------------------------------------------------------------------------------

/** The review stack: the lab's, months on (debian12 in its fourth month, keep 3). */
function reviewConfig(keep: unknown = 3): Record<string, string> {
    const doc = parse(fs.readFileSync(path.join(ROOT, "stacks", "Pulumi.lab.yaml"), "utf8")) as {
        config: Record<string, Record<string, unknown>>;
    };
    doc.config[`${PROJECT}:distros`].debian12 = {
        arches: ["x86_64"],
        releases: ["2026-09-01", "2026-10-01", "2026-11-01", "2026-12-01"],
        keep,
        promote: "2026-11-01",
    };
    // As the engine's prelude has them: objects as JSON.
    return Object.fromEntries(
        Object.entries(doc.config).map(([k, v]) => [
            k,
            typeof v === "string" ? v : JSON.stringify(v),
        ]),
    );
}

/** A project root for the command: where the builds' manifests are found (.lab/work). */
function reviewRoot(): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), "osip-note-"));
}

const TYPES = {
    pipeline: "osimages:pipeline:DistroPipeline",
    build: "osimages:build:ImageBuild",
    glance: "osimages:glance:GlanceImage",
    imageTest: "osimages:test:ImageTest",
    run: "osimages:test:TestRun",
    container: "osimages:container:ContainerImage",
    command: "command:local:Command",
    image: "openstack:images/image:Image",
    registryImage: "docker:index/registryImage:RegistryImage",
};

function urn(chain: string[], name: string): string {
    return `urn:pulumi:${STACK}::${PROJECT}::${chain.join("$")}::${name}`;
}

let sequence = 0;
function event(payload: Record<string, unknown>): string {
    return JSON.stringify({ sequence: sequence++, timestamp: 1765000000, ...payload });
}

interface StepSpec {
    op: string;
    chain: string[];
    name: string;
    parent?: string;
    old?: Record<string, unknown>;
    new?: Record<string, unknown>;
    diffs?: string[];
}

function step(s: StepSpec): string {
    const type = s.chain.at(-1)!;
    const state = (inputs?: Record<string, unknown>) =>
        inputs && { type, urn: urn(s.chain, s.name), parent: s.parent ?? "", inputs, outputs: {} };
    return event({
        resourcePreEvent: {
            metadata: {
                op: s.op,
                urn: urn(s.chain, s.name),
                type,
                old: state(s.old),
                new: state(s.new),
                diffs: s.diffs ?? [],
                provider: "",
            },
            planning: true,
        },
    });
}

/** Two builds' manifests (dpkg) and the bytes their images say they hold. */
const MANIFESTS = {
    production:
        "# osimages package manifest: dpkg\nbash 5.2.15-2+b2 amd64\nlinux-image-6.1.0-26-cloud-amd64 6.1.112-1 amd64\nvim-tiny 2:9.0.1378-2 amd64\n",
    candidate:
        "# osimages package manifest: dpkg\nbash 5.2.15-2+b7 amd64\ncurl 7.88.1-10+deb12u8 amd64\nlinux-image-6.1.0-27-cloud-amd64 6.1.115-1 amd64\nvim-tiny 2:9.0.1378-2 amd64\n",
};
const BYTES = {
    production: {
        osimages_sha256: "a".repeat(64),
        [MANIFEST_PROPERTY]: manifestDigest(parseManifest(MANIFESTS.production, "p")),
    },
    candidate: {
        osimages_sha256: "b".repeat(64),
        [MANIFEST_PROPERTY]: manifestDigest(parseManifest(MANIFESTS.candidate, "c")),
    },
};

/** Writes the two builds' manifests where the local builder leaves them under `root`. */
function writeManifests(root: string): void {
    for (const [release, which] of [
        ["2026-10-01", "production"],
        ["2026-11-01", "candidate"],
    ] as const) {
        const dir = path.join(root, ".lab/work/debian12/x86_64", release);
        fs.mkdirSync(dir, { recursive: true });
        const sha = BYTES[which].osimages_sha256.slice(0, 12);
        fs.writeFileSync(
            path.join(dir, `debian12-x86_64-${release}-${sha}.packages`),
            MANIFESTS[which],
        );
    }
}

const P = [TYPES.pipeline];
const pipelineUrn = (name: string) => urn(P, name);
const buildUrn = (name: string) => urn([...P, TYPES.build], name);
const glanceUrn = (name: string) => urn([...P, TYPES.glance], name);
const runUrn = (name: string) => urn([...P, TYPES.imageTest, TYPES.run], name);
const containerUrn = (name: string) => urn([...P, TYPES.container], name);

/** The preview of the review stack: a new release built and tested, one promoted, one retired. */
function reviewEvents(extra: string[] = [], summary = true, config = reviewConfig()): string {
    const d = "debian12-x86_64";
    const test = (mode: string, useCase: string) =>
        ["boot", "run"].map((part) =>
            step({
                op: "create",
                chain: [...P, TYPES.imageTest, TYPES.run, TYPES.command],
                name: `${d}-${mode}-2026-12-01-${useCase}-test-${part}`,
                parent: runUrn(`${d}-${mode}-2026-12-01-${useCase}-test`),
                new: { create: "…" },
            }),
        );
    const lines = [
        event({ preludeEvent: { config } }),
        step({ op: "same", chain: ["pulumi:pulumi:Stack"], name: `${PROJECT}-${STACK}`, new: {} }),
        step({ op: "same", chain: P, name: d, new: {} }),
        step({
            op: "create",
            chain: [...P, TYPES.build],
            name: `${d}-2026-12-01`,
            parent: pipelineUrn(d),
            new: {},
        }),
        step({
            op: "create",
            chain: [...P, TYPES.build, TYPES.command],
            name: `${d}-2026-12-01-build`,
            parent: buildUrn(`${d}-2026-12-01`),
            new: { create: "bash scripts/program/build/local-debian.sh" },
        }),
        ...["bios", "uefi"].map((mode) =>
            step({
                op: "create",
                chain: [...P, TYPES.glance, TYPES.image],
                name: `${d}-${mode}-2026-12-01-image`,
                parent: glanceUrn(`${d}-${mode}-2026-12-01`),
                new: {
                    name: `Debian 12 - x86_64${mode === "uefi" ? " UEFI" : ""} [2026-12-01] TEST`,
                    visibility: "shared",
                },
            }),
        ),
        ...test("bios", "managed-virtual"),
        ...test("uefi", "unmanaged-virtual"),
        step({
            op: "update",
            chain: [...P, TYPES.glance, TYPES.image],
            name: `${d}-bios-2026-11-01-image`,
            parent: glanceUrn(`${d}-bios-2026-11-01`),
            old: {
                name: "DEBIAN12 - x86_64 [2026-11-01] TEST",
                visibility: "shared",
                hidden: false,
                properties: BYTES.candidate,
            },
            new: {
                name: "DEBIAN12 - x86_64",
                visibility: "public",
                hidden: false,
                properties: BYTES.candidate,
            },
            diffs: ["name", "visibility", "properties"],
        }),
        step({
            op: "update",
            chain: [...P, TYPES.glance, TYPES.image],
            name: `${d}-bios-2026-10-01-image`,
            parent: glanceUrn(`${d}-bios-2026-10-01`),
            old: {
                name: "DEBIAN12 - x86_64",
                visibility: "public",
                hidden: false,
                properties: BYTES.production,
            },
            new: {
                name: "DEBIAN12 - x86_64 [2026-10-01]",
                visibility: "public",
                hidden: true,
                properties: BYTES.production,
            },
            diffs: ["name", "hidden"],
        }),
        step({
            op: "delete",
            chain: [...P, TYPES.glance, TYPES.image],
            name: `${d}-bios-2026-09-01-image`,
            parent: glanceUrn(`${d}-bios-2026-09-01`),
            old: { name: "DEBIAN12 - x86_64 [2026-09-01]", visibility: "public", hidden: true },
        }),
        step({
            op: "create",
            chain: [...P, TYPES.container, TYPES.registryImage],
            name: `${d}-2026-11-01-container-push-latest`,
            parent: containerUrn(`${d}-2026-11-01-container`),
            new: { name: "127.0.0.1:5002/osimages/debian12:latest" },
        }),
        step({
            op: "create",
            chain: ["pulumi:providers:openstack"],
            name: "stray",
            new: {},
        }),
        step({
            op: "delete",
            chain: [...P, TYPES.glance, TYPES.image],
            name: "gone-image",
            old: { name: "Gone" },
        }),
        ...extra,
    ];
    if (summary) {
        lines.push(
            event({
                summaryEvent: {
                    maybeCorrupt: false,
                    durationSeconds: 3,
                    resourceChanges: { create: 9, update: 1, delete: 2, same: 30 },
                    policyPacks: {},
                },
            }),
        );
    }
    return `${lines.join("\n")}\n`;
}

function diagnostic(severity: string, message: string, ephemeral = false): string {
    return event({ diagnosticEvent: { message, color: "never", severity, ephemeral } });
}

function modelOf(text: string) {
    const events = readEventLog(text, "events.jsonl");
    const { catalogue, stack } = loadStack(readPreludeConfig(events.config, STACK));
    return noteModel(events, planStack(stack, catalogue));
}

// ---------------------------------------------------------------------------------------------
// Pure: reading the events, attributing them, rendering
// ---------------------------------------------------------------------------------------------

describe("mr-note: the preview's engine events", () => {
    it("reads steps, counts and diagnostics; drops ephemeral ones and the engine's colour tags", () => {
        const text = reviewEvents([
            diagnostic("warning", "<{%fg 3%}>a warning<{%reset%}>\n"),
            diagnostic("info", "progress"),
            diagnostic("error", "gone soon", true),
        ]);
        const events = readEventLog(text, "events.jsonl");
        assert.equal(events.steps.length, 16);
        assert.deepEqual(events.changes, { create: 9, update: 1, delete: 2, same: 30 });
        assert.deepEqual(events.diagnostics, [
            { severity: "warning", urn: undefined, message: "a warning" },
        ]);
        const update = events.steps.find((s) => s.op === "update");
        assert.deepEqual(update?.changedKeys, ["name", "visibility", "properties"]);
        assert.equal(update?.name, "debian12-x86_64-bios-2026-11-01-image");
    });

    it("refuses a log that is cut off or does not reach the summary, naming file and line", () => {
        const whole = reviewEvents();
        const cut = whole.slice(0, whole.indexOf("\n", 2000) + 40);
        assert.throws(
            () => readEventLog(cut, "ev.jsonl"),
            (e: unknown) =>
                e instanceof EventLogError &&
                /^ev\.jsonl:\d+: not a JSON engine event \(the log ends mid-event\)/.test(
                    e.message,
                ),
        );
        assert.throws(
            () => readEventLog(reviewEvents([], false), "ev.jsonl"),
            /ev\.jsonl: the event log ends before the preview's summary/,
        );
        assert.throws(
            () => readEventLog('{"a":1}\n', "ev.jsonl"),
            /ev\.jsonl:1: not an engine event/,
        );
    });
});

describe("mr-note: what the preview does, per distro and arch", () => {
    it("names builds, uploads, tests, the promotion, its visibility, the retirement and the published tag", () => {
        const model = modelOf(reviewEvents());
        const debian = model.pipelines.find((p) => p.name === "debian12-x86_64");
        const kinds = debian?.actions.map((a) => `${a.kind} ${"release" in a ? a.release : ""}`);
        assert.deepEqual(kinds, [
            "build 2026-12-01",
            "upload 2026-12-01",
            "upload 2026-12-01",
            "test 2026-12-01",
            "test 2026-12-01",
            "promote 2026-11-01",
            "visibility 2026-11-01",
            "rename 2026-10-01",
            "visibility 2026-10-01",
            "delete 2026-09-01",
            "publish 2026-11-01",
        ]);
        assert.deepEqual(debian?.actions[5], {
            kind: "promote",
            release: "2026-11-01",
            bootMode: "bios",
            from: "DEBIAN12 - x86_64 [2026-11-01] TEST",
            to: "DEBIAN12 - x86_64",
            build: {
                sha256: BYTES.candidate.osimages_sha256,
                manifestSha256: BYTES.candidate[MANIFEST_PROPERTY],
            },
        });
        assert.deepEqual(debian?.actions[3], {
            kind: "test",
            release: "2026-12-01",
            bootMode: "bios",
            useCase: "managed-virtual",
        });
        // The provider and the image no plan record accounts for are kept apart; sames are not changes.
        assert.deepEqual(
            model.other.map((s) => s.name),
            ["gone-image"],
        );
        assert.equal(model.pipelines.find((p) => p.distro === "debian12cloud")?.steps.length, 0);
        assert.equal(model.failed, false);
    });

    it("attributes the evidence gate's refusals to their distro and keeps other errors apart", () => {
        const refusal =
            "promotion refused by the evidence gate (stacks/Pulumi.review.yaml)\n" +
            "cannot promote debian12 x86_64 (bios) release 2026-11-01: its tests failed (2026-11-02): unmanaged-virtual: site/dns";
        const model = modelOf(
            reviewEvents([diagnostic("error", refusal), diagnostic("error", "another problem")]),
        );
        const debian = model.pipelines.find((p) => p.name === "debian12-x86_64");
        assert.deepEqual(
            debian?.actions.filter((a) => a.kind === "refused"),
            [{ kind: "refused", reason: refusal.split("\n")[1] }],
        );
        assert.deepEqual(model.errors, [
            "promotion refused by the evidence gate (stacks/Pulumi.review.yaml)",
            "another problem",
        ]);
        assert.equal(model.failed, true);
    });

    it("renders the summary first, a line per kind and release, and the steps folded", () => {
        const note = renderNote(modelOf(reviewEvents()), { stack: STACK, commitSha: "0a1b2c3d" });
        const lines = note.split("\n").filter((l) => l !== "");
        assert.equal(lines[0], noteMarker(STACK));
        assert.match(lines[1], /^### Preview of stack `review`: ✅ the preview succeeded$/);
        const headline = lines.find((l) => l.startsWith("**1 build"));
        assert.equal(
            headline,
            "**1 build · 2 uploads · 2 test runs · 1 promotion · 1 rename · 2 visibility changes · 1 deletion · 1 published tag** " +
                "(resources: 9 to create, 1 to update, 2 to delete, 30 unchanged)",
        );
        assert.ok(note.indexOf(headline!) < note.indexOf("**debian12 x86_64**"));
        assert.ok(
            note.includes(
                "- promote 2026-11-01: bios `DEBIAN12 - x86_64 [2026-11-01] TEST` → `DEBIAN12 - x86_64`\n",
            ),
        );
        assert.ok(
            note.includes(
                "- test 2026-12-01: bios on managed-virtual; uefi on unmanaged-virtual\n",
            ),
        );
        assert.ok(note.includes("- visibility 2026-11-01: bios shared → public\n"));
        assert.ok(
            note.includes(
                "- rename 2026-10-01: bios `DEBIAN12 - x86_64` → `DEBIAN12 - x86_64 [2026-10-01]`\n",
            ),
        );
        assert.ok(note.includes("- visibility 2026-10-01: bios hidden false → hidden true\n"));
        assert.ok(note.includes("- delete 2026-09-01: bios `DEBIAN12 - x86_64 [2026-09-01]`\n"));
        assert.ok(note.includes("No change: debian12cloud x86_64"));
        assert.match(note, /<details><summary>debian12 x86_64: 12 steps<\/summary>/);
        assert.ok(
            note.includes(
                "| update | `debian12-x86_64-bios-2026-11-01-image` | `openstack:images/image:Image` | `name, visibility, properties` |",
            ),
        );
    });

    it("renders the same note whatever order the engine sent the steps in", () => {
        const lines = reviewEvents().trimEnd().split("\n");
        const reversed = [lines[0], ...lines.slice(1, -1).reverse(), lines.at(-1)!].join("\n");
        const ctx = { stack: STACK };
        const sections = (text: string) => renderNote(modelOf(text), ctx).split("<details>")[0];
        assert.equal(sections(reversed), sections(reviewEvents()));
    });

    it("stays under its budget by leaving details out first, and says so", () => {
        const model = modelOf(reviewEvents());
        const whole = renderNote(model, { stack: STACK });
        const budget = whole.indexOf("<details><summary>debian12") + 200;
        const short = renderNote(model, { stack: STACK }, budget);
        assert.ok(short.length <= budget, `${short.length} > ${budget}`);
        assert.ok(!short.includes("<details><summary>debian12"));
        assert.match(
            short,
            /Details of 1 distros left out to keep this note short: see the job log/,
        );
        assert.ok(short.includes("- promote 2026-11-01"));
    });

    it("shows what a promotion changes inside the image: the packages, kernel first", async () => {
        const root = reviewRoot();
        try {
            const file = path.join(root, "events.jsonl");
            fs.writeFileSync(file, reviewEvents());
            const missing = (await noteFor(file, undefined, {}, root)).note;
            assert.match(
                missing,
                /#### Packages of debian12 x86_64: 2026-10-01 → 2026-11-01\n\nNot known: manifest not found: /,
            );
            writeManifests(root);
            const { note } = await noteFor(file, undefined, {}, root);
            const section = note.slice(note.indexOf("#### Packages of debian12 x86_64"));
            assert.match(section, /1 upgraded, 0 downgraded, 2 added, 1 removed/);
            const kernel = section.indexOf("linux-image-6.1.0-27-cloud-amd64");
            assert.ok(kernel > 0 && kernel < section.indexOf("| upgraded | bash"), section);
            assert.match(
                section,
                /\| upgraded \| bash \| amd64 \| 5\.2\.15-2\+b2 \| 5\.2\.15-2\+b7 \|/,
            );
            assert.ok(!section.includes("vim-tiny"), "an unchanged package is not listed");

            // Bytes that are not the ones Glance holds: not compared.
            fs.appendFileSync(
                path.join(
                    root,
                    ".lab/work/debian12/x86_64/2026-11-01",
                    `debian12-x86_64-2026-11-01-${"b".repeat(12)}.packages`,
                ),
                "zsh 5.9-4+b2 amd64\n",
            );
            const stale = (await noteFor(file, undefined, {}, root)).note;
            assert.match(
                stale,
                /Not known: manifest .* has digest [0-9a-f]{64}, but the image says/,
            );
        } finally {
            fs.rmSync(root, { recursive: true, force: true });
        }
    });

    it("renders real lab previews: a promotion, and a refused one", async () => {
        // Recorded with `pulumi preview --event-log` of the lab stack (debug and info diagnostics,
        // outputs and the inputs of unchanged resources left out to keep the files small).
        const fixture = (name: string) => path.join(ROOT, "test", "fixtures", "events", name);
        const promote = (await noteFor(fixture("lab-promote.jsonl"), undefined, {})).note;
        assert.match(promote, /^<!-- os-image-pipeline preview: lab -->\n/);
        assert.match(
            promote,
            /\*\*2 promotions · 2 visibility changes · 2 property updates\*\* \(resources: 26 to delete, 4 to update, 43 unchanged\)/,
        );
        assert.ok(
            promote.includes(
                "- promote 2026-11-01: bios `DEBIAN12 - x86_64 [2026-11-01] TEST` → `DEBIAN12 - x86_64`; " +
                    "uefi `DEBIAN12 - x86_64 UEFI [2026-11-01] TEST` → `DEBIAN12 - x86_64 UEFI`\n",
            ),
        );
        assert.ok(
            promote.includes("- properties 2026-11-01: bios; uefi\n"),
            "debian12cloud's evidence restated",
        );
        assert.match(promote, /<details><summary>debian12 x86_64: 28 steps<\/summary>/);
        assert.ok(!promote.includes("outside the plan"), "the tests' machines are the distro's");

        const refused = (await noteFor(fixture("lab-refused.jsonl"), undefined, {})).note;
        assert.match(refused, /❌ the preview failed/);
        assert.match(refused, /\*\*2 refused promotions\*\*/);
        assert.ok(
            refused.includes(
                "- ⛔ promotion refused: cannot promote debian12 x86_64 (uefi) release 2026-12-01: it was never built and uploaded",
            ),
        );
        assert.ok(refused.includes("No change: debian12cloud x86_64"));
    });

    it("parses its command line", () => {
        assert.deepEqual(parseArgs(["--events", "e.jsonl", "--stack=prod", "--dry-run"]), {
            events: "e.jsonl",
            stack: "prod",
            dryRun: true,
            help: false,
        });
        assert.throws(() => parseArgs([]), /--events is required/);
        assert.throws(() => parseArgs(["--events"]), /--events needs a value/);
        assert.throws(() => parseArgs(["--events", "e", "--nope"]), /unknown argument: --nope/);
        assert.throws(() => parseArgs(["--events", "e", "--stack", "a b"]), /invalid --stack/);
    });
});

// ---------------------------------------------------------------------------------------------
// End to end: the command against a fake GitLab on 127.0.0.1
// ---------------------------------------------------------------------------------------------

const TOKEN = `glpat-${randomBytes(12).toString("hex")}`;

interface RunResult {
    code: number | null;
    stdout: string;
    stderr: string;
}

/** Runs the command in `cwd` with only the given variables (plus PATH) in its environment. */
function runNote(
    args: string[],
    env: Record<string, string | undefined>,
    cwd: string,
): Promise<RunResult> {
    return new Promise((resolve, reject) => {
        const child = spawn(
            process.execPath,
            [path.join(ROOT, "node_modules", "ts-node", "dist", "bin.js"), SCRIPT, ...args],
            {
                cwd,
                // The parent mocha process already type-checks the script when importing it.
                env: { PATH: process.env.PATH, TS_NODE_TRANSPILE_ONLY: "true", ...env },
                stdio: ["ignore", "pipe", "pipe"],
            },
        );
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("error", reject);
        child.on("close", (code) => {
            // Whatever happens, the token never reaches the job log.
            assert.ok(!stdout.includes(TOKEN), "token printed on stdout");
            assert.ok(!stderr.includes(TOKEN), "token printed on stderr");
            resolve({ code, stdout, stderr });
        });
    });
}

describe("mr-note: end to end against a fake GitLab", function () {
    this.timeout(120_000);
    let gitlab: FakeGitLab;
    let env: Record<string, string | undefined>;
    let root: string;
    let events: string;

    const start = async (
        header: "private-token" | "job-token" = "private-token",
        token = TOKEN,
    ) => {
        gitlab = new FakeGitLab("42", "7", header, token);
        env = {
            CI_API_V4_URL: await gitlab.start(),
            CI_PROJECT_ID: "42",
            CI_MERGE_REQUEST_IID: "7",
            GITLAB_TOKEN: TOKEN,
            CI_COMMIT_SHORT_SHA: "0a1b2c3d",
            GITLAB_RETRY_DELAY_MS: "20",
        };
    };

    beforeEach(async () => {
        root = reviewRoot();
        events = path.join(root, "events.jsonl");
        fs.writeFileSync(events, reviewEvents());
        await start();
    });

    afterEach(async () => {
        await gitlab.stop();
        fs.rmSync(root, { recursive: true, force: true });
    });

    it("--dry-run prints the note and sends nothing", async () => {
        const r = await runNote(
            ["--events", events, "--dry-run"],
            { ...env, GITLAB_TOKEN: "" },
            root,
        );
        assert.equal(r.code, 0, r.stderr);
        assert.ok(
            r.stdout.startsWith(`${noteMarker(STACK)}\n`),
            "the stack is read off the events",
        );
        assert.ok(r.stdout.includes("commit `0a1b2c3d`"));
        assert.equal(gitlab.requests.length, 0);
    });

    it("creates the note, then edits that one note on the next run", async () => {
        gitlab.notes.push({ id: 1, body: "LGTM once the TEST image boots", system: false });
        const first = await runNote(["--events", events], env, root);
        assert.equal(first.code, 0, first.stderr);
        assert.match(first.stdout, /created note 100 on merge request !7 \(stack review/);
        const post = gitlab.requests.find((q) => q.method === "POST");
        assert.equal(post?.url, "/api/v4/projects/42/merge_requests/7/notes");
        assert.equal(post?.headers["private-token"], TOKEN);
        assert.equal(post?.headers["content-type"], "application/json");
        assert.ok(
            gitlab.requests.some((q) => q.method === "GET" && q.url.includes("per_page=100")),
        );

        fs.writeFileSync(
            events,
            reviewEvents([
                diagnostic(
                    "error",
                    "cannot promote debian12 x86_64 (uefi) release 2026-11-01: its tests failed",
                ),
            ]),
        );
        const second = await runNote(["--events", events, "--stack", STACK], env, root);
        assert.equal(second.code, 0, second.stderr);
        assert.match(second.stdout, /updated note 100 /);
        assert.equal(gitlab.requests.filter((q) => q.method === "POST").length, 1);
        assert.deepEqual(
            gitlab.requests.filter((q) => q.method === "PUT").map((q) => q.url),
            ["/api/v4/projects/42/merge_requests/7/notes/100"],
        );
        const own = findOwnNote(gitlab.notes, STACK);
        assert.match(own?.body ?? "", /❌ the preview failed/);
        assert.match(
            own?.body ?? "",
            /⛔ promotion refused: cannot promote debian12 x86_64 \(uefi\) release 2026-11-01/,
        );
        assert.equal(gitlab.notes.find((n) => n.id === 1)?.body, "LGTM once the TEST image boots");
    });

    it("uses JOB-TOKEN when GITLAB_TOKEN is unset", async () => {
        await gitlab.stop();
        await start("job-token");
        const r = await runNote(
            ["--events", events],
            { ...env, GITLAB_TOKEN: undefined, CI_JOB_TOKEN: TOKEN },
            root,
        );
        assert.equal(r.code, 0, r.stderr);
        assert.equal(gitlab.notes.length, 1);
        assert.ok(gitlab.requests.every((q) => q.headers["private-token"] === undefined));
    });

    it("retries a 502 without a duplicate note, and gives up after 3 retries", async () => {
        gitlab.failures.push({ method: "POST", status: 502 });
        const r = await runNote(["--events", events], env, root);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stderr, /HTTP 502 Bad Gateway.*retry 1 of 3/);
        assert.equal(gitlab.notes.length, 1);

        for (let i = 0; i < 4; i++) gitlab.failures.push({ method: "GET", status: 503 });
        const down = await runNote(["--events", events], env, root);
        assert.equal(down.code, 1);
        assert.match(down.stderr, /retry 3 of 3/);
        assert.match(down.stderr, /mr-note: error: GitLab API GET .*\/notes failed with HTTP 503/);
    });

    it("fails clearly on 401, without printing the token GitLab echoed back", async () => {
        await gitlab.stop();
        await start("private-token", "the-right-token");
        const r = await runNote(["--events", events], env, root);
        assert.equal(r.code, 1);
        assert.equal(gitlab.requests.length, 1, "a 401 is not retried");
        assert.match(r.stderr, /failed with HTTP 401 Unauthorized/);
        assert.match(r.stderr, /token '\[REDACTED\]' is not valid/);
        assert.match(r.stderr, /check GITLAB_TOKEN/);
    });

    it("sends nothing without its settings, for a cut-off preview, or for a bad stack file", async () => {
        const noMr = await runNote(
            ["--events", events],
            { ...env, CI_MERGE_REQUEST_IID: undefined },
            root,
        );
        assert.equal(noMr.code, 2);
        assert.match(
            noMr.stderr,
            /missing environment variable: CI_MERGE_REQUEST_IID .*merge request pipelines/,
        );

        fs.writeFileSync(events, reviewEvents([], false));
        const cut = await runNote(["--events", events], env, root);
        assert.equal(cut.code, 1);
        assert.match(
            cut.stderr,
            /the event log ends before the preview's summary: the preview did not finish/,
        );

        fs.writeFileSync(events, reviewEvents([], true, reviewConfig("two")));
        const bad = await runNote(["--events", events], env, root);
        assert.equal(bad.code, 1);
        assert.match(bad.stderr, /stacks\/Pulumi\.review\.yaml.*keep/);
        assert.equal(gitlab.requests.length, 0);
    });
});
