// A preview as the engine reported it: the event log that `pulumi preview --event-log <file>`
// writes (one JSON engine event per line; the Automation API's onEvent gets the same events).
import type {
    DiagnosticEvent,
    EngineEvent,
    OpType,
    StepEventMetadata,
    StepEventStateMetadata,
} from "@pulumi/pulumi/automation";

/** One planned step on one resource. */
export interface Step {
    op: OpType;
    urn: string;
    type: string;
    /** Logical name (the URN's last part). */
    name: string;
    /** URN of the parent, from the new state (or the old one for a delete). */
    parent?: string;
    /** Input keys that change (detailed diff when the provider gave one). */
    changedKeys: string[];
    old?: StepEventStateMetadata;
    new?: StepEventStateMetadata;
}

export interface PreviewEvents {
    steps: Step[];
    /** Errors and warnings the program or the engine reported (not the ephemeral ones). */
    diagnostics: { severity: "error" | "warning"; urn?: string; message: string }[];
    /** Resource counts by operation from the summary (`same` included). */
    changes: Partial<Record<OpType, number>>;
    /** The stack config the engine ran with (`project:key` → value; objects as JSON). */
    config: Record<string, string>;
    /** Whether the engine's summary says the operation failed (or an error was reported). */
    failed: boolean;
    /** Resources whose step failed (an update's resOpFailedEvent). */
    failedUrns: string[];
    /** Whether the log reaches the engine's summary (only a partial read accepts one that does not). */
    complete: boolean;
}

/** A problem with the event log itself (unreadable, truncated): no note may be written from it. */
export class EventLogError extends Error {}

/** The logical name in a URN: `urn:pulumi:stack::project::type$type::name`. */
export function urnName(urn: string): string {
    const at = urn.lastIndexOf("::");
    return at < 0 ? urn : urn.slice(at + 2);
}

function stepOf(m: StepEventMetadata): Step {
    const state = m.new ?? m.old;
    return {
        op: m.op,
        urn: m.urn,
        type: m.type,
        name: urnName(m.urn),
        parent: state?.parent || undefined,
        changedKeys: Object.keys(m.detailedDiff ?? {}).length
            ? [...new Set(Object.keys(m.detailedDiff ?? {}).map((k) => k.split(/[.[]/)[0]))]
            : (m.diffs ?? []),
        old: m.old,
        new: m.new,
    };
}

function diagnosticOf(d: DiagnosticEvent): PreviewEvents["diagnostics"][number] | undefined {
    if (d.ephemeral) return undefined;
    if (d.severity !== "error" && d.severity !== "warning") return undefined;
    // Colour tags like <{%reset%}> are how the engine marks up its text.
    const message = d.message.replace(/<\{%[^%]*%\}>/g, "").trimEnd();
    return { severity: d.severity, urn: d.urn || undefined, message };
}

/**
 * Reads an event log. Throws an EventLogError naming the file and line when a line is not an
 * engine event, and when the log has no summary: the preview did not run to its end. A `partial`
 * read (what an update got done before it was killed) skips a cut last line and takes no summary.
 */
export function readEventLog(text: string, file: string, partial = false): PreviewEvents {
    const result: PreviewEvents = {
        steps: [],
        diagnostics: [],
        changes: {},
        config: {},
        failed: false,
        failedUrns: [],
        complete: false,
    };
    let summarised = false;
    const lines = text.split("\n");
    lines.forEach((line, i) => {
        if (line.trim() === "") return;
        let event: EngineEvent;
        try {
            event = JSON.parse(line) as EngineEvent;
        } catch {
            if (partial && i >= lines.length - 2) return;
            const where = i === lines.length - 1 ? " (the log ends mid-event)" : "";
            throw new EventLogError(`${file}:${i + 1}: not a JSON engine event${where}`);
        }
        if (typeof event !== "object" || event === null || typeof event.sequence !== "number") {
            throw new EventLogError(`${file}:${i + 1}: not an engine event (no sequence number)`);
        }
        if (event.preludeEvent) result.config = { ...event.preludeEvent.config };
        // Pre-events carry the plan; the outputs event repeats it with the provider's answer.
        if (event.resourcePreEvent) result.steps.push(stepOf(event.resourcePreEvent.metadata));
        if (event.diagnosticEvent) {
            const d = diagnosticOf(event.diagnosticEvent);
            if (d) result.diagnostics.push(d);
        }
        if (event.resOpFailedEvent) result.failedUrns.push(event.resOpFailedEvent.metadata.urn);
        if (event.summaryEvent) {
            summarised = true;
            result.changes = { ...event.summaryEvent.resourceChanges };
            // `result` is newer than the SDK's type; without it, errors tell a failed preview.
            const verdict = (event.summaryEvent as { result?: string }).result;
            result.failed ||= verdict !== undefined && verdict !== "succeeded";
        }
    });
    result.failed ||= result.diagnostics.some((d) => d.severity === "error");
    // The engine's last event is a cancelEvent either way: the summary is what says it finished.
    result.complete = summarised;
    if (!summarised && !partial) {
        throw new EventLogError(
            `${file}: the event log ends before the preview's summary: the preview did not finish ` +
                "(killed, or the engine failed before it started); nothing to show",
        );
    }
    return result;
}
