/**
 * Posts the output of `pulumi preview --diff` as a note on the GitLab merge request that runs the
 * pipeline, so reviewers see which images get built, uploaded, renamed or change visibility.
 *
 *   npx ts-node scripts/ci/mr-note.ts --preview <file|-> [--stack <name>] [--dry-run]
 *
 * The note carries a hidden marker naming the stack; a later run for the same stack edits that
 * note instead of adding another one.
 *
 * Environment (not needed with --dry-run):
 *   CI_API_V4_URL, CI_PROJECT_ID, CI_MERGE_REQUEST_IID   set by GitLab in merge request pipelines
 *   GITLAB_TOKEN                  token with the `api` scope, sent as PRIVATE-TOKEN
 *   CI_JOB_TOKEN                  used (as JOB-TOKEN) only when GITLAB_TOKEN is unset
 * Optional: CI_COMMIT_SHORT_SHA and CI_JOB_URL (shown in the note), MR_NOTE_RETRY_DELAY_MS (base
 * back-off delay, default 1000).
 */
import { readFile } from "node:fs/promises";

/** GitLab rejects note bodies longer than this many characters. */
export const GITLAB_NOTE_LIMIT = 1_000_000;
/** Default size the rendered note is kept under, leaving some headroom below the hard limit. */
export const DEFAULT_NOTE_BUDGET = GITLAB_NOTE_LIMIT - 1_000;
const DEFAULT_TABLE_ROWS = 50;

export const USAGE =
    "usage: ts-node scripts/ci/mr-note.ts --preview <file|-> [--stack <name>] [--dry-run]\n" +
    "  --preview <file>  output of `pulumi preview --diff` ('-' reads standard input)\n" +
    "  --stack <name>    stack name for the note header and marker (default: taken from the\n" +
    "                    'Previewing update (<stack>)' line of the preview)\n" +
    "  --dry-run         print the note to stdout and post nothing\n" +
    "environment: CI_API_V4_URL, CI_PROJECT_ID, CI_MERGE_REQUEST_IID and GITLAB_TOKEN\n" +
    "             (or CI_JOB_TOKEN); optional CI_COMMIT_SHORT_SHA, CI_JOB_URL,\n" +
    "             MR_NOTE_RETRY_DELAY_MS";

// ---------------------------------------------------------------------------------------------
// Parsing the preview
// ---------------------------------------------------------------------------------------------

export type Operation =
    | "create"
    | "update"
    | "delete"
    | "replace"
    | "create-replacement"
    | "delete-replaced"
    | "read"
    | "import"
    | "refresh"
    | "discard";

/** Operation implied by each step prefix Pulumi prints in front of a resource. */
const SYMBOL_OPS: Record<string, Operation> = {
    "+": "create",
    "-": "delete",
    "~": "update",
    "+-": "replace",
    "-+": "replace",
    "++": "create-replacement",
    "--": "delete-replaced",
    ">": "read",
    "=": "import",
};

const OPERATIONS: ReadonlySet<string> = new Set<Operation>([
    "create",
    "update",
    "delete",
    "replace",
    "create-replacement",
    "delete-replaced",
    "read",
    "import",
    "refresh",
    "discard",
]);

const PAST_TENSE: Record<string, Operation> = {
    created: "create",
    updated: "update",
    deleted: "delete",
    replaced: "replace",
    imported: "import",
    refreshed: "refresh",
    discarded: "discard",
};

/** What `~ name: "a" => "b"` says about one top-level property of a changed resource. */
export interface PropertyChange {
    kind: "+" | "-" | "~";
    key: string;
    /** Old value as printed by Pulumi (for `~ key: old => new` on one line). */
    from?: string;
    /** New value as printed by Pulumi. */
    to?: string;
}

export interface ResourceChange {
    op: Operation;
    /** The symbol Pulumi printed, e.g. `+`, `~`, `+-`. */
    symbol: string;
    type: string;
    name: string;
    urn?: string;
    properties: PropertyChange[];
}

export interface ResourceSummary {
    /** Counts by operation, e.g. `{ create: 3, update: 1 }`. */
    counts: Partial<Record<Operation, number>>;
    unchanged: number;
    changes: number;
}

export interface ParsedPreview {
    /** Stack named in the `Previewing update (<stack>)` line, if any. */
    stack?: string;
    /** From the `Resources:` block; undefined when the preview has none (e.g. it failed). */
    summary?: ResourceSummary;
    resources: ResourceChange[];
    diagnostics: { errors: number; warnings: number };
    /** The preview text without colour codes. */
    text: string;
}

/* eslint-disable no-control-regex -- matching terminal escape sequences is the point here */
const ANSI_PATTERNS: readonly RegExp[] = [
    /\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g, // OSC, e.g. hyperlinks
    /\x1b\[[0-?]*[ -/]*[@-~]/g, // CSI, e.g. colours and cursor movement
    /\x9b[0-?]*[ -/]*[@-~]/g, // 8-bit CSI
    /\x1b[@-Z\\-_]/g, // other two-character escapes
];
/* eslint-enable no-control-regex */

/** Removes ANSI colour/cursor codes and resolves carriage-return overwrites to the final text. */
export function stripAnsi(text: string): string {
    let out = text;
    for (const pattern of ANSI_PATTERNS) out = out.replace(pattern, "");
    return out
        .replace(/\r\n/g, "\n")
        .split("\n")
        .map((line) => (line.includes("\r") ? line.slice(line.lastIndexOf("\r") + 1) : line))
        .join("\n");
}

const MARKER = String.raw`\+-|-\+|\+\+|--|[+~\-><=]`;
const TYPE = String.raw`[A-Za-z_][\w.-]*:[\w./-]*:[A-Za-z_][\w.$-]*`;
/** `--diff` form: `    +-openstack:images/image:Image: (replace)`; the name follows in `[urn=…]`. */
const DIFF_HEADER = new RegExp(String.raw`^(\s*)(${MARKER})\s*(${TYPE}): \(([\w-]+)\)\s*$`);
/** Table/plain form: ` +   ├─ command:local:Command  cs9-build  create  [diff: ~triggers]`. */
const ROW = new RegExp(
    String.raw`^(\s*)(${MARKER})[\s│├└─]*(${TYPE})\s+(\S+)(?:\s+([a-z][\w-]*))?`,
);
/** A resource printed without a step marker, e.g. `  pulumi:pulumi:Stack: (same)`. */
const UNCHANGED_HEADER = new RegExp(String.raw`^\s*(${TYPE}): \(([\w-]+)\)\s*$`);
const URN_LINE = /^\s*\[urn=(urn:pulumi:[^\]]+)\]\s*$/;
const PROPERTY_LINE = /^(\s*)([~+-])\s+("(?:[^"\\]|\\.)*"|[^\s:"[\]]+)\s*:(?:\s(.*))?$/;
const PREVIEW_HEADER = /^\s*Previewing (?:update|destroy|refresh|import)?\s*\(([^)\s]+)\):?\s*$/;

function nameFromUrn(urn: string): string {
    // urn:pulumi:<stack>::<project>::<qualified type>::<name>
    const parts = urn.split("::");
    return parts.length >= 4 ? parts.slice(3).join("::") : urn;
}

function opFrom(word: string | undefined, symbol: string): Operation {
    if (word !== undefined && OPERATIONS.has(word)) return word as Operation;
    return SYMBOL_OPS[symbol] ?? "update";
}

function splitValue(value: string): { from?: string; to?: string } {
    const arrow = value.indexOf(" => ");
    if (arrow < 0) return {};
    return { from: value.slice(0, arrow).trim(), to: value.slice(arrow + 4).trim() };
}

function parseSummaryBlock(lines: string[], start: number): ResourceSummary {
    const counts: Partial<Record<Operation, number>> = {};
    let unchanged = 0;
    let changes: number | undefined;
    const countLine = new RegExp(
        String.raw`^\s*(?:${MARKER})?\s*(\d+)\s+(?:to\s+)?([a-z][\w-]*)\s*$`,
    );
    for (let i = start; i < lines.length; i++) {
        const line = lines[i];
        if (line.trim() === "") {
            if (Object.keys(counts).length > 0 || unchanged > 0 || changes !== undefined) break;
            continue;
        }
        if (!/^\s/.test(line)) break;
        const m = countLine.exec(line);
        if (m && m[2] !== "unchanged" && !m[2].startsWith("change")) {
            const op = OPERATIONS.has(m[2]) ? (m[2] as Operation) : PAST_TENSE[m[2]];
            if (op !== undefined) counts[op] = (counts[op] ?? 0) + Number(m[1]);
            continue;
        }
        const changed = /(\d+)\s+changes?\b/.exec(line);
        if (changed) changes = Number(changed[1]);
        const same = /(\d+)\s+unchanged\b/.exec(line);
        if (same) unchanged = Number(same[1]);
    }
    const total = Object.values(counts).reduce((a, b) => a + (b ?? 0), 0);
    return { counts, unchanged, changes: changes ?? total };
}

/**
 * Parses `pulumi preview --diff` output (plain or coloured). Also accepts the table printed without
 * `--diff` and one-line `+ <type> <name> [<op>]` rows.
 */
export function parsePreview(raw: string): ParsedPreview {
    const text = stripAnsi(raw);
    const lines = text.split("\n");
    const resources: ResourceChange[] = [];
    const diagnostics = { errors: 0, warnings: 0 };
    let stack: string | undefined;
    let summary: ResourceSummary | undefined;
    /** Resource whose `--diff` block we are in, and the column of its step marker. */
    let current: { res: ResourceChange; col: number; awaitingUrn: boolean } | undefined;

    for (let i = 0; i < lines.length; i++) {
        const line = lines[i];
        const trimmed = line.trim();
        if (stack === undefined) {
            const h = PREVIEW_HEADER.exec(line);
            if (h) {
                stack = h[1];
                continue;
            }
        }
        if (/^Resources:\s*$/.test(trimmed) && !/^\s/.test(line)) {
            summary = parseSummaryBlock(lines, i + 1);
            current = undefined;
            continue;
        }
        if (/^error:/.test(trimmed)) diagnostics.errors++;
        else if (/^warning:/.test(trimmed)) diagnostics.warnings++;

        const header = DIFF_HEADER.exec(line);
        if (header) {
            const symbol = header[2];
            const res: ResourceChange = {
                op: opFrom(header[4], symbol),
                symbol,
                type: header[3],
                name: "",
                properties: [],
            };
            resources.push(res);
            current = { res, col: header[1].length, awaitingUrn: true };
            continue;
        }
        if (current?.awaitingUrn) {
            const urn = URN_LINE.exec(line);
            if (urn) {
                current.res.urn = urn[1];
                current.res.name = nameFromUrn(urn[1]);
                current.awaitingUrn = false;
                continue;
            }
        }
        if (trimmed === "--outputs:--" || UNCHANGED_HEADER.test(line)) {
            current = undefined;
            continue;
        }
        if (current) {
            const prop = PROPERTY_LINE.exec(line);
            if (prop && prop[1].length === current.col + 2) {
                const kind = prop[2] as PropertyChange["kind"];
                const change: PropertyChange = { kind, key: prop[3] };
                if (kind === "~") Object.assign(change, splitValue(prop[4] ?? ""));
                current.res.properties.push(change);
                continue;
            }
            if (line.length - line.trimStart().length > current.col || trimmed === "") continue;
            current = undefined;
        }
        const row = ROW.exec(line);
        if (row) {
            const symbol = row[2];
            resources.push({
                op: opFrom(row[5], symbol),
                symbol,
                type: row[3],
                name: row[4],
                properties: [],
            });
            current = undefined;
        }
    }
    for (const res of resources) if (res.name === "") res.name = "(unknown)";
    return { stack, summary, resources, diagnostics, text };
}

// ---------------------------------------------------------------------------------------------
// Rendering the note
// ---------------------------------------------------------------------------------------------

export interface NoteContext {
    stack: string;
    commitSha?: string;
    jobUrl?: string;
}

export interface RenderOptions {
    /** The note is kept at or under this many characters (default: DEFAULT_NOTE_BUDGET). */
    maxLength?: number;
    /** Rows of the change table before the rest is summarised (default 50). */
    maxTableRows?: number;
}

export const STACK_NAME = /^[A-Za-z0-9_.\-/]+$/;

/** Hidden first line that identifies the note this script owns for a stack. */
export function noteMarker(stack: string): string {
    if (!STACK_NAME.test(stack)) throw new Error(`invalid stack name: ${JSON.stringify(stack)}`);
    return `<!-- os-image-pipeline preview: ${stack} -->`;
}

/** Inline code span that survives backticks and, in tables, pipes. */
function code(value: string, inTable = false): string {
    const runs = value.match(/`+/g) ?? [];
    const fence = "`".repeat(Math.max(0, ...runs.map((r) => r.length)) + 1);
    const pad = value.startsWith("`") || value.endsWith("`") ? " " : "";
    const body = inTable ? value.replace(/\|/g, "\\|") : value;
    return `${fence}${pad}${body}${pad}${fence}`;
}

function fenceFor(text: string): string {
    const runs = text.match(/`{3,}/g) ?? [];
    return "`".repeat(Math.max(3, ...runs.map((r) => r.length + 1)));
}

/**
 * Moves each line's leading step marker (`+`, `-`, `~`, `+-` …) to column 0 so that GitLab's `diff`
 * highlighting colours it, keeping the text after it at the same column.
 */
export function hoistDiffMarkers(text: string): string {
    return text
        .split("\n")
        .map((line) => {
            if (line.trim() === "--outputs:--") return line;
            const m = /^( +)(\+-|-\+|\+\+|--|[+~-])(?=[ A-Za-z0-9"[])(.*)$/.exec(line);
            return m ? `${m[2]}${m[1]}${m[3]}` : line;
        })
        .join("\n");
}

const OP_LABEL: Record<Operation, string> = {
    create: "+ create",
    update: "~ update",
    delete: "- delete",
    replace: "+- replace",
    "create-replacement": "++ create replacement",
    "delete-replaced": "-- delete original",
    read: "> read",
    import: "= import",
    refresh: "~ refresh",
    discard: "< discard",
};

function summaryLine(summary: ResourceSummary | undefined): string {
    if (summary === undefined) {
        return "**Resources:** no `Resources:` summary found in the preview output (did the preview fail?)";
    }
    const main: Operation[] = ["create", "update", "delete", "replace"];
    const parts = main.map((op) => `${summary.counts[op] ?? 0} to ${op}`);
    for (const [op, n] of Object.entries(summary.counts)) {
        if (!main.includes(op as Operation) && n) parts.push(`${n} to ${op}`);
    }
    parts.push(`${summary.unchanged} unchanged`);
    return `**Resources:** ${parts.join(" · ")}`;
}

/** Drops `++`/`--` steps of resources that also have a `+-` replace row. */
function tableRows(resources: ResourceChange[]): ResourceChange[] {
    const key = (r: ResourceChange) => `${r.type}\u0000${r.urn ?? r.name}`;
    const replaced = new Set(resources.filter((r) => r.op === "replace").map(key));
    return resources.filter(
        (r) =>
            !(
                (r.op === "create-replacement" || r.op === "delete-replaced") &&
                replaced.has(key(r))
            ),
    );
}

function changedKeys(res: ResourceChange): string {
    if (res.op !== "update" && res.op !== "replace") return "";
    return res.properties.map((p) => code(`${p.kind}${p.key}`, true)).join(" ");
}

/** Properties that decide what users see in Glance: renames and visibility flips. */
const HIGHLIGHT_KEYS = new Set(["name", "visibility", "hidden"]);

function highlights(resources: ResourceChange[]): string[] {
    const out: string[] = [];
    for (const res of resources) {
        for (const p of res.properties) {
            if (p.kind !== "~" || !HIGHLIGHT_KEYS.has(p.key) || p.from === undefined) continue;
            out.push(`- ${code(res.name)}: ${p.key} ${code(p.from)} → ${code(p.to ?? "")}`);
        }
    }
    return out;
}

function truncationNotice(shownLines: number, totalLines: number): string {
    return (
        `> **Note:** the preview output below is truncated to its first ${shownLines} of ` +
        `${totalLines} lines to keep this note under GitLab's ` +
        `${GITLAB_NOTE_LIMIT.toLocaleString("en-US")}-character limit; ` +
        "the CI job log has the full output."
    );
}

/** Renders the Markdown note for a parsed preview; the result is at most `maxLength` characters. */
export function renderNote(
    preview: ParsedPreview,
    context: NoteContext,
    options: RenderOptions = {},
): string {
    const maxLength = options.maxLength ?? DEFAULT_NOTE_BUDGET;
    const maxRows = options.maxTableRows ?? DEFAULT_TABLE_ROWS;
    const head: string[] = [
        noteMarker(context.stack),
        `### Pulumi preview: ${code(context.stack)}`,
        "",
    ];
    head.push(summaryLine(preview.summary), "");

    const meta: string[] = [];
    if (context.commitSha) meta.push(`commit ${code(context.commitSha)}`);
    if (context.jobUrl) meta.push(`[CI job](${context.jobUrl})`);
    if (meta.length > 0) head.push(`<sub>Preview of ${meta.join(" · ")}</sub>`, "");

    const { errors, warnings } = preview.diagnostics;
    if (errors > 0) {
        head.push(
            `> **Warning:** the preview reported ${errors} error(s); see the output below.`,
            "",
        );
    } else if (warnings > 0) {
        head.push(`The preview reported ${warnings} warning(s).`, "");
    }

    const rows = tableRows(preview.resources);
    if (rows.length === 0) {
        head.push("No resource changes.", "");
    } else {
        head.push("| Operation | Type | Name | Changed properties |", "| --- | --- | --- | --- |");
        for (const r of rows.slice(0, maxRows)) {
            head.push(
                `| ${code(OP_LABEL[r.op], true)} | ${code(r.type, true)} | ${code(r.name, true)} | ${changedKeys(r)} |`,
            );
        }
        if (rows.length > maxRows) {
            head.push(
                "",
                `…and ${rows.length - maxRows} more change(s); see the full output below.`,
            );
        }
        head.push("");
    }

    const renames = highlights(rows);
    if (renames.length > 0) head.push("**Renames and visibility changes**", "", ...renames, "");

    const diff = hoistDiffMarkers(preview.text.replace(/\s+$/, ""));
    const fence = fenceFor(diff);
    const allLines = diff === "" ? [] : diff.split("\n");
    const build = (body: string, label: string, notice: string): string =>
        [
            ...head,
            ...(notice ? [notice, ""] : []),
            "<details>",
            `<summary>Full <code>pulumi preview --diff</code> output (${label})</summary>`,
            "",
            `${fence}diff`,
            body,
            fence,
            "",
            "</details>",
            "",
        ].join("\n");

    const full = build(diff, `${allLines.length} lines`, "");
    if (full.length <= maxLength) return full;

    // Too long: keep as many leading lines as fit, leaving room for the notice and label (whose
    // numbers can only be shorter than the worst case measured here).
    const total = allLines.length;
    const worst = build("", `first ${total} of ${total} lines`, truncationNotice(total, total));
    let budget = maxLength - worst.length;
    if (budget >= 0) {
        const kept: string[] = [];
        for (const line of allLines) {
            const cost = line.length + (kept.length > 0 ? 1 : 0);
            if (cost > budget) {
                // Cut an overlong line rather than stopping before it, without leaving half of
                // a surrogate pair behind.
                const room = budget - (kept.length > 0 ? 1 : 0) - 1;
                if (room > 0) kept.push(`${line.slice(0, room).replace(/[\uD800-\uDBFF]$/, "")}…`);
                break;
            }
            budget -= cost;
            kept.push(line);
        }
        const shown = kept.length;
        return build(
            kept.join("\n"),
            `first ${shown} of ${total} lines`,
            truncationNotice(shown, total),
        );
    }
    // Not even the change table fits: keep the summary and point at the job log.
    const minimal = [
        ...head.slice(0, 5),
        "The change table and preview output are too large for a merge request note; " +
            "the CI job log has the full output.",
        "",
    ].join("\n");
    return minimal.slice(0, maxLength);
}

// ---------------------------------------------------------------------------------------------
// Finding our note
// ---------------------------------------------------------------------------------------------

export interface GitLabNote {
    id: number;
    body: string;
    system?: boolean;
}

function isNote(value: unknown): value is GitLabNote {
    if (typeof value !== "object" || value === null) return false;
    const v = value as Record<string, unknown>;
    return typeof v.id === "number" && typeof v.body === "string";
}

/**
 * The most recent non-system note whose body starts with this stack's marker (a reply quoting it
 * starts with `>` and does not count).
 */
export function findOwnNote(notes: readonly unknown[], stack: string): GitLabNote | undefined {
    const marker = noteMarker(stack);
    let found: GitLabNote | undefined;
    for (const n of notes) {
        if (!isNote(n) || n.system === true) continue;
        if (!n.body.trimStart().startsWith(marker)) continue;
        if (found === undefined || n.id > found.id) found = n;
    }
    return found;
}

// ---------------------------------------------------------------------------------------------
// Configuration, secrets, retries
// ---------------------------------------------------------------------------------------------

/** A problem with the command line or environment (exit status 2). */
export class UsageError extends Error {
    constructor(
        message: string,
        readonly showUsage = false,
    ) {
        super(message);
    }
}

export interface CliArgs {
    preview: string;
    stack?: string;
    dryRun: boolean;
    help: boolean;
}

export function parseArgs(argv: readonly string[]): CliArgs {
    const args: Partial<CliArgs> = { dryRun: false, help: false };
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        const [flag, inline] = arg.startsWith("--") && arg.includes("=") ? splitOnce(arg) : [arg];
        const value = (): string => {
            const v = inline ?? argv[++i];
            if (v === undefined || (inline === undefined && v.startsWith("--"))) {
                throw new UsageError(`${flag} needs a value`, true);
            }
            return v;
        };
        switch (flag) {
            case "--preview":
                args.preview = value();
                break;
            case "--stack":
                args.stack = value();
                break;
            case "--dry-run":
                args.dryRun = true;
                break;
            case "-h":
            case "--help":
                args.help = true;
                break;
            default:
                throw new UsageError(`unknown argument: ${arg}`, true);
        }
    }
    if (args.help) {
        return {
            preview: args.preview ?? "",
            stack: args.stack,
            dryRun: !!args.dryRun,
            help: true,
        };
    }
    if (args.preview === undefined || args.preview === "") {
        throw new UsageError("--preview is required", true);
    }
    if (args.stack !== undefined && !STACK_NAME.test(args.stack)) {
        throw new UsageError(`invalid --stack value: ${JSON.stringify(args.stack)}`);
    }
    return { preview: args.preview, stack: args.stack, dryRun: !!args.dryRun, help: false };
}

function splitOnce(arg: string): [string, string] {
    const at = arg.indexOf("=");
    return [arg.slice(0, at), arg.slice(at + 1)];
}

export interface GitLabConfig {
    apiUrl: string;
    projectId: string;
    mrIid: string;
    authHeader: "PRIVATE-TOKEN" | "JOB-TOKEN";
    /** Name of the variable the token came from, for messages. */
    tokenVariable: "GITLAB_TOKEN" | "CI_JOB_TOKEN";
    token: string;
}

type Env = Readonly<Record<string, string | undefined>>;

const MISSING_HINTS: Record<string, string> = {
    CI_API_V4_URL: "CI_API_V4_URL (set by GitLab CI)",
    CI_PROJECT_ID: "CI_PROJECT_ID (set by GitLab CI)",
    CI_MERGE_REQUEST_IID:
        "CI_MERGE_REQUEST_IID (set only in merge request pipelines: run this job with " +
        '`rules: - if: $CI_PIPELINE_SOURCE == "merge_request_event"`)',
    token: "GITLAB_TOKEN (a token with the api scope; CI_JOB_TOKEN is used when it is unset)",
};

/** Reads the GitLab settings from the environment; throws a UsageError naming what is missing. */
export function readGitLabConfig(env: Env): GitLabConfig {
    const get = (name: string) => {
        const v = env[name]?.trim();
        return v ? v : undefined;
    };
    const missing: string[] = [];
    const apiUrl = get("CI_API_V4_URL");
    const projectId = get("CI_PROJECT_ID");
    const mrIid = get("CI_MERGE_REQUEST_IID");
    const gitlabToken = get("GITLAB_TOKEN");
    const jobToken = get("CI_JOB_TOKEN");
    if (!apiUrl) missing.push(MISSING_HINTS.CI_API_V4_URL);
    if (!projectId) missing.push(MISSING_HINTS.CI_PROJECT_ID);
    if (!mrIid) missing.push(MISSING_HINTS.CI_MERGE_REQUEST_IID);
    if (!gitlabToken && !jobToken) missing.push(MISSING_HINTS.token);
    if (missing.length > 0 || !apiUrl || !projectId || !mrIid) {
        throw new UsageError(
            `missing environment variable${missing.length > 1 ? "s" : ""}: ${missing.join("; ")} ` +
                "(or use --dry-run)",
        );
    }
    if (!/^\d+$/.test(mrIid)) {
        throw new UsageError(`CI_MERGE_REQUEST_IID must be a number, got ${JSON.stringify(mrIid)}`);
    }
    let url: URL;
    try {
        url = new URL(apiUrl);
    } catch {
        throw new UsageError(`CI_API_V4_URL is not a URL: ${JSON.stringify(apiUrl)}`);
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") {
        throw new UsageError(`CI_API_V4_URL must be an http(s) URL, got ${url.protocol}`);
    }
    const base = {
        apiUrl: apiUrl.replace(/\/+$/, ""),
        projectId,
        mrIid,
    };
    return gitlabToken
        ? {
              ...base,
              authHeader: "PRIVATE-TOKEN",
              tokenVariable: "GITLAB_TOKEN",
              token: gitlabToken,
          }
        : {
              ...base,
              authHeader: "JOB-TOKEN",
              tokenVariable: "CI_JOB_TOKEN",
              token: jobToken ?? "",
          };
}

/** Replaces every occurrence of each secret with `[REDACTED]`. */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
    let out = text;
    const values = new Set<string>();
    for (const s of secrets) {
        if (s) {
            values.add(s);
            if (s.trim()) values.add(s.trim());
        }
    }
    // Longest first, so a secret containing another is replaced whole.
    for (const s of [...values].sort((a, b) => b.length - a.length)) {
        out = out.split(s).join("[REDACTED]");
    }
    return out;
}

/** A failed GitLab API call; `retryable` for network errors, 5xx and 429. */
export class GitLabError extends Error {
    constructor(
        message: string,
        readonly status: number | undefined,
        readonly retryable: boolean,
        readonly retryAfterMs?: number,
    ) {
        super(message);
    }
}

export interface RetryOptions {
    /** Retries after the first attempt (default 3). */
    retries?: number;
    /** Delay before the first retry; doubles each time (default 1000 ms). */
    baseDelayMs?: number;
    maxDelayMs?: number;
    isRetryable?: (err: unknown) => boolean;
    onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
    sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Calls `fn(attempt)` until it succeeds, retrying retryable failures with exponential back-off
 * (plus up to 25% jitter, or the server's Retry-After when longer).
 */
export async function withRetry<T>(
    fn: (attempt: number) => Promise<T>,
    options: RetryOptions = {},
): Promise<T> {
    const retries = options.retries ?? 3;
    const base = options.baseDelayMs ?? 1000;
    const maxDelay = options.maxDelayMs ?? 30_000;
    const isRetryable =
        options.isRetryable ?? ((err: unknown) => err instanceof GitLabError && err.retryable);
    const sleep = options.sleep ?? defaultSleep;
    for (let attempt = 0; ; attempt++) {
        try {
            return await fn(attempt);
        } catch (err) {
            if (attempt >= retries || !isRetryable(err)) throw err;
            let delay = Math.min(maxDelay, base * 2 ** attempt);
            delay += Math.floor(Math.random() * delay * 0.25);
            if (err instanceof GitLabError && err.retryAfterMs !== undefined) {
                delay = Math.max(delay, Math.min(maxDelay, err.retryAfterMs));
            }
            options.onRetry?.(err, attempt + 1, delay);
            await sleep(delay);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// GitLab API
// ---------------------------------------------------------------------------------------------

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface GitLabClient {
    listNotes(): Promise<unknown[]>;
    createNote(body: string): Promise<GitLabNote>;
    updateNote(id: number, body: string): Promise<GitLabNote>;
}

const REQUEST_TIMEOUT_MS = 30_000;
/** Retries after the first attempt of each GitLab call. */
export const RETRIES = 3;
const MAX_NOTE_PAGES = 50;

function errorDetail(text: string): string {
    let detail = text.trim();
    try {
        const parsed = JSON.parse(detail) as unknown;
        if (typeof parsed === "object" && parsed !== null) {
            const p = parsed as Record<string, unknown>;
            const m = p.message ?? p.error_description ?? p.error;
            if (m !== undefined) detail = typeof m === "string" ? m : JSON.stringify(m);
        }
    } catch {
        // not JSON: use the text as it is
    }
    if (/^<(!doctype|html)/i.test(detail)) detail = detail.replace(/<[^>]*>/g, " ");
    detail = detail.replace(/\s+/g, " ").trim();
    return detail.length > 300 ? `${detail.slice(0, 300)}…` : detail;
}

function networkDetail(err: unknown): string {
    if (!(err instanceof Error)) return String(err);
    const cause = (err as Error & { cause?: unknown }).cause;
    if (err.name === "TimeoutError" || err.name === "AbortError") return "request timed out";
    if (cause instanceof Error) {
        const codeName = (cause as Error & { code?: unknown }).code;
        return typeof codeName === "string" ? `${codeName}: ${cause.message}` : cause.message;
    }
    return err.message;
}

/** Single-attempt GitLab calls for one merge request; errors are GitLabErrors with the token redacted. */
export function gitlabClient(config: GitLabConfig, fetchImpl: FetchLike = fetch): GitLabClient {
    const notesPath =
        `/projects/${encodeURIComponent(config.projectId)}` +
        `/merge_requests/${encodeURIComponent(config.mrIid)}/notes`;

    async function call(
        method: string,
        path: string,
        body?: unknown,
    ): Promise<{ data: unknown; headers: Headers }> {
        const what = `GitLab API ${method} ${path.replace(/\?.*$/, "")}`;
        const headers: Record<string, string> = {
            [config.authHeader]: config.token,
            Accept: "application/json",
        };
        if (body !== undefined) headers["Content-Type"] = "application/json";
        let res: Response;
        try {
            res = await fetchImpl(`${config.apiUrl}${path}`, {
                method,
                headers,
                body: body === undefined ? undefined : JSON.stringify(body),
                signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
            });
        } catch (err) {
            throw new GitLabError(
                redact(`${what} failed: ${networkDetail(err)}`, [config.token]),
                undefined,
                true,
            );
        }
        const text = await res.text().catch(() => "");
        if (!res.ok) {
            const retryAfter = Number(res.headers.get("retry-after"));
            let message = `${what} failed with HTTP ${res.status} ${res.statusText}`.trimEnd();
            const detail = errorDetail(text);
            if (detail) message += `: ${detail}`;
            if (res.status === 401 || res.status === 403) {
                message +=
                    ` (check ${config.tokenVariable}: it needs the api scope and access to the ` +
                    "project; CI job tokens usually cannot write merge request notes)";
            } else if (res.status === 404) {
                message += " (check CI_API_V4_URL, CI_PROJECT_ID and CI_MERGE_REQUEST_IID)";
            }
            throw new GitLabError(
                redact(message, [config.token]),
                res.status,
                res.status >= 500 || res.status === 429,
                Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined,
            );
        }
        try {
            return { data: text ? (JSON.parse(text) as unknown) : undefined, headers: res.headers };
        } catch {
            throw new GitLabError(
                `${what} returned a response that is not JSON`,
                res.status,
                false,
            );
        }
    }

    function asNote(data: unknown, what: string): GitLabNote {
        if (!isNote(data)) throw new GitLabError(`${what}: unexpected response`, undefined, false);
        return data;
    }

    return {
        async listNotes() {
            const notes: unknown[] = [];
            let page = "1";
            for (let n = 0; n < MAX_NOTE_PAGES && page; n++) {
                const { data, headers } = await call(
                    "GET",
                    `${notesPath}?per_page=100&page=${page}`,
                );
                if (!Array.isArray(data)) {
                    throw new GitLabError(
                        "GitLab API GET notes: expected a list",
                        undefined,
                        false,
                    );
                }
                notes.push(...(data as unknown[]));
                page = headers.get("x-next-page")?.trim() ?? "";
            }
            return notes;
        },
        async createNote(body) {
            return asNote((await call("POST", notesPath, { body })).data, "create note");
        },
        async updateNote(id, body) {
            return asNote((await call("PUT", `${notesPath}/${id}`, { body })).data, "update note");
        },
    };
}

export interface UpsertResult {
    action: "created" | "updated";
    noteId: number;
}

/**
 * Updates this stack's note when there is one, else creates it. A retried create first looks
 * again, so a POST that succeeded behind a failing proxy does not leave a duplicate.
 */
export async function upsertNote(
    client: GitLabClient,
    stack: string,
    body: string,
    retry: RetryOptions = {},
): Promise<UpsertResult> {
    const existing = findOwnNote(await withRetry(() => client.listNotes(), retry), stack);
    if (existing) {
        await withRetry(() => client.updateNote(existing.id, body), retry);
        return { action: "updated", noteId: existing.id };
    }
    return withRetry(async (attempt): Promise<UpsertResult> => {
        if (attempt > 0) {
            const again = findOwnNote(await client.listNotes(), stack);
            if (again) {
                await client.updateNote(again.id, body);
                return { action: "updated", noteId: again.id };
            }
        }
        const created = await client.createNote(body);
        return { action: "created", noteId: created.id };
    }, retry);
}

// ---------------------------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------------------------

export interface Io {
    stdout: (text: string) => void;
    stderr: (text: string) => void;
    readStdin: () => Promise<string>;
}

async function readStream(stream: NodeJS.ReadableStream): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of stream) {
        chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
    }
    return Buffer.concat(chunks).toString("utf8");
}

const processIo: Io = {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    readStdin: () => readStream(process.stdin),
};

/** Runs the command; returns the exit status (0 ok, 1 GitLab failure, 2 usage/configuration). */
export async function main(argv: readonly string[], env: Env, io: Io = processIo): Promise<number> {
    const secrets = [env.GITLAB_TOKEN, env.CI_JOB_TOKEN];
    const fail = (err: unknown, status: number): number => {
        const message = err instanceof Error ? err.message : String(err);
        io.stderr(`mr-note: error: ${redact(message, secrets)}\n`);
        if (err instanceof UsageError && err.showUsage) io.stderr(`${USAGE}\n`);
        return status;
    };
    try {
        const args = parseArgs(argv);
        if (args.help) {
            io.stdout(`${USAGE}\n`);
            return 0;
        }
        let raw: string;
        try {
            raw =
                args.preview === "-" ? await io.readStdin() : await readFile(args.preview, "utf8");
        } catch (err) {
            const why = err instanceof Error ? err.message : String(err);
            throw new UsageError(
                `cannot read preview ${args.preview === "-" ? "from stdin" : `file ${args.preview}`}: ${why}`,
            );
        }
        if (raw.trim() === "") throw new UsageError("the preview output is empty");
        const preview = parsePreview(raw);
        const stack = args.stack ?? preview.stack;
        if (!stack) {
            throw new UsageError(
                "cannot tell the stack from the preview output; pass --stack <name>",
            );
        }
        if (!STACK_NAME.test(stack)) {
            throw new UsageError(`invalid stack name: ${JSON.stringify(stack)}`);
        }
        const note = renderNote(preview, {
            stack,
            commitSha: env.CI_COMMIT_SHORT_SHA?.trim() || undefined,
            jobUrl: env.CI_JOB_URL?.trim() || undefined,
        });
        if (args.dryRun) {
            io.stdout(note);
            return 0;
        }
        const config = readGitLabConfig(env);
        const delay = Number(env.MR_NOTE_RETRY_DELAY_MS);
        const result = await upsertNote(gitlabClient(config), stack, note, {
            retries: RETRIES,
            baseDelayMs:
                Number.isFinite(delay) && delay >= 0 && env.MR_NOTE_RETRY_DELAY_MS ? delay : 1000,
            onRetry: (err, attempt, ms) =>
                io.stderr(
                    `mr-note: ${redact(err instanceof Error ? err.message : String(err), secrets)}; ` +
                        `retry ${attempt} of ${RETRIES} in ${(ms / 1000).toFixed(1)}s\n`,
                ),
        });
        io.stdout(
            `mr-note: ${result.action} note ${result.noteId} on merge request !${config.mrIid} ` +
                `(stack ${stack}, ${note.length} characters)\n`,
        );
        return 0;
    } catch (err) {
        return fail(err, err instanceof UsageError ? 2 : 1);
    }
}

if (require.main === module) {
    void main(process.argv.slice(2), process.env).then((status) => {
        process.exitCode = status;
    });
}
