// Which distros of a stack failed their `pulumi up --continue-on-error`, from the engine's event
// log (`--event-log`, JSON lines): each failed resource and error diagnostic is given to its
// distro/arch pipeline as the merge request's note attributes them (the plan of the config the
// update ran with, the components' names); an error of no pipeline's (bad config, the evidence
// gate) failed the update before the distros.
//
// Usage: ts-node scripts/ci/up-summary.ts --stack <stack> --events <file> --status <pulumi's exit>
//        [--out up-summary.json]
// Prints one line per pipeline, writes the same as JSON, exits 0 when the update succeeded, else 1.
import * as fs from "fs";
import { parseArgs } from "util";
import { loadStack, readPreludeConfig } from "../../config";
import { planStack } from "../../model/plan";
import { pipelineAttribution } from "./note/changes";
import { PreviewEvents, readEventLog, urnName } from "./note/events";

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

/**
 * The update's pipelines and who owns a URN. A config that does not load gives neither, and the
 * reason, so that no failure goes unexplained (the program's own error diagnostic says the same).
 */
function attribution(events: PreviewEvents, stack: string) {
    try {
        const { catalogue, stack: config } = loadStack(readPreludeConfig(events.config, stack));
        const plan = planStack(config, catalogue);
        const owner = pipelineAttribution(plan, events.steps);
        return {
            pipelines: plan.pipelines.map((p) => p.name),
            owner: (urn: string) => owner(urn)?.name,
        };
    } catch (e) {
        // One line: the summary prints each error's first.
        const why = (e as Error).message.split("\n").join("; ");
        const reason = `the update's config did not load, no failure is given to a distro: ${why}`;
        return { pipelines: [], owner: () => undefined, reason };
    }
}

export function summarize(
    stack: string,
    status: number,
    events: PreviewEvents,
): UpSummary & { pipelines: string[] } {
    const { pipelines, owner, reason } = attribution(events, stack);
    const failed: Record<string, Failure[]> = {};
    const stackErrors: string[] = [];
    const failureOf = (pipeline: string, urn: string) => {
        const list = (failed[pipeline] ??= []);
        let f = list.find((x) => x.resource === urnName(urn));
        if (!f) list.push((f = { resource: urnName(urn), messages: [] }));
        return f;
    };
    const errors = events.diagnostics.filter((d) => d.severity === "error");
    for (const { urn, message } of [
        ...errors,
        ...events.failedUrns.map((urn) => ({ urn, message: "" })),
    ]) {
        const pipeline = urn ? owner(urn) : undefined;
        if (!pipeline) {
            if (message) stackErrors.push(message);
            continue;
        }
        const f = failureOf(pipeline, urn!);
        if (message && !f.messages.includes(message)) f.messages.push(message);
    }
    if (status !== 0 && Object.keys(failed).length === 0 && stackErrors.length === 0) {
        stackErrors.push(`pulumi up exited ${status} without an error event (see the job log)`);
    }
    if (reason) stackErrors.push(reason);
    const stackFailed = stackErrors.length > 0 && Object.keys(failed).length === 0;
    return {
        stack,
        status,
        failed,
        succeeded: stackFailed ? [] : pipelines.filter((p) => !failed[p]),
        stackErrors,
        pipelines,
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
    const text = fs.existsSync(values.events) ? fs.readFileSync(values.events, "utf8") : "";
    const { pipelines, ...summary } = summarize(
        values.stack,
        Number(values.status),
        readEventLog(text, values.events, true),
    );
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
