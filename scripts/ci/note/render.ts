// The merge-request note in Markdown: the headline counts first, then what happens per distro
// and arch, refusals and errors, and each distro's steps folded; kept under a size budget.
import { noteMarker } from "../gitlab/notes";
import { Action, NoteModel, PipelineChanges } from "./changes";
import { Step } from "./events";

export interface NoteContext {
    stack: string;
    commitSha?: string;
    jobUrl?: string;
    /** Further sections (title, Markdown body), e.g. the package changes of a promotion. */
    sections?: { title: string; body: string }[];
}

/** The size a note is kept under by default: GitLab takes 1,000,000 characters, people less. */
export const DEFAULT_NOTE_BUDGET = 100_000;

/** Inline code that survives backticks and, in tables, pipes. */
export function code(value: string, inTable = false): string {
    const runs = value.match(/`+/g) ?? [];
    const fence = "`".repeat(Math.max(0, ...runs.map((r) => r.length)) + 1);
    const pad = value.startsWith("`") || value.endsWith("`") ? " " : "";
    const body = inTable ? value.replace(/\|/g, "\\|") : value;
    return `${fence}${pad}${body}${pad}${fence}`;
}

function fenced(text: string): string {
    const runs = text.match(/`{3,}/g) ?? [];
    const fence = "`".repeat(Math.max(3, ...runs.map((r) => r.length + 1)));
    const shown =
        text.length > 4000 ? `${text.slice(0, 4000)}\n… (cut: the job log has it all)` : text;
    return `${fence}text\n${shown}\n${fence}`;
}

/** Headline counts, in the order a reviewer reads them: label per action kind. */
const HEADLINE: [Action["kind"], string, string][] = [
    ["build", "build", "builds"],
    ["upload", "upload", "uploads"],
    ["test", "test run", "test runs"],
    ["promote", "promotion", "promotions"],
    ["rename", "rename", "renames"],
    ["visibility", "visibility change", "visibility changes"],
    ["properties", "property update", "property updates"],
    ["delete", "deletion", "deletions"],
    ["container", "container build", "container builds"],
    ["publish", "published tag", "published tags"],
    ["unpublish", "unpublished tag", "unpublished tags"],
    ["refused", "refused promotion", "refused promotions"],
];

function headline(model: NoteModel): string {
    const all = model.pipelines.flatMap((p) => p.actions);
    const parts = HEADLINE.flatMap(([kind, one, many]) => {
        const n = all.filter((a) => a.kind === kind).length;
        return n === 0 ? [] : [`${n} ${n === 1 ? one : many}`];
    });
    const ops = Object.entries(model.changes)
        .filter(([op, n]) => op !== "same" && (n ?? 0) > 0)
        .map(([op, n]) => `${n} to ${op}`);
    const same = model.changes.same ?? 0;
    const resources = [...ops, `${same} unchanged`].join(", ");
    return `**${parts.length ? parts.join(" · ") : "no image changes"}** (resources: ${resources})`;
}

/**
 * One line per kind and release (`upload 2026-12-01: bios `A`; uefi `B``), in the headline's
 * order, details sorted: the engine's step order varies, a re-posted note should not.
 */
function actionLines(actions: Action[]): string[] {
    const order = (a: Action) => HEADLINE.findIndex(([kind]) => kind === a.kind);
    const sorted = [...actions].sort(
        (a, b) =>
            order(a) - order(b) ||
            ("release" in a && "release" in b ? a.release.localeCompare(b.release) : 0),
    );
    const groups = new Map<string, string[]>();
    for (const a of sorted) {
        const key = a.kind === "refused" ? `refused ${a.reason}` : `${a.kind} ${a.release}`;
        groups.set(key, [...(groups.get(key) ?? []), detail(a)]);
    }
    return [...groups].map(([key, details]) => {
        if (key.startsWith("refused ")) return `⛔ promotion refused: ${key.slice(8)}`;
        const unique = [...new Set(details.filter((d) => d !== ""))].sort();
        return unique.length ? `${key}: ${unique.join("; ")}` : key;
    });
}

function detail(a: Action): string {
    switch (a.kind) {
        case "upload":
        case "delete":
            return `${a.bootMode} ${code(a.name)}`;
        case "test":
            return `${a.bootMode} on ${a.useCase}`;
        case "properties":
            return a.bootMode;
        case "promote":
        case "rename":
            return `${a.bootMode} ${code(a.from)} → ${code(a.to)}`;
        case "visibility":
            return `${a.bootMode} ${a.from} → ${a.to}`;
        case "publish":
        case "unpublish":
            return code(a.tag);
        default:
            return "";
    }
}

function pipelineSection(p: PipelineChanges): string {
    const lines = actionLines(p.actions);
    const other =
        p.steps.length > 0 && lines.length === 0 ? ["other changes (see the details)"] : [];
    return [`**${p.distro} ${p.arch}**`, ...[...lines, ...other].map((l) => `- ${l}`)].join("\n");
}

function stepRows(steps: Step[]): string {
    const rows = steps.map((s) => {
        const keys = s.op === "update" || s.op === "replace" ? s.changedKeys.join(", ") : "";
        return `| ${s.op} | ${code(s.name, true)} | ${code(s.type, true)} | ${keys && code(keys, true)} |`;
    });
    return ["| Step | Resource | Type | Changed inputs |", "|---|---|---|---|", ...rows].join("\n");
}

function details(title: string, steps: Step[]): string {
    return `<details><summary>${title}: ${steps.length} steps</summary>\n\n${stepRows(steps)}\n\n</details>`;
}

/**
 * Renders the note. What does not fit the budget is left out whole, the steps' details first,
 * and the note says so: the job log has everything.
 */
export function renderNote(
    model: NoteModel,
    ctx: NoteContext,
    budget = DEFAULT_NOTE_BUDGET,
): string {
    const meta = [
        ctx.commitSha ? `commit ${code(ctx.commitSha)}` : "",
        ctx.jobUrl ? `[job log](${ctx.jobUrl})` : "",
    ]
        .filter((s) => s)
        .join(" · ");
    const verdict = model.failed ? "❌ the preview failed" : "✅ the preview succeeded";
    const changed = model.pipelines.filter((p) => p.steps.length > 0 || p.actions.length > 0);
    const unchanged = model.pipelines.filter((p) => !changed.includes(p));
    const head = [
        noteMarker(ctx.stack),
        `### Preview of stack ${code(ctx.stack)}: ${verdict}`,
        ...(meta ? [meta] : []),
        headline(model),
        ...model.errors.map((e) => `**Error**\n\n${fenced(e)}`),
        ...(model.warnings.length ? [`**Warnings**\n\n${fenced(model.warnings.join("\n"))}`] : []),
    ];
    const body = changed.map(pipelineSection);
    if (unchanged.length)
        body.push(`No change: ${unchanged.map((p) => `${p.distro} ${p.arch}`).join(", ")}`);
    if (model.other.length) body.push(details("Changes outside the plan's distros", model.other));
    for (const s of ctx.sections ?? []) body.push(`#### ${s.title}\n\n${s.body}`);
    const folded = changed
        .filter((p) => p.steps.length > 0)
        .map((p) => details(`${p.distro} ${p.arch}`, p.steps));
    const join = (parts: string[]) => `${parts.join("\n\n")}\n`;
    let shownDetails = folded.length;
    let note = join([...head, ...body, ...folded]);
    while (note.length > budget && shownDetails > 0) {
        shownDetails--;
        const cut = `_Details of ${folded.length - shownDetails} distros left out to keep this note short: see the job log._`;
        note = join([...head, ...body, ...folded.slice(0, shownDetails), cut]);
    }
    let shownBody = body.length;
    while (note.length > budget && shownBody > 0) {
        shownBody--;
        const cut = `_${body.length - shownBody} more sections and every step's details left out: see the job log._`;
        note = join([...head, ...body.slice(0, shownBody), cut]);
    }
    return note.length > budget
        ? `${note.slice(0, budget - 40)}\n\n_(cut at the note's size limit)_\n`
        : note;
}
