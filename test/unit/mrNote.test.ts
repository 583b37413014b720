// Tests for scripts/ci/mr-note.ts: parsing and rendering as pure functions, then the script run as a
// child process against a fake GitLab API served on 127.0.0.1.
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";

import {
    GITLAB_NOTE_LIMIT,
    GitLabError,
    findOwnNote,
    hoistDiffMarkers,
    noteMarker,
    parseArgs,
    parsePreview,
    readGitLabConfig,
    redact,
    renderNote,
    stripAnsi,
    UsageError,
    withRetry,
} from "../../scripts/ci/mr-note";

const ROOT = path.resolve(__dirname, "..", "..");
const SCRIPT = path.join(ROOT, "scripts", "ci", "mr-note.ts");
const FIXTURE = path.join(ROOT, "test", "fixtures", "preview-diff.txt");
const PREVIEW = readFileSync(FIXTURE, "utf8");

const ESC = "\u001b";
/** Colours the fixture roughly the way Pulumi does: markers, headlines and an OSC 8 link. */
function colourise(text: string): string {
    return text
        .split("\n")
        .map((line) => {
            const m = /^(\s*)(\+-|\+\+|--|[+~-])(.*)$/.exec(line);
            if (m) {
                const colour = m[2].startsWith("+") ? "32" : m[2] === "~" ? "33" : "31";
                return `${m[1]}${ESC}[${colour}m${m[2]}${ESC}[0m${m[3]}${ESC}[0m`;
            }
            if (line.startsWith("Resources:")) return `${ESC}[35;1mResources:${ESC}[0m`;
            if (line.startsWith("Previewing")) {
                return `${ESC}[1m${ESC}]8;;https://example.test/p${ESC}\\${line}${ESC}]8;;${ESC}\\${ESC}[0m`;
            }
            return line;
        })
        .join("\n");
}

describe("mr-note: parsing the preview", () => {
    it("strips ANSI colours, hyperlinks and carriage-return overwrites", () => {
        const raw =
            `${ESC}[1m${ESC}[35mResources:${ESC}[0m\r\n` +
            `    ${ESC}[32m+ 1 to create${ESC}[0m\n` +
            `${ESC}]8;;https://app.pulumi.com/x${ESC}\\View Live${ESC}]8;;${ESC}\\\n` +
            `previewing...\rdone`;
        assert.equal(stripAnsi(raw), "Resources:\n    + 1 to create\nView Live\ndone");
    });

    it("reads the counts from the Resources: block", () => {
        const parsed = parsePreview(PREVIEW);
        assert.equal(parsed.stack, "prod");
        assert.deepEqual(parsed.summary, {
            counts: { create: 13, update: 3, delete: 6, replace: 3 },
            changes: 25,
            unchanged: 41,
        });
        assert.deepEqual(parsed.diagnostics, { errors: 0, warnings: 0 });
    });

    it("lists every changed resource with operation, type and name from its URN", () => {
        const rows = parsePreview(PREVIEW).resources.map((r) => `${r.symbol} ${r.type} ${r.name}`);
        const image = "openstack:images/image:Image";
        const access = "openstack:images/imageAccess:ImageAccess";
        const accept = "openstack:images/imageAccessAccept:ImageAccessAccept";
        assert.deepEqual(rows, [
            "+ osimages:build:ImageBuild cs9-x86_64-2026-12-01",
            "+ command:local:Command cs9-x86_64-2026-12-01-build",
            "+ osimages:glance:GlanceImage cs9-x86_64-bios-2026-12-01",
            `+ ${image} cs9-x86_64-bios-2026-12-01-image`,
            `+ ${access} cs9-x86_64-bios-2026-12-01-member`,
            `+ ${accept} cs9-x86_64-bios-2026-12-01-accept`,
            `~ ${image} cs9-x86_64-bios-2026-11-01-image`,
            `~ ${image} cs9-x86_64-bios-2026-10-01-image`,
            "~ command:local:Command alma9-x86_64-2026-11-15-build",
            `+- ${image} alma9-x86_64-bios-2026-11-15-image`,
            `+- ${access} alma9-x86_64-bios-2026-11-15-member`,
            `+- ${accept} alma9-x86_64-bios-2026-11-15-accept`,
            "+ osimages:pipeline:DistroPipeline alma10-x86_64",
            "+ osimages:build:ImageBuild alma10-x86_64-2026-12-01",
            "+ command:local:Command alma10-x86_64-2026-12-01-build",
            "+ osimages:glance:GlanceImage alma10-x86_64-bios-2026-12-01",
            `+ ${image} alma10-x86_64-bios-2026-12-01-image`,
            `+ ${access} alma10-x86_64-bios-2026-12-01-member`,
            `+ ${accept} alma10-x86_64-bios-2026-12-01-accept`,
            `- ${accept} cs9-x86_64-bios-2026-11-01-accept`,
            `- ${access} cs9-x86_64-bios-2026-11-01-member`,
            `- ${image} cs9-x86_64-bios-2026-08-01-image`,
            "- osimages:glance:GlanceImage cs9-x86_64-bios-2026-08-01",
            "- command:local:Command cs9-x86_64-2026-08-01-build",
            "- osimages:build:ImageBuild cs9-x86_64-2026-08-01",
        ]);
        const ops = parsePreview(PREVIEW).resources.map((r) => r.op);
        assert.deepEqual(
            [...new Set(ops)].map((op) => [op, ops.filter((o) => o === op).length]),
            [
                ["create", 13],
                ["update", 3],
                ["replace", 3],
                ["delete", 6],
            ],
        );
    });

    it("keeps the top-level property changes (rename, visibility flip) of updated images", () => {
        const resources = parsePreview(PREVIEW).resources;
        const promoted = resources.find((r) => r.name === "cs9-x86_64-bios-2026-11-01-image");
        assert.deepEqual(promoted?.properties, [
            {
                kind: "~",
                key: "name",
                from: '"CS9 - x86_64 [2026-11-01] TEST"',
                to: '"CS9 - x86_64"',
            },
            { kind: "~", key: "properties" },
            { kind: "~", key: "visibility", from: '"shared"', to: '"public"' },
        ]);
        const previous = resources.find((r) => r.name === "cs9-x86_64-bios-2026-10-01-image");
        assert.deepEqual(
            previous?.properties.map((p) => `${p.key}: ${p.from} => ${p.to}`),
            ["hidden: false => true", 'name: "CS9 - x86_64" => "CS9 - x86_64 [2026-10-01]"'],
        );
        // Nested keys (properties.*, environment.*) and stack outputs are not listed.
        const keys = resources.flatMap((r) => r.properties.map((p) => p.key));
        for (const nested of ["osimages_test_result", "INSTALL_TREE", "report", "production"]) {
            assert.ok(!keys.includes(nested), nested);
        }
    });

    it("parses coloured output exactly like plain output", () => {
        const coloured = colourise(PREVIEW);
        assert.ok(coloured.includes(`${ESC}[32m+${ESC}[0m osimages:build:ImageBuild`));
        const plain = parsePreview(PREVIEW);
        const fromColour = parsePreview(coloured);
        assert.deepEqual(fromColour.summary, plain.summary);
        assert.deepEqual(fromColour.resources, plain.resources);
        assert.equal(fromColour.stack, "prod");
        assert.ok(!fromColour.text.includes(ESC));
    });

    it("tolerates one-line rows, the table without --diff and every step prefix", () => {
        const text = [
            "Previewing update (linux-team/prod):",
            "    + osimages:glance:GlanceImage  cs9-x86_64-bios-image  create",
            "    ~ openstack:images/image:Image cs9-img update",
            "     Type                              Name        Plan       Info",
            "     pulumi:pulumi:Stack               os-image-pipeline-prod",
            " +-  ├─ command:local:Command          cs9-upload  replace    [diff: ~triggers]",
            " -   │  └─ openstack:images/image:Image old-img   delete",
            "    -+openstack:images/image:Image swapped",
            "    ++openstack:images/image:Image: (create-replacement)",
            "        [urn=urn:pulumi:prod::os-image-pipeline::openstack:images/image:Image::img-r]",
            "    --openstack:images/image:Image: (delete-replaced)",
            "        [urn=urn:pulumi:prod::os-image-pipeline::openstack:images/image:Image::img-r]",
            "Resources:",
            "    + 1 created",
            "    ~ 1 updated",
            "    3 changes. 4 unchanged",
        ].join("\n");
        const parsed = parsePreview(text);
        assert.equal(parsed.stack, "linux-team/prod");
        assert.deepEqual(
            parsed.resources.map((r) => [r.op, r.type, r.name]),
            [
                ["create", "osimages:glance:GlanceImage", "cs9-x86_64-bios-image"],
                ["update", "openstack:images/image:Image", "cs9-img"],
                ["replace", "command:local:Command", "cs9-upload"],
                ["delete", "openstack:images/image:Image", "old-img"],
                ["replace", "openstack:images/image:Image", "swapped"],
                ["create-replacement", "openstack:images/image:Image", "img-r"],
                ["delete-replaced", "openstack:images/image:Image", "img-r"],
            ],
        );
        assert.deepEqual(parsed.summary, {
            counts: { create: 1, update: 1 },
            changes: 3,
            unchanged: 4,
        });
    });
});

describe("mr-note: rendering the note", () => {
    const context = { stack: "prod", commitSha: "0a1b2c3d", jobUrl: "https://gitlab.test/j/1" };

    it("has the marker, header, summary, change table, renames and the diff", () => {
        const note = renderNote(parsePreview(PREVIEW), context);
        const lines = note.split("\n");
        assert.equal(lines[0], "<!-- os-image-pipeline preview: prod -->");
        assert.equal(lines[1], "### Pulumi preview: `prod`");
        assert.ok(
            note.includes(
                "**Resources:** 13 to create · 3 to update · 6 to delete · 3 to replace · 41 unchanged",
            ),
        );
        assert.ok(note.includes("commit `0a1b2c3d` · [CI job](https://gitlab.test/j/1)"));
        assert.ok(note.includes("| Operation | Type | Name | Changed properties |"));
        assert.ok(
            note.includes(
                "| `~ update` | `openstack:images/image:Image` | `cs9-x86_64-bios-2026-11-01-image` | `~name` `~properties` `~visibility` |",
            ),
        );
        assert.ok(
            note.includes(
                "| `+- replace` | `openstack:images/image:Image` | `alma9-x86_64-bios-2026-11-15-image` | `~localFilePath` |",
            ),
        );
        assert.ok(
            note.includes(
                "| `+ create` | `osimages:pipeline:DistroPipeline` | `alma10-x86_64` |  |",
            ),
        );
        assert.equal(lines.filter((l) => l.startsWith("| `")).length, 25);
        assert.ok(
            note.includes(
                '- `cs9-x86_64-bios-2026-11-01-image`: name `"CS9 - x86_64 [2026-11-01] TEST"` → `"CS9 - x86_64"`',
            ),
        );
        assert.ok(note.includes('visibility `"shared"` → `"public"`'));
        assert.ok(note.includes("- `cs9-x86_64-bios-2026-10-01-image`: hidden `false` → `true`"));
        // The full output, collapsed, with markers moved to column 0 for diff highlighting.
        assert.ok(note.includes("<details>\n<summary>Full <code>pulumi preview --diff</code>"));
        assert.ok(note.includes("```diff\nPreviewing update (prod)\n"));
        assert.ok(note.includes('\n~               visibility: "shared" => "public"\n'));
        assert.ok(note.includes("\n+-            openstack:images/image:Image: (replace)\n"));
        assert.ok(note.trimEnd().endsWith("```\n\n</details>"));
        assert.ok(!note.includes("truncated"));
    });

    it("fences the diff so backticks in the preview cannot close it, and escapes table pipes", () => {
        const text = [
            "Previewing update (prod)",
            "    ~ command:local:Command: (update)",
            "        [urn=urn:pulumi:prod::p::command:local:Command::odd|name]",
            '      ~ create: "echo ```" => "echo ````"',
            "Resources:",
            "    ~ 1 to update",
        ].join("\n");
        const note = renderNote(parsePreview(text), { stack: "prod" });
        assert.ok(note.includes("\n`````diff\n"));
        assert.ok(note.includes("\n`````\n\n</details>"));
        assert.ok(note.includes("`odd\\|name`"));
        assert.equal(
            hoistDiffMarkers("      ~ a: 1\n    +-b:c:D: (replace)\n    --outputs:--"),
            `~${" ".repeat(7)}a: 1\n+-    b:c:D: (replace)\n    --outputs:--`,
        );
    });

    it("truncates the diff to fit the length limit and says so", () => {
        const big = PREVIEW.replace(
            "Resources:",
            Array.from({ length: 400 }, (_, i) => `    [note ${i}] ${"x".repeat(60)}`).join("\n") +
                "\nResources:",
        );
        const maxLength = 12_000;
        const note = renderNote(parsePreview(big), context, { maxLength });
        assert.ok(note.length <= maxLength, `${note.length} > ${maxLength}`);
        assert.ok(note.length > maxLength - 200, "should use the space it has");
        const total = big.trimEnd().split("\n").length;
        assert.match(note, new RegExp(`truncated to its first \\d+ of ${total} lines`));
        assert.ok(note.includes("GitLab's 1,000,000-character limit"));
        assert.ok(note.includes("```diff\nPreviewing update (prod)\n"));
        assert.ok(note.trimEnd().endsWith("```\n\n</details>"));
        // The summary above the diff is intact.
        assert.ok(note.includes("**Resources:** 13 to create"));
    });

    it("keeps a preview of several megabytes under GitLab's 1,000,000-character limit", () => {
        const huge = PREVIEW + `\n${"    ~ ".padEnd(200, "y")}`.repeat(20_000) + "\n";
        assert.ok(huge.length > 3_000_000);
        const note = renderNote(parsePreview(huge), context);
        assert.ok(note.length < GITLAB_NOTE_LIMIT);
        assert.ok(note.length > GITLAB_NOTE_LIMIT - 5_000);
        assert.ok(note.includes("truncated"));
        // One enormous line is cut rather than dropping everything after the header.
        const oneLine = renderNote(
            parsePreview(`Previewing update (prod)\n${"z".repeat(2e6)}`),
            context,
        );
        assert.ok(oneLine.length < GITLAB_NOTE_LIMIT && oneLine.includes("zzz…\n```"));
    });

    it("caps the change table and reports failed previews", () => {
        const rows = Array.from(
            { length: 8 },
            (_, i) => `    + openstack:images/image:Image img-${i} create`,
        );
        const note = renderNote(
            parsePreview(
                ["Previewing update (dev)", ...rows, "", "  error: quota exceeded"].join("\n"),
            ),
            { stack: "dev" },
            { maxTableRows: 5 },
        );
        assert.equal(note.split("\n").filter((l) => l.startsWith("| `+ create`")).length, 5);
        assert.ok(note.includes("…and 3 more change(s)"));
        assert.ok(note.includes("no `Resources:` summary found"));
        assert.ok(note.includes("the preview reported 1 error(s)"));
        assert.ok(
            renderNote(parsePreview("Resources:\n    3 unchanged\n"), { stack: "dev" }).includes(
                "No resource changes.",
            ),
        );
    });
});

describe("mr-note: helpers", () => {
    it("finds its own note by the stack marker, ignoring quotes, other stacks and system notes", () => {
        const mine = noteMarker("prod");
        const notes = [
            { id: 3, body: `${noteMarker("prod-eu")}\nother stack` },
            { id: 12, body: `> ${mine}\n> quoted by a reviewer` },
            { id: 5, body: `${mine}\nolder`, system: false },
            { id: 9, body: `${mine}\nnewer` },
            { id: 11, body: `${mine}\nsystem`, system: true },
            { id: "x", body: mine },
            null,
        ];
        assert.equal(findOwnNote(notes, "prod")?.id, 9);
        assert.equal(findOwnNote(notes, "dev"), undefined);
        assert.throws(() => noteMarker("prod -->"), /invalid stack name/);
    });

    it("retries retryable errors up to 3 times with growing back-off, and nothing else", async () => {
        const delays: number[] = [];
        const sleep = (ms: number) => {
            delays.push(ms);
            return Promise.resolve();
        };
        let calls = 0;
        await assert.rejects(
            withRetry(
                () => {
                    calls++;
                    return Promise.reject(new GitLabError("HTTP 503", 503, true));
                },
                { baseDelayMs: 100, sleep },
            ),
            /HTTP 503/,
        );
        assert.equal(calls, 4);
        assert.equal(delays.length, 3);
        assert.ok(delays[0] >= 100 && delays[0] < 125 && delays[1] >= 200 && delays[2] >= 400);

        calls = 0;
        await assert.rejects(
            withRetry(
                () => {
                    calls++;
                    return Promise.reject(new GitLabError("HTTP 401", 401, false));
                },
                { sleep },
            ),
        );
        assert.equal(calls, 1);

        const value = await withRetry(
            (attempt) =>
                attempt < 2
                    ? Promise.reject(new GitLabError("network", undefined, true))
                    : Promise.resolve("ok"),
            { sleep },
        );
        assert.equal(value, "ok");
    });

    it("reads the GitLab settings, naming missing variables and preferring GITLAB_TOKEN", () => {
        const base = {
            CI_API_V4_URL: "https://gitlab.test/api/v4/",
            CI_PROJECT_ID: "42",
            CI_MERGE_REQUEST_IID: "7",
        };
        assert.throws(
            () => readGitLabConfig({ ...base, CI_MERGE_REQUEST_IID: undefined, GITLAB_TOKEN: "t" }),
            (err: unknown) =>
                err instanceof UsageError &&
                /CI_MERGE_REQUEST_IID/.test(err.message) &&
                !/CI_PROJECT_ID/.test(err.message),
        );
        assert.throws(() => readGitLabConfig(base), /GITLAB_TOKEN/);
        assert.throws(
            () => readGitLabConfig({}),
            /CI_API_V4_URL.*CI_PROJECT_ID.*CI_MERGE_REQUEST_IID/,
        );
        const both = readGitLabConfig({ ...base, GITLAB_TOKEN: " pat\n", CI_JOB_TOKEN: "job" });
        assert.equal(both.authHeader, "PRIVATE-TOKEN");
        assert.equal(both.token, "pat");
        assert.equal(both.apiUrl, "https://gitlab.test/api/v4");
        const job = readGitLabConfig({ ...base, CI_JOB_TOKEN: "job" });
        assert.deepEqual([job.authHeader, job.tokenVariable], ["JOB-TOKEN", "CI_JOB_TOKEN"]);
    });

    it("redacts secrets and parses the command line", () => {
        assert.equal(
            redact("bad token abc123xyz!", ["abc123xyz\n", undefined, ""]),
            "bad token [REDACTED]!",
        );
        assert.deepEqual(parseArgs(["--preview", "p.txt", "--stack=prod", "--dry-run"]), {
            preview: "p.txt",
            stack: "prod",
            dryRun: true,
            help: false,
        });
        assert.equal(parseArgs(["--preview", "-"]).preview, "-");
        assert.throws(() => parseArgs([]), /--preview is required/);
        assert.throws(() => parseArgs(["--preview"]), /--preview needs a value/);
        assert.throws(() => parseArgs(["--preview", "p", "--nope"]), /unknown argument: --nope/);
        assert.throws(() => parseArgs(["--preview", "p", "--stack", "a b"]), /invalid --stack/);
    });
});

// ---------------------------------------------------------------------------------------------
// End to end: the script against a fake GitLab on 127.0.0.1
// ---------------------------------------------------------------------------------------------

interface FakeNote {
    id: number;
    body: string;
    system: boolean;
}

interface SeenRequest {
    method: string;
    url: string;
    headers: http.IncomingHttpHeaders;
    body: string;
}

const PROJECT = "42";
const MR = "7";
const NOTES_PATH = `/api/v4/projects/${PROJECT}/merge_requests/${MR}/notes`;

class FakeGitLab {
    notes: FakeNote[] = [];
    requests: SeenRequest[] = [];
    /** Responses to force, consumed in order by the first request of the same method. */
    failures: { method: string; status: number }[] = [];
    private nextId = 100;
    private server = http.createServer((req, res) => this.handle(req, res));

    constructor(
        readonly expectedHeader: "private-token" | "job-token",
        readonly expectedToken: string,
    ) {}

    async start(): Promise<string> {
        await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
        const { port } = this.server.address() as AddressInfo;
        return `http://127.0.0.1:${port}/api/v4`;
    }

    stop(): Promise<void> {
        return new Promise((resolve) => this.server.close(() => resolve()));
    }

    private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            const body = Buffer.concat(chunks).toString("utf8");
            const method = req.method ?? "";
            const url = req.url ?? "";
            this.requests.push({ method, url, headers: req.headers, body });
            const send = (status: number, data: unknown) => {
                res.writeHead(status, { "Content-Type": "application/json" });
                res.end(JSON.stringify(data));
            };
            const forced = this.failures.findIndex((f) => f.method === method);
            if (forced >= 0) {
                const [failure] = this.failures.splice(forced, 1);
                res.writeHead(failure.status, { "Content-Type": "text/html" });
                res.end(
                    `<html><body><h1>${failure.status} ${http.STATUS_CODES[failure.status]}</h1></body></html>`,
                );
                return;
            }
            const token = req.headers[this.expectedHeader];
            if (token !== this.expectedToken) {
                // Like some proxies, echo what was sent: the script must redact it.
                send(401, { message: `401 Unauthorized: token '${String(token)}' is not valid` });
                return;
            }
            const path = url.replace(/\?.*$/, "");
            if (path === NOTES_PATH && method === "GET") {
                send(
                    200,
                    [...this.notes].sort((a, b) => b.id - a.id),
                );
            } else if (path === NOTES_PATH && method === "POST") {
                const note = { id: this.nextId++, body: parseBody(body), system: false };
                this.notes.push(note);
                send(201, note);
            } else if (path.startsWith(`${NOTES_PATH}/`) && method === "PUT") {
                const note = this.notes.find((n) => `${NOTES_PATH}/${n.id}` === path);
                if (!note) return send(404, { message: "404 Not found" });
                note.body = parseBody(body);
                send(200, note);
            } else {
                send(404, { message: "404 Not found" });
            }
        });
    }
}

function parseBody(body: string): string {
    return (JSON.parse(body) as { body: string }).body;
}

interface RunResult {
    code: number | null;
    stdout: string;
    stderr: string;
}

const TOKEN = `glpat-${randomBytes(12).toString("hex")}`;

/** Runs the script with only the given variables (plus PATH) in its environment. */
function runScript(
    args: string[],
    env: Record<string, string | undefined>,
    stdin?: string,
): Promise<RunResult> {
    return new Promise((resolve, reject) => {
        const child = spawn(
            process.execPath,
            [path.join(ROOT, "node_modules", "ts-node", "dist", "bin.js"), SCRIPT, ...args],
            {
                cwd: ROOT,
                // The parent mocha process already type-checks the script when importing it.
                env: { PATH: process.env.PATH, TS_NODE_TRANSPILE_ONLY: "true", ...env },
                stdio: ["pipe", "pipe", "pipe"],
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
        child.stdin.end(stdin ?? "");
    });
}

describe("mr-note: end to end against a fake GitLab", function () {
    this.timeout(30_000);
    let gitlab: FakeGitLab;
    let env: Record<string, string>;

    beforeEach(async () => {
        gitlab = new FakeGitLab("private-token", TOKEN);
        const api = await gitlab.start();
        env = {
            CI_API_V4_URL: api,
            CI_PROJECT_ID: PROJECT,
            CI_MERGE_REQUEST_IID: MR,
            GITLAB_TOKEN: TOKEN,
            CI_COMMIT_SHORT_SHA: "0a1b2c3d",
            MR_NOTE_RETRY_DELAY_MS: "20",
        };
    });

    afterEach(() => gitlab.stop());

    it("--dry-run prints the note and sends nothing", async () => {
        const r = await runScript(["--preview", FIXTURE, "--dry-run"], {
            ...env,
            GITLAB_TOKEN: "",
        });
        assert.equal(r.code, 0, r.stderr);
        assert.ok(r.stdout.startsWith("<!-- os-image-pipeline preview: prod -->\n"));
        assert.ok(r.stdout.includes("commit `0a1b2c3d`"));
        assert.equal(gitlab.requests.length, 0);
    });

    it("creates a note with PRIVATE-TOKEN", async () => {
        const r = await runScript(["--preview", FIXTURE, "--stack", "prod"], env);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /created note 100 on merge request !7 \(stack prod/);
        assert.equal(gitlab.notes.length, 1);
        assert.ok(gitlab.notes[0].body.startsWith(noteMarker("prod")));
        assert.ok(gitlab.notes[0].body.includes("cs9-x86_64-bios-2026-11-01-image"));
        const post = gitlab.requests.find((q) => q.method === "POST");
        assert.equal(post?.headers["private-token"], TOKEN);
        assert.equal(post?.headers["content-type"], "application/json");
        assert.ok(
            gitlab.requests.some((q) => q.method === "GET" && q.url.includes("per_page=100")),
        );
    });

    it("updates its own note on a second run instead of adding another", async () => {
        gitlab.notes.push(
            { id: 1, body: "LGTM once the TEST image boots", system: false },
            { id: 2, body: `${noteMarker("staging")}\nstaging preview`, system: false },
        );
        const first = await runScript(["--preview", FIXTURE, "--stack", "prod"], env);
        assert.equal(first.code, 0, first.stderr);
        const changed = PREVIEW.replace('"shared" => "public"', '"shared" => "community"');
        const second = await runScript(["--preview", "-", "--stack", "prod"], env, changed);
        assert.equal(second.code, 0, second.stderr);
        assert.match(second.stdout, /updated note 100 /);
        assert.equal(gitlab.notes.length, 3);
        assert.equal(gitlab.requests.filter((q) => q.method === "POST").length, 1);
        const put = gitlab.requests.filter((q) => q.method === "PUT");
        assert.deepEqual(
            put.map((q) => q.url),
            [`${NOTES_PATH}/100`],
        );
        const own = gitlab.notes.find((n) => n.id === 100);
        assert.ok(own?.body.includes('visibility `"shared"` → `"community"`'));
        assert.equal(
            gitlab.notes.find((n) => n.id === 2)?.body,
            `${noteMarker("staging")}\nstaging preview`,
        );
    });

    it("uses JOB-TOKEN when GITLAB_TOKEN is unset", async () => {
        gitlab = await restartAs(gitlab, "job-token");
        const api = await gitlab.start();
        const r = await runScript(["--preview", FIXTURE], {
            ...env,
            CI_API_V4_URL: api,
            GITLAB_TOKEN: undefined,
            CI_JOB_TOKEN: TOKEN,
        });
        assert.equal(r.code, 0, r.stderr);
        assert.equal(gitlab.notes.length, 1);
        assert.ok(gitlab.requests.every((q) => q.headers["private-token"] === undefined));
    });

    it("retries a 502 and then succeeds without a duplicate note", async () => {
        gitlab.failures.push({ method: "POST", status: 502 });
        const r = await runScript(["--preview", FIXTURE, "--stack", "prod"], env);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stderr, /HTTP 502 Bad Gateway.*retry 1 of 3/);
        assert.equal(gitlab.notes.length, 1);
        assert.equal(gitlab.requests.filter((q) => q.method === "POST").length, 2);
    });

    it("gives up after 3 retries of a failing GitLab", async () => {
        for (let i = 0; i < 4; i++) gitlab.failures.push({ method: "GET", status: 503 });
        const r = await runScript(["--preview", FIXTURE, "--stack", "prod"], env);
        assert.equal(r.code, 1);
        assert.equal(gitlab.requests.length, 4);
        assert.match(r.stderr, /retry 3 of 3/);
        assert.match(r.stderr, /mr-note: error: GitLab API GET .*\/notes failed with HTTP 503/);
        assert.equal(gitlab.notes.length, 0);
    });

    it("fails clearly on 401, without printing the token GitLab echoed back", async () => {
        gitlab = await restartAs(gitlab, "private-token", "the-right-token");
        const api = await gitlab.start();
        const r = await runScript(["--preview", FIXTURE, "--stack", "prod"], {
            ...env,
            CI_API_V4_URL: api,
        });
        assert.equal(r.code, 1);
        assert.equal(gitlab.requests.length, 1, "a 401 is not retried");
        assert.match(r.stderr, /failed with HTTP 401 Unauthorized/);
        assert.match(r.stderr, /token '\[REDACTED\]' is not valid/);
        assert.match(r.stderr, /check GITLAB_TOKEN/);
    });

    it("fails clearly when CI_MERGE_REQUEST_IID is missing", async () => {
        const r = await runScript(["--preview", FIXTURE, "--stack", "prod"], {
            ...env,
            CI_MERGE_REQUEST_IID: undefined,
        });
        assert.equal(r.code, 2);
        assert.match(r.stderr, /missing environment variable: CI_MERGE_REQUEST_IID/);
        assert.match(r.stderr, /merge request pipelines/);
        assert.equal(gitlab.requests.length, 0);
    });
});

async function restartAs(
    old: FakeGitLab,
    header: "private-token" | "job-token",
    token = TOKEN,
): Promise<FakeGitLab> {
    await old.stop();
    return new FakeGitLab(header, token);
}
