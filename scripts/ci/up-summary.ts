// Which distros of a stack failed their `pulumi up --continue-on-error`, from the engine's event
// log (`--event-log`, JSON lines): each failed resource and error diagnostic is given to the
// distro/arch pipeline (`cs9-x86_64`) whose name starts its resource name; an error tied to no
// pipeline (bad config, the evidence gate) failed the update before the distros.
//
// Usage: ts-node scripts/ci/up-summary.ts --stack <stack> --events <file> --status <pulumi's exit>
//        [--out up-summary.json]
// Prints one line per pipeline, writes the same as JSON, exits 0 when the update succeeded, else 1.
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { parse as parseYaml } from "yaml";
import { PROJECT, stackFilePath } from "../../config";
import { loadCatalogue } from "../../distros/catalogue";
import { Arch } from "../../distros/schema";
import { archesOf } from "../../model/lifecycle";

const ROOT = path.join(__dirname, "..", "..");

/** The engine events this summary reads (sdk/go/common/apitype/events.go). */
interface EngineEvent {
    resOpFailedEvent?: { metadata: { urn: string; op: string } };
    diagnosticEvent?: { urn?: string; message: string; severity: string };
}

export interface Failure {
    resource: string;
    messages: string[];
}

export interface UpSummary {
    stack: string;
    status: number;
    failed: Record<string, Failure[]>;
    succeeded: string[];
    /** Errors of the update itself (no pipeline's): every pipeline is then `not updated`. */
    stackErrors: string[];
}

/** The pipelines a stack file declares, `<distro>-<arch>`, read without judging the file. */
export function stackPipelines(root: string, stack: string): string[] {
    const doc = parseYaml(fs.readFileSync(path.join(root, stackFilePath(stack)), "utf8")) as {
        config?: Record<string, unknown>;
    } | null;
    const distros = (doc?.config?.[`${PROJECT}:distros`] ?? {}) as Record<
        string,
        { arches?: Arch[] } | null
    >;
    const catalogue = loadCatalogue();
    return Object.entries(distros).flatMap(([key, d]) => {
        const entry = catalogue.get(key);
        return entry ? archesOf(d ?? {}, entry).map((arch) => `${key}-${arch}`) : [];
    });
}

/** The event log's events; a line cut short by a killed engine is skipped. */
export function readEvents(text: string): EngineEvent[] {
    return text.split("\n").flatMap((line) => {
        try {
            return line.trim() ? [JSON.parse(line) as EngineEvent] : [];
        } catch {
            return [];
        }
    });
}

// Pulumi's colour directives (`<{%fg 1%}>`) and any ANSI escapes left in a message.
const clean = (m: string) =>
    m
        // eslint-disable-next-line no-control-regex
        .replace(/<\{%[^%]*%\}>|\u001b\[[0-9;]*m/g, "")
        .trim();

/** The pipeline a resource belongs to: the longest pipeline name that starts its name. */
function pipelineOf(urn: string, pipelines: string[]): string | undefined {
    const name = urn.split("::").at(-1) ?? "";
    return pipelines
        .filter((p) => name === p || name.startsWith(`${p}-`))
        .sort((a, b) => b.length - a.length)[0];
}

export function summarize(
    stack: string,
    status: number,
    pipelines: string[],
    events: EngineEvent[],
): UpSummary {
    const failed: Record<string, Failure[]> = {};
    const stackErrors: string[] = [];
    const failureOf = (pipeline: string, resource: string) => {
        const list = (failed[pipeline] ??= []);
        let f = list.find((x) => x.resource === resource);
        if (!f) list.push((f = { resource, messages: [] }));
        return f;
    };
    for (const e of events) {
        const urn = e.resOpFailedEvent?.metadata.urn ?? e.diagnosticEvent?.urn ?? "";
        if (e.diagnosticEvent && e.diagnosticEvent.severity !== "error") continue;
        if (!e.resOpFailedEvent && !e.diagnosticEvent) continue;
        const pipeline = pipelineOf(urn, pipelines);
        const message = e.diagnosticEvent ? clean(e.diagnosticEvent.message) : "";
        if (!pipeline) {
            if (message) stackErrors.push(message);
            continue;
        }
        const f = failureOf(pipeline, urn.split("::").at(-1) ?? urn);
        if (message && !f.messages.includes(message)) f.messages.push(message);
    }
    if (status !== 0 && Object.keys(failed).length === 0 && stackErrors.length === 0) {
        stackErrors.push(`pulumi up exited ${status} without an error event (see the job log)`);
    }
    const stackFailed = stackErrors.length > 0 && Object.keys(failed).length === 0;
    return {
        stack,
        status,
        failed,
        succeeded: stackFailed ? [] : pipelines.filter((p) => !failed[p]),
        stackErrors,
    };
}

export function summaryLines(s: UpSummary, pipelines: string[]): string[] {
    const verdict = s.status === 0 ? "succeeded" : `FAILED (exit ${s.status})`;
    const lines = [`[up] stack ${s.stack}: pulumi up ${verdict}`];
    for (const p of pipelines) {
        const failures = s.failed[p];
        if (failures) {
            lines.push(`  ${p}: FAILED`);
            for (const f of failures) {
                lines.push(
                    `      ${f.resource}`,
                    ...f.messages.map((m) => `        ${m.split("\n")[0]}`),
                );
            }
        } else lines.push(`  ${p}: ${s.succeeded.includes(p) ? "ok" : "not updated"}`);
    }
    lines.push(...s.stackErrors.map((m) => `  the update: ${m.split("\n")[0]}`));
    return lines;
}

function main(argv: string[]): number {
    const { values } = parseArgs({
        args: argv,
        options: {
            stack: { type: "string" },
            events: { type: "string" },
            status: { type: "string" },
            out: { type: "string", default: "up-summary.json" },
        },
        strict: true,
    });
    if (!values.stack || !values.events || !/^\d+$/.test(values.status ?? "")) {
        console.error(
            "usage: up-summary.ts --stack <stack> --events <file> --status <exit> [--out <json>]",
        );
        return 2;
    }
    const pipelines = stackPipelines(ROOT, values.stack);
    const events = fs.existsSync(values.events)
        ? readEvents(fs.readFileSync(values.events, "utf8"))
        : [];
    const summary = summarize(values.stack, Number(values.status), pipelines, events);
    console.log(summaryLines(summary, pipelines).join("\n"));
    fs.writeFileSync(values.out, `${JSON.stringify(summary, null, 2)}\n`);
    return summary.status === 0 ? 0 : 1;
}

if (require.main === module) {
    try {
        process.exit(main(process.argv.slice(2)));
    } catch (e) {
        console.error(`up-summary: ${(e as Error).message}`);
        process.exit(2);
    }
}
