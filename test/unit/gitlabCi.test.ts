// .gitlab-ci.yml: GitLab's documented keywords only, stages and scripts that exist, and which jobs
// each kind of pipeline runs (its rules evaluated); then the job scripts run here, with stand-in
// `pulumi` and `npm` where they would reach a cloud or GitLab.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import * as os from "os";
import { summarize } from "../../scripts/ci/up-summary";
import { readEventLog } from "../../scripts/ci/note/events";
import { evaluateRule, runJob } from "./ciJobs";

const ROOT = path.join(__dirname, "..", "..");
const CI = parse(fs.readFileSync(path.join(ROOT, ".gitlab-ci.yml"), "utf8")) as Record<
    string,
    Record<string, unknown>
>;

// https://docs.gitlab.com/ci/yaml/ ("Global keywords", "Header keywords", "Job keywords").
const GLOBAL_KEYWORDS = ["default", "include", "stages", "variables", "workflow", "spec"];
const JOB_KEYWORDS = [
    "after_script", "allow_failure", "artifacts", "before_script", "cache", "coverage",
    "dast_configuration", "dependencies", "environment", "extends", "hooks", "identity",
    "id_tokens", "image", "inherit", "interruptible", "manual_confirmation", "needs", "pages",
    "parallel", "release", "resource_group", "retry", "rules", "run", "script", "secrets",
    "services", "stage", "tags", "timeout", "trigger", "variables", "when",
]; // prettier-ignore
const DEFAULT_KEYWORDS = [
    "after_script", "artifacts", "before_script", "cache", "hooks", "image", "interruptible",
    "retry", "services", "tags", "timeout",
]; // prettier-ignore

const jobs = Object.entries(CI).filter(([k]) => !GLOBAL_KEYWORDS.includes(k) && !k.startsWith("."));

/** The jobs a pipeline with these variables runs (workflow first, then each job's rules). */
function jobsRun(vars: Record<string, string>): string[] {
    const passes = (rules: { if?: string; when?: string }[]) => {
        const rule = rules.find((r) => r.if === undefined || evaluateRule(r.if, vars));
        return rule !== undefined && rule.when !== "never";
    };
    const workflow = (CI.workflow as { rules: { if?: string; when?: string }[] }).rules;
    if (!passes(workflow)) return [];
    return jobs.filter(([, job]) => passes(job.rules as { if?: string }[])).map(([name]) => name);
}

describe(".gitlab-ci.yml", () => {
    it("uses only GitLab's documented global, default and job keywords", () => {
        for (const [key, value] of Object.entries(CI)) {
            if (GLOBAL_KEYWORDS.includes(key)) continue;
            for (const k of Object.keys(value)) {
                assert.ok(JOB_KEYWORDS.includes(k), `${key}.${k} is not a GitLab job keyword`);
            }
        }
        for (const k of Object.keys(CI.default)) {
            assert.ok(DEFAULT_KEYWORDS.includes(k), `default.${k} is not a default keyword`);
        }
    });

    it("puts every job in a declared stage, and extends templates that exist", () => {
        const stages = CI.stages as unknown as string[];
        for (const [name, job] of jobs) {
            assert.ok(stages.includes(job.stage as string), `${name}: stage ${String(job.stage)}`);
            if (job.extends) assert.ok(CI[job.extends as string], `${name}: extends`);
        }
        assert.deepStrictEqual(
            stages.filter((s) => !jobs.some(([, j]) => j.stage === s)),
            [],
            "stages without a job",
        );
    });

    it("runs scripts of this repository that exist, and lists stacks that exist", () => {
        for (const [name, job] of jobs) {
            const lines = job.script as string[];
            assert.ok(lines.length > 0, `${name}: no script`);
            for (const line of lines) {
                for (const file of line.match(/scripts\/[\w./-]+/g) ?? []) {
                    assert.ok(fs.existsSync(path.join(ROOT, file)), `${name}: ${file} missing`);
                }
            }
        }
        const matrix = (CI[".stacks"].parallel as { matrix: { STACK: string[] }[] }).matrix;
        for (const stack of matrix.flatMap((m) => m.STACK)) {
            assert.ok(fs.existsSync(path.join(ROOT, "stacks", `Pulumi.${stack}.yaml`)), stack);
        }
    });

    const backend = { PULUMI_BACKEND_URL: "s3://state" };
    const branch = (name: string) => ({ CI_COMMIT_BRANCH: name, CI_DEFAULT_BRANCH: "main" });
    const cases: [string, Record<string, string>, string[]][] = [
        ["a merge request", { CI_PIPELINE_SOURCE: "merge_request_event", ...backend }, ["validate", "preview"]],
        ["a merge request, no backend set", { CI_PIPELINE_SOURCE: "merge_request_event" }, ["validate"]],
        ["a push to the default branch", { CI_PIPELINE_SOURCE: "push", ...branch("main"), ...backend }, ["validate", "up"]],
        ["a push to another branch", { CI_PIPELINE_SOURCE: "push", ...branch("topic"), ...backend }, ["validate"]],
        ["a push to a branch with an open MR", { CI_PIPELINE_SOURCE: "push", CI_OPEN_MERGE_REQUESTS: "g/p!1", ...branch("topic"), ...backend }, []],
        ["the schedule", { CI_PIPELINE_SOURCE: "schedule", ...branch("main"), ...backend }, ["bump-releases"]],
        ["a trigger token", { CI_PIPELINE_SOURCE: "trigger", ...branch("main"), ...backend }, ["test-image"]],
        ["the pipelines API", { CI_PIPELINE_SOURCE: "api", ...branch("main") }, ["test-image"]],
        ["another project's pipeline", { CI_PIPELINE_SOURCE: "pipeline", ...branch("main") }, ["test-image"]],
    ]; // prettier-ignore
    for (const [what, vars, expected] of cases) {
        it(`runs ${expected.join(", ") || "nothing"} for ${what}`, () => {
            assert.deepStrictEqual(jobsRun(vars), expected);
        });
    }

    it("updates each stack of the matrix in its own resource group, never interrupted", () => {
        assert.strictEqual(CI.up.extends, ".stacks");
        assert.strictEqual(CI.up.resource_group, "pulumi-$STACK");
        assert.strictEqual(CI.up.interruptible, false);
        assert.deepStrictEqual((CI["test-image"].artifacts as { reports: unknown }).reports, {
            junit: "test-image-results/*.junit.xml",
        });
    });
});

const STAND_IN_NPM = "if [[ $1 == ls ]]; then exit 0; fi";
const PULUMI_ENV = {
    STACK: "lab",
    PULUMI_BACKEND_URL: "file:///nonexistent",
    PULUMI_CONFIG_PASSPHRASE: "lab",
};

// The event log of a lab `up` in which debian12cloud's UEFI image failed its tests: the prelude
// and steps of a real lab preview (test/fixtures/events/), then the failure as the engine reports
// it (messages carry the engine's colour directives).
const EVIDENCE_URN =
    "urn:pulumi:lab::os-image-pipeline::osimages:pipeline:DistroPipeline$osimages:test:ImageTest$command:local:Command::debian12cloud-x86_64-uefi-2026-11-01-evidence";
const UP_EVENTS = [
    ...fs
        .readFileSync(path.join(ROOT, "test", "fixtures", "events", "lab-promote.jsonl"), "utf8")
        .split("\n")
        .filter((line) => line.includes('"resourcePreEvent"') || line.includes('"preludeEvent"')),
    JSON.stringify({ sequence: 1e6, timestamp: 2, diagnosticEvent: { urn: EVIDENCE_URN, message: "<{%fg 1%}>tests failed: unmanaged-virtual: site/dns<{%reset%}>\n", color: "raw", severity: "error" } }),
    JSON.stringify({ sequence: 1e6 + 1, timestamp: 3, resOpFailedEvent: { metadata: { urn: EVIDENCE_URN, op: "create", type: "command:local:Command" }, status: 1, steps: 1 } }),
    JSON.stringify({ sequence: 1e6 + 2, timestamp: 4, diagnosticEvent: { urn: "urn:pulumi:lab::os-image-pipeline::command:local:Command::debian12-x86_64-2026-11-01-build", message: "building\n", color: "raw", severity: "info" } }),
].join("\n"); // prettier-ignore

describe("the CI job scripts, run here", function () {
    this.timeout(300_000);

    it("validate: refuses an unknown step, and checks the stack files through the planner", () => {
        const bad = runJob("validate.sh", {}, { npm: STAND_IN_NPM }, ["typecheck", "nosuch"]);
        assert.strictEqual(bad.status, 2, bad.stderr);
        assert.match(bad.stderr, /unknown step nosuch/);
        const ok = runJob("validate.sh", { STACKS: "lab" }, { npm: STAND_IN_NPM }, ["stacks"]);
        assert.strictEqual(ok.status, 0, ok.stderr);
        assert.match(ok.stdout, /debian12 x86_64 \(local build\)/);
    });

    it("preview: the preview's event log goes to the note, and the job keeps the preview's status", () => {
        const r = runJob("preview.sh", PULUMI_ENV, {
            pulumi: [
                "if [[ $1 == preview ]]; then",
                `  echo '{"sequence":1,"diagnosticEvent":{"message":"GET /v2/images","severity":"debug"}}' >"\${@: -1}"`,
                `  echo '{"sequence":2,"summaryEvent":{}}' >>"\${@: -1}"; exit 3`,
                "fi",
            ].join("\n"),
            npm: STAND_IN_NPM,
        });
        assert.strictEqual(r.status, 3, r.stderr);
        const events = path.join(r.out, "preview-events.jsonl");
        // The artefact keeps no provider debug output.
        assert.strictEqual(fs.readFileSync(events, "utf8"), '{"sequence":2,"summaryEvent":{}}\n');
        assert.deepStrictEqual(r.calls.slice(-3), [
            "pulumi stack select lab --create --non-interactive",
            `pulumi preview --stack lab --diff --non-interactive --event-log ${events}`,
            `npm run --silent mr-note -- --events ${events} --stack lab`,
        ]);
        const missing = runJob("preview.sh", { STACK: "lab" }, { npm: STAND_IN_NPM });
        assert.strictEqual(missing.status, 2);
        assert.match(
            missing.stderr,
            /missing variables: PULUMI_BACKEND_URL PULUMI_CONFIG_PASSPHRASE/,
        );
    });

    it("up: --continue-on-error, then which distros failed, from the event log", () => {
        // The recorded log reaches the stand-in pulumi through the environment.
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "osip-up-events-"));
        const UP_EVENTS_FILE = path.join(dir, "up-events.jsonl");
        fs.writeFileSync(UP_EVENTS_FILE, UP_EVENTS);
        const run = runJob("up.sh", { ...PULUMI_ENV, UP_EVENTS_FILE }, {
            pulumi: [
                'if [[ $1 == up ]]; then cp "$UP_EVENTS_FILE" "${@: -1}"; exit 255; fi',
                'if [[ $1 == stack && $2 == output ]]; then echo \'{"report":{}}\'; fi',
            ].join("\n"),
            npm: STAND_IN_NPM,
        });
        assert.strictEqual(run.status, 1, run.stderr);
        assert.ok(
            run.calls.some((c) => /^pulumi up --yes --refresh --continue-on-error --stack lab /.test(c)),
            run.calls.join("\n"),
        );
        assert.match(run.stdout, /debian12cloud-x86_64: FAILED\n\s+debian12cloud-x86_64-uefi-2026-11-01-evidence\n\s+tests failed: unmanaged-virtual: site\/dns\n/);
        assert.match(run.stdout, /debian12-x86_64: ok/);
        const summary = JSON.parse(fs.readFileSync(path.join(run.out, "up-summary.json"), "utf8"));
        assert.deepStrictEqual(Object.keys(summary.failed), ["debian12cloud-x86_64"]);
        assert.deepStrictEqual(summary.succeeded, ["debian12-x86_64"]);
        assert.deepStrictEqual(summary.stackErrors, []);
        fs.rmSync(dir, { recursive: true, force: true });
        assert.strictEqual(fs.readFileSync(path.join(run.out, "stack-outputs.json"), "utf8").trim(), '{"report":{}}');
    }); // prettier-ignore

    it("up's summary: a config that does not load gives no distro a failure, and says why", () => {
        const broken = UP_EVENTS.replace(/"os-image-pipeline:distros":"[^]*?(?<!\\)",/, '"os-image-pipeline:distros":"{\\"debian99\\":{}}",');
        assert.notStrictEqual(broken, UP_EVENTS);
        const summary = summarize("lab", 255, readEventLog(broken, "up-events.jsonl", true));
        assert.deepStrictEqual(summary.failed, {});
        assert.deepStrictEqual(summary.succeeded, []);
        // The evidence gate's error is the update's, and the reason none was attributed follows it.
        assert.strictEqual(summary.stackErrors.length, 2, summary.stackErrors.join("\n"));
        assert.match(summary.stackErrors[0], /tests failed: unmanaged-virtual: site\/dns/);
        assert.match(summary.stackErrors[1], /^the update's config did not load, no failure is given to a distro: .*debian99/);
    }); // prettier-ignore

    it("test-image: refuses no image, runs npm run test-image, keeps the JUnit as artefacts", () => {
        const none = runJob("test-image.sh", { OSIP_LAB_READY: "1" }, { npm: STAND_IN_NPM });
        assert.strictEqual(none.status, 2);
        assert.match(none.stderr, /exactly one of IMAGE_ID .* and IMAGE_URL/);
        const work = fs.mkdtempSync(path.join(os.tmpdir(), "osip-work-"));
        const r = runJob(
            "test-image.sh",
            {
                OSIP_LAB_READY: "1",
                IMAGE_ID: "0f3c-image",
                USE_CASES: "unmanaged-virtual managed-virtual",
                AGENT_ENVIRONMENT: "candidate",
                TEST_IMAGE_WORK_DIR: work,
            },
            {
                npm: [
                    STAND_IN_NPM,
                    `mkdir -p ${work}/results/adhoc-1 && echo '<testsuites/>' >${work}/results/adhoc-1/managed-virtual.junit.xml`,
                    "exit 1",
                ].join("\n"),
            },
        );
        assert.strictEqual(r.status, 1, r.stderr);
        assert.strictEqual(
            r.calls.at(-1),
            "npm run --silent test-image -- --stack lab --arch x86_64 --firmware bios --user debian " +
                "--use-case unmanaged-virtual --use-case managed-virtual --agent-environment candidate --image 0f3c-image",
        );
        assert.ok(fs.existsSync(path.join(r.out, "test-image-results", "managed-virtual.junit.xml")));
    }); // prettier-ignore

    it("bump-releases --dry-run: prints the diff of every stack file and writes nothing", () => {
        const before = fs.readFileSync(path.join(ROOT, "stacks", "Pulumi.lab.yaml"), "utf8");
        const r = runJob("bump.sh", { BUMP_MONTH: "2027-01" }, { npm: STAND_IN_NPM }, ["--dry-run"]);
        assert.strictEqual(r.status, 0, r.stderr);
        assert.match(r.stdout, /\+\+\+ b\/stacks\/Pulumi\.lab\.yaml/);
        assert.match(r.stdout, /\+ {12}releases: \["2026-11-01", "2027-01-01"\]/);
        assert.strictEqual(fs.readFileSync(path.join(ROOT, "stacks", "Pulumi.lab.yaml"), "utf8"), before);
    }); // prettier-ignore
});
