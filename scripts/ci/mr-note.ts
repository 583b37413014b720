/**
 * Posts what a preview does as a note on the GitLab merge request that runs the pipeline, from
 * the engine's own events: `pulumi preview --event-log <file>` (or the Automation API's onEvent).
 *
 *   npm run mr-note -- --events <file> [--stack <name>] [--dry-run]
 *
 * The note starts with a hidden marker naming the stack; a later run for the same stack edits
 * that note instead of adding another. An event log that does not reach the preview's summary
 * (a killed or crashed preview) posts nothing. A preview that failed (a refused promotion, an
 * error) is posted as such, with the errors.
 *
 * Environment (not needed with --dry-run): CI_API_V4_URL, CI_PROJECT_ID, CI_MERGE_REQUEST_IID,
 * and GITLAB_TOKEN (api scope; sent as PRIVATE-TOKEN) or, failing that, CI_JOB_TOKEN. Optional:
 * CI_COMMIT_SHORT_SHA and CI_JOB_URL (shown in the note), GITLAB_RETRY_DELAY_MS.
 */
import { readFile } from "node:fs/promises";
import * as path from "node:path";
import { loadStack, PROJECT, readPreludeConfig, workDirOf } from "../../config";
import { planStack } from "../../model/plan";
import { commandRetry, envValue, gitlabApi, redact, UsageError } from "./gitlab/api";
import { notesClient, readNoteTarget, STACK_NAME, upsertNote } from "./gitlab/notes";
import { noteModel } from "./note/changes";
import { readEventLog, urnName } from "./note/events";
import { packageSections } from "./note/packages";
import { renderNote } from "./note/render";

type Env = Readonly<Record<string, string | undefined>>;

export const USAGE =
    "usage: npm run mr-note -- --events <file> [--stack <name>] [--dry-run]\n" +
    "  --events <file>  the event log of `pulumi preview --event-log <file>`\n" +
    "  --stack <name>   the stack previewed (default: the one the events name)\n" +
    "  --dry-run        print the note and post nothing\n" +
    "environment: CI_API_V4_URL, CI_PROJECT_ID, CI_MERGE_REQUEST_IID and GITLAB_TOKEN\n" +
    "             (or CI_JOB_TOKEN); optional CI_COMMIT_SHORT_SHA, CI_JOB_URL";

export interface CliArgs {
    events: string;
    stack?: string;
    dryRun: boolean;
    help: boolean;
}

export function parseArgs(argv: readonly string[]): CliArgs {
    const args: CliArgs = { events: "", dryRun: false, help: false };
    for (let i = 0; i < argv.length; i++) {
        const [flag, inline] =
            argv[i].startsWith("--") && argv[i].includes("=")
                ? [argv[i].slice(0, argv[i].indexOf("=")), argv[i].slice(argv[i].indexOf("=") + 1)]
                : [argv[i], undefined];
        const value = (): string => {
            const v = inline ?? argv[++i];
            if (v === undefined || (inline === undefined && v.startsWith("--"))) {
                throw new UsageError(`${flag} needs a value`, true);
            }
            return v;
        };
        if (flag === "--events") args.events = value();
        else if (flag === "--stack") args.stack = value();
        else if (flag === "--dry-run") args.dryRun = true;
        else if (flag === "--help" || flag === "-h") args.help = true;
        else throw new UsageError(`unknown argument: ${argv[i]}`, true);
    }
    if (args.help) return args;
    if (!args.events) throw new UsageError("--events is required", true);
    if (args.stack !== undefined && !STACK_NAME.test(args.stack)) {
        throw new UsageError(`invalid --stack value: ${JSON.stringify(args.stack)}`);
    }
    return args;
}

/** The stack named by the events' URNs (`urn:pulumi:<stack>::…`). */
function stackOfEvents(urns: string[]): string | undefined {
    return urns.map((u) => /^urn:pulumi:([^:]+)::/.exec(u)?.[1]).find((s) => s);
}

export interface Io {
    stdout: (text: string) => void;
    stderr: (text: string) => void;
}

const processIo: Io = {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
};

/** Renders the note of an event log (build artefacts found under `root`). */
export async function noteFor(
    eventsFile: string,
    stackArg: string | undefined,
    env: Env,
    root = ".",
): Promise<{ stack: string; note: string }> {
    let text: string;
    try {
        text = await readFile(eventsFile, "utf8");
    } catch (err) {
        throw new UsageError(`cannot read the event log ${eventsFile}: ${(err as Error).message}`);
    }
    const events = readEventLog(text, eventsFile);
    const previewed = stackOfEvents(events.steps.map((s) => s.urn));
    const stack = stackArg ?? previewed;
    if (!stack) throw new UsageError(`${eventsFile}: no resource names the stack; pass --stack`);
    if (previewed !== undefined && previewed !== stack) {
        throw new UsageError(
            `${eventsFile} is a preview of ${previewed}, not of ${stack} (${urnName(events.steps[0].urn)})`,
        );
    }
    if (!Object.keys(events.config).some((k) => k.startsWith(`${PROJECT}:`))) {
        throw new UsageError(
            `${eventsFile}: the events carry no config of ${PROJECT}: not a preview of it`,
        );
    }
    const { catalogue, stack: config } = loadStack(readPreludeConfig(events.config, stack));
    const model = noteModel(events, planStack(config, catalogue));
    const workDir = path.join(root, workDirOf(config));
    const note = renderNote(model, {
        stack,
        commitSha: envValue(env, "CI_COMMIT_SHORT_SHA"),
        jobUrl: envValue(env, "CI_JOB_URL"),
        sections: packageSections(model, workDir, env),
    });
    return { stack, note };
}

/** Runs the command; returns the exit status (0 ok, 1 failure, 2 usage/configuration). */
export async function main(argv: readonly string[], env: Env, io: Io = processIo): Promise<number> {
    const secrets = [env.GITLAB_TOKEN, env.CI_JOB_TOKEN];
    try {
        const args = parseArgs(argv);
        if (args.help) {
            io.stdout(`${USAGE}\n`);
            return 0;
        }
        // Everything that can fail without GitLab fails before the first request.
        const target = args.dryRun ? undefined : readNoteTarget(env);
        const { stack, note } = await noteFor(args.events, args.stack, env);
        if (!target) {
            io.stdout(note);
            return 0;
        }
        const client = notesClient(
            gitlabApi(
                target.connection,
                fetch,
                "check CI_API_V4_URL, CI_PROJECT_ID and CI_MERGE_REQUEST_IID",
            ),
            target,
        );
        const log = (line: string) => io.stderr(`mr-note: ${line}\n`);
        const result = await upsertNote(client, stack, note, commandRetry(env, log, secrets));
        io.stdout(
            `mr-note: ${result.action} note ${result.noteId} on merge request !${target.mrIid} ` +
                `(stack ${stack}, ${note.length} characters)\n`,
        );
        return 0;
    } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        io.stderr(`mr-note: error: ${redact(message, secrets)}\n`);
        if (err instanceof UsageError && err.showUsage) io.stderr(`${USAGE}\n`);
        return err instanceof UsageError ? 2 : 1;
    }
}

if (require.main === module) {
    void main(process.argv.slice(2), process.env).then((status) => {
        process.exitCode = status;
    });
}
