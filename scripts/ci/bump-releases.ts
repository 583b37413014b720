// The scheduled monthly bump: adds the month's release id to every distro of the stack files
// (trimmed to `keep`, `promote` untouched: scripts/ci/bump/releaseBump.ts), writes the files, and
// proposes them as one commit on the branch `release-bump/<month>` with its merge request, through
// the GitLab API. Idempotent: a merge request from that branch (open, merged or closed) means the
// month is done, and nothing is created twice.
//
// Usage: ts-node scripts/ci/bump-releases.ts [--month YYYY-MM] [--stack <stack>]... [--dry-run]
//   --month    the month to add (default: the current month, UTC): release id <month>-01
//   --stack    a stack to bump (repeatable; default: every stacks/Pulumi.<stack>.yaml)
//   --dry-run  print the diff; write nothing, call nothing
// Environment: CI_API_V4_URL, CI_PROJECT_ID, CI_DEFAULT_BRANCH (set by GitLab CI) and GITLAB_TOKEN
// (api scope: a job token cannot create commits); never printed. GITLAB_RETRY_DELAY_MS: back-off.
// Exit status: 0 done (or nothing to do), 1 a bad stack file or a failed API call, 2 bad usage.
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { stackFilePath } from "../../config";
import { loadCatalogue } from "../../distros/catalogue";
import { bumpStack, currentMonth, DistroBump, monthRelease, StackBump } from "./bump/releaseBump";
import { unifiedDiff } from "./bump/lineDiff";
import {
    commandRetry,
    envValue,
    gitlabApi,
    readGitLabConnection,
    redact,
    UsageError,
} from "./gitlab/api";
import { mergeRequestsClient, ProposedChange, proposeChange } from "./gitlab/mergeRequests";

const ROOT = path.join(__dirname, "..", "..");

type Env = Readonly<Record<string, string | undefined>>;

interface BumpedFile extends StackBump {
    file: string;
    before: string;
}

/** Runs `f`, its error a UsageError (exit 2, with the usage). */
function usage<T>(f: () => T, prefix = ""): T {
    try {
        return f();
    } catch (e) {
        throw new UsageError(`${prefix}${(e as Error).message}`, true);
    }
}

function parseCommandLine(argv: string[], root: string) {
    const { values } = usage(() =>
        parseArgs({
            args: argv,
            options: {
                month: { type: "string" },
                stack: { type: "string", multiple: true },
                "dry-run": { type: "boolean", default: false },
            },
            strict: true,
        }),
    );
    const stacks =
        values.stack ??
        fs
            .readdirSync(path.join(root, "stacks"))
            .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
            .filter((s): s is string => s !== undefined)
            .sort();
    const release = usage(() => monthRelease(values.month ?? currentMonth()), "--month: ");
    return { release, stacks, dryRun: values["dry-run"] };
}

function describe(b: DistroBump): string {
    if (b.unchanged) return `${b.distro}: unchanged (${b.unchanged})`;
    const removed = b.removed.length > 0 ? `, drops ${b.removed.join(", ")} (beyond keep)` : "";
    return `${b.distro}: + ${b.added}${removed}`;
}

/** The merge request's description: what changed per stack, and what merging does. */
export function description(release: string, files: BumpedFile[]): string {
    const lines = [`Monthly rebuild: release ${release} (made by the scheduled bump).`, ""];
    for (const f of files) {
        lines.push(`**${f.file}**`, "", ...f.distros.map((b) => `- ${describe(b)}`), "");
    }
    lines.push(
        "Each stack's preview note below shows what gets built, tested and retired. Merging runs",
        "`pulumi up`; promotion stays a separate one-line change of `promote`.",
        "Vendor releases take the previous vendor version (so they are skipped): set the new one here.",
    );
    return lines.join("\n");
}

/** Bumps every stack in memory; throws every stack file's problem at once. */
function bumpAll(root: string, stacks: string[], release: string): BumpedFile[] {
    const catalogue = loadCatalogue();
    const problems: string[] = [];
    const files: BumpedFile[] = [];
    for (const stack of stacks) {
        const file = stackFilePath(stack);
        try {
            const before = fs.readFileSync(path.join(root, file), "utf8");
            files.push({ file, before, ...bumpStack(file, before, release, catalogue) });
        } catch (e) {
            const err = e as NodeJS.ErrnoException;
            problems.push(err.code === "ENOENT" ? `${file}: no such stack file` : err.message);
        }
    }
    if (problems.length > 0) {
        throw new Error(`nothing was written or proposed:\n${problems.join("\n")}`);
    }
    return files;
}

export async function main(argv: string[], env: Env, root = ROOT): Promise<number> {
    const log = (line: string) => console.error(`[bump] ${line}`);
    const args = parseCommandLine(argv, root);
    const files = bumpAll(root, args.stacks, args.release);
    for (const f of files) for (const b of f.distros) log(`${f.file}: ${describe(b)}`);
    const changed = files.filter((f) => f.changed);
    if (changed.length === 0) {
        log(`nothing to bump: every distro already has ${args.release} or cannot take it`);
        return 0;
    }
    if (args.dryRun) {
        for (const f of changed) console.log(unifiedDiff(f.file, f.before, f.text));
        return 0;
    }
    const conn = readGitLabConnection(
        env,
        { CI_DEFAULT_BRANCH: "CI_DEFAULT_BRANCH (the branch the merge request targets)" },
        false,
    );
    const secrets = [conn.token];
    for (const f of changed) fs.writeFileSync(path.join(root, f.file), f.text);
    const month = args.release.slice(0, 7);
    const change: ProposedChange = {
        branch: `release-bump/${month}`,
        targetBranch: envValue(env, "CI_DEFAULT_BRANCH") ?? "",
        commitMessage: `Monthly rebuild: release ${args.release}`,
        actions: changed.map((f) => ({ action: "update", file_path: f.file, content: f.text })),
        title: `Monthly rebuild: release ${args.release}`,
        description: description(args.release, changed),
    };
    const client = mergeRequestsClient(gitlabApi(conn), conn.projectId);
    try {
        const outcome = await proposeChange(client, change, commandRetry(env, log, secrets));
        const mr = `!${outcome.mergeRequest.iid} (${outcome.mergeRequest.state}) ${outcome.mergeRequest.web_url}`;
        if (outcome.action === "exists") {
            log(`the merge request of ${month} already exists: ${mr}; nothing created`);
        } else {
            const how = outcome.committed ? "committed" : "already there (an earlier run)";
            log(`branch ${change.branch} ${how}; merge request opened: ${mr}`);
        }
        return 0;
    } catch (e) {
        log(redact((e as Error).message, secrets));
        return 1;
    }
}

if (require.main === module) {
    main(process.argv.slice(2), process.env).then(
        (code) => process.exit(code),
        (e: unknown) => {
            const isUsage = e instanceof UsageError;
            const message = redact((e as Error).message, [process.env.GITLAB_TOKEN]);
            console.error(`bump-releases: ${message}`);
            if (isUsage && e.showUsage) {
                const header = fs.readFileSync(__filename, "utf8").split("\n").slice(0, 13);
                console.error(header.map((l) => l.replace(/^\/\/ ?/, "")).join("\n"));
            }
            process.exit(isUsage ? 2 : 1);
        },
    );
}
