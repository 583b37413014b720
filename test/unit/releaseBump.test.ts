// The monthly release bump: the pure edit of a stack file (keep, comments, promote, idempotence,
// bad files), then the command against a fake GitLab on 127.0.0.1 (branch, commit and merge
// request as the API documents them; no duplicate; 401 and 5xx; the token never printed).
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { main } from "../../scripts/ci/bump-releases";
import { bumpStack, monthRelease } from "../../scripts/ci/bump/releaseBump";
import { loadCatalogue } from "../../distros/catalogue";
import { FakeGitLab, jsonBody, Route } from "./fakeGitLab";

const ROOT = path.join(__dirname, "..", "..");
const catalogue = loadCatalogue();
const stackText = (stack: string) =>
    fs.readFileSync(path.join(ROOT, "stacks", `Pulumi.${stack}.yaml`), "utf8");
const LAB = "stacks/Pulumi.lab.yaml";
const SITE = "stacks/Pulumi.site-example.yaml";

/** The lines of `after` that `before` lacks, and the reverse. */
function changedLines(before: string, after: string) {
    const a = before.split("\n");
    const b = after.split("\n");
    return { removed: a.filter((l) => !b.includes(l)), added: b.filter((l) => !a.includes(l)) };
}

describe("release bump: one stack file", () => {
    it("adds the month's release to each distro and changes nothing else, comments included", () => {
        const before = stackText("lab");
        const bump = bumpStack(LAB, before, monthRelease("2026-12"), catalogue);
        assert.ok(bump.changed);
        assert.deepStrictEqual(changedLines(before, bump.text), {
            removed: [
                '            releases: ["2026-11-01"]',
                '            releases: ["2026-11-01"]',
            ],
            added: [
                '            releases: ["2026-11-01", "2026-12-01"]',
                '            releases: ["2026-11-01", "2026-12-01"]',
                '                "2026-12-01": "12.12" # same as the release before: set the new vendor version, if any',
            ],
        });
    });

    it("trims to keep, keeps promote, and leaves a distro whose production release would go", () => {
        const before = stackText("site-example");
        const bump = bumpStack(SITE, before, "2026-12-01", catalogue);
        const byDistro = Object.fromEntries(bump.distros.map((d) => [d.distro, d]));
        assert.deepStrictEqual(byDistro.cs9, {
            distro: "cs9",
            added: "2026-12-01",
            removed: ["2026-09-01"],
        });
        assert.deepStrictEqual(byDistro.alma9.removed, []);
        assert.match(
            byDistro.rhel9.unchanged ?? "",
            /would retire the production release 2026-10-01 \(keep: 2\)/,
        );
        const { removed, added } = changedLines(before, bump.text);
        assert.ok(
            removed.every((l) => /releases:/.test(l)),
            removed.join("\n"),
        );
        assert.ok(
            added.includes('            releases: ["2026-10-01", "2026-11-01", "2026-12-01"]'),
        );
        assert.ok(!added.some((l) => /promote/.test(l)));
        const promotes = (t: string) => t.split("\n").filter((l) => /promote:/.test(l));
        assert.deepStrictEqual(promotes(bump.text), promotes(before));
    });

    it("is idempotent: a second bump of the same month changes nothing", () => {
        const once = bumpStack(LAB, stackText("lab"), "2026-12-01", catalogue);
        const twice = bumpStack(LAB, once.text, "2026-12-01", catalogue);
        assert.strictEqual(twice.changed, false);
        assert.strictEqual(twice.text, once.text);
        assert.match(twice.distros[0].unchanged ?? "", /already has 2026-12-01/);
    });

    it("refuses a bad stack file naming the file and the field", () => {
        const bad = stackText("lab").replace(
            'releases: ["2026-11-01"]',
            'releases: ["2026-13-01"]',
        );
        assert.throws(
            () => bumpStack(LAB, bad, "2026-12-01", catalogue),
            /stacks\/Pulumi\.lab\.yaml: distros\.debian12\.releases\.0/,
        );
        assert.throws(
            () => bumpStack(LAB, "config: [", "2026-12-01", catalogue),
            /stacks\/Pulumi\.lab\.yaml: not valid YAML/,
        );
        assert.throws(() => monthRelease("2026-13"), /not a month like 2026-12/);
    });
});

/** The fake's repository: branches, commits and merge requests, as GitLab answers them. */
function repository(fake: FakeGitLab) {
    const state = { branches: new Set(["main"]), mrs: [] as Record<string, unknown>[] };
    const project = `/api/v4/projects/${fake.project}`;
    const route: Route = (req, p) => {
        const body = jsonBody(req.body);
        if (req.method === "GET" && p === `${project}/merge_requests`) {
            const q = new URL(req.url, "http://x").searchParams;
            const found = state.mrs.filter((m) => m.source_branch === q.get("source_branch"));
            return { status: 200, data: found };
        }
        if (req.method === "GET" && p.startsWith(`${project}/repository/branches/`)) {
            const name = decodeURIComponent(p.split("/").at(-1) ?? "");
            return state.branches.has(name)
                ? { status: 200, data: { name } }
                : { status: 404, data: { message: "404 Branch Not Found" } };
        }
        if (req.method === "POST" && p === `${project}/repository/commits`) {
            if (state.branches.has(String(body.branch)))
                return { status: 400, data: { message: "A branch called this already exists" } };
            state.branches.add(String(body.branch));
            return { status: 201, data: { id: "c0ffee", short_id: "c0ffee" } };
        }
        if (req.method === "POST" && p === `${project}/merge_requests`) {
            const iid = state.mrs.length + 7;
            const mr = { ...body, iid, state: "opened", web_url: `https://gitlab/mr/${iid}` };
            state.mrs.push(mr);
            return { status: 201, data: mr };
        }
        return undefined;
    };
    fake.routes.push(route);
    return state;
}

describe("release bump: the command against a fake GitLab", function () {
    this.timeout(60_000);
    const TOKEN = "glpat-s3cr3t-value";
    let fake: FakeGitLab;
    let state: ReturnType<typeof repository>;
    let env: Record<string, string>;
    let root: string;
    let logged: string[];
    const realError = console.error;

    beforeEach(async () => {
        fake = new FakeGitLab("42", "1", "private-token", TOKEN);
        state = repository(fake);
        const apiUrl = await fake.start();
        env = {
            CI_API_V4_URL: apiUrl,
            CI_PROJECT_ID: "42",
            CI_DEFAULT_BRANCH: "main",
            GITLAB_TOKEN: TOKEN,
            CI_JOB_TOKEN: "job-token",
            GITLAB_RETRY_DELAY_MS: "1",
        };
        root = fs.mkdtempSync(path.join(os.tmpdir(), "osip-bump-"));
        fs.cpSync(path.join(ROOT, "stacks"), path.join(root, "stacks"), { recursive: true });
        logged = [];
        console.error = (...args: unknown[]) => logged.push(args.join(" "));
    });
    afterEach(async () => {
        console.error = realError;
        await fake.stop();
    });
    const bumpLab = () => main(["--month", "2026-12", "--stack", "lab"], env, root);
    const posts = () => fake.requests.filter((r) => r.method === "POST");

    it("writes the file, commits it on a new branch and opens the merge request", async () => {
        assert.strictEqual(await bumpLab(), 0, logged.join("\n"));
        const written = fs.readFileSync(path.join(root, LAB), "utf8");
        assert.match(written, /releases: \["2026-11-01", "2026-12-01"\]/);
        const [commit, mr] = posts().map((r) => jsonBody(r.body));
        assert.deepStrictEqual(commit, {
            branch: "release-bump/2026-12",
            start_branch: "main",
            commit_message: "Monthly rebuild: release 2026-12-01",
            actions: [{ action: "update", file_path: LAB, content: written }],
        });
        assert.strictEqual(mr.source_branch, "release-bump/2026-12");
        assert.strictEqual(mr.target_branch, "main");
        assert.strictEqual(mr.remove_source_branch, true);
        assert.match(String(mr.description), /debian12: \+ 2026-12-01/);
        assert.ok(fake.requests.every((r) => r.headers["private-token"] === TOKEN));
        assert.match(
            logged.join("\n"),
            /merge request opened: !7 \(opened\) https:\/\/gitlab\/mr\/7/,
        );
    });

    it("says so and creates nothing when the month's merge request exists", async () => {
        state.mrs.push({
            source_branch: "release-bump/2026-12",
            iid: 3,
            state: "merged",
            web_url: "u",
        });
        assert.strictEqual(await bumpLab(), 0);
        assert.deepStrictEqual(posts(), []);
        assert.match(logged.join("\n"), /already exists: !3 \(merged\)/);
    });

    it("opens the merge request of a branch an earlier run left, without a second commit", async () => {
        state.branches.add("release-bump/2026-12");
        assert.strictEqual(await bumpLab(), 0, logged.join("\n"));
        assert.deepStrictEqual(
            posts().map((r) => r.url),
            ["/api/v4/projects/42/merge_requests"],
        );
    });

    it("stops on 401 without retrying, naming GITLAB_TOKEN and never printing it", async () => {
        env.GITLAB_TOKEN = "glpat-wrong-token";
        assert.strictEqual(await bumpLab(), 1);
        assert.strictEqual(fake.requests.length, 1);
        const out = logged.join("\n");
        assert.match(out, /HTTP 401.*check GITLAB_TOKEN/);
        assert.ok(!out.includes("glpat-wrong-token") && !out.includes(TOKEN), out);
    });

    it("retries 5xx a bounded number of times, then fails clearly", async () => {
        fake.failures.push(...Array.from({ length: 4 }, () => ({ method: "GET", status: 502 })));
        assert.strictEqual(await bumpLab(), 1);
        assert.strictEqual(fake.requests.length, 4);
        assert.match(logged.join("\n"), /retry 3 of 3[\s\S]*HTTP 502 Bad Gateway/);
        assert.deepStrictEqual(posts(), []);
    });

    it("retries a 503 on the commit and opens one merge request", async () => {
        fake.failures.push({ method: "POST", status: 503 });
        assert.strictEqual(await bumpLab(), 0, logged.join("\n"));
        assert.strictEqual(state.mrs.length, 1);
    });

    it("writes and proposes nothing when a stack file is bad", async () => {
        const file = path.join(root, LAB);
        const bad = fs.readFileSync(file, "utf8").replace("keep: 3", "keep: 99");
        fs.writeFileSync(file, bad);
        await assert.rejects(bumpLab(), /nothing was written[\s\S]*Pulumi\.lab\.yaml: distros\.debian12\.keep/);
        assert.strictEqual(fs.readFileSync(file, "utf8"), bad);
        assert.deepStrictEqual(fake.requests, []);
    }); // prettier-ignore
});
