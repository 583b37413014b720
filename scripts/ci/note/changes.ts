// What a preview does, per distro and arch: the engine's steps attributed to the plan's records
// (through the component names of model/resourceNames.ts), then read as the actions a reviewer
// cares about. The plan is computed from the same stack config the preview ran with.
import type { OpType } from "@pulumi/pulumi/automation";
import { BootMode, USE_CASES, UseCase } from "../../../distros/schema";
import { bootModesOf, buildKey } from "../../../model/lifecycle";
import { MANIFEST_PROPERTY } from "../../../model/packages";
import { PipelineRecord, refusalSubject, StackPlan } from "../../../model/plan";
import * as names from "../../../model/resourceNames";
import { PreviewEvents, Step, urnName } from "./events";

type Role = "build" | "glance" | "test" | "container";

/** Which record a component stands for. */
interface Identity {
    pipeline: PipelineRecord;
    role: Role;
    release: string;
    bootMode?: BootMode;
    useCase?: UseCase;
    /** The release's stage in the plan; undefined for a release beyond `keep` (retired). */
    stage?: string;
}

/** The role of each component type whose records the plan names. */
const ROLES: Record<string, Role> = {
    "osimages:build:ImageBuild": "build",
    "osimages:glance:GlanceImage": "glance",
    "osimages:test:ImageTest": "test",
    "osimages:compute:TestInstance": "test",
    "osimages:test:TestRun": "test",
    "osimages:container:ContainerImage": "container",
};
const TYPE_OF = Object.fromEntries(
    Object.entries(ROLES).map(([type]) => [type.split(":").at(-1), type]),
) as Record<string, string>;

export type Action =
    | { kind: "build"; release: string }
    | { kind: "upload"; release: string; bootMode: BootMode; name: string }
    | { kind: "test"; release: string; bootMode: BootMode; useCase: UseCase }
    | {
          kind: "promote" | "rename";
          release: string;
          bootMode: BootMode;
          from: string;
          to: string;
          /** The bytes the image holds (its Glance properties), to find its build's manifest. */
          build: ImageBytes;
      }
    | { kind: "visibility"; release: string; bootMode: BootMode; from: string; to: string }
    | { kind: "properties"; release: string; bootMode: BootMode }
    | { kind: "delete"; release: string; bootMode: BootMode; name: string }
    | { kind: "container"; release: string }
    | { kind: "publish" | "unpublish"; release: string; tag: string }
    | { kind: "refused"; reason: string };

/** What an image's properties say of its bytes. */
export interface ImageBytes {
    sha256?: string;
    manifestSha256?: string;
}

export interface PipelineChanges {
    name: string;
    distro: string;
    arch: string;
    actions: Action[];
    /** Every step that changes something, for the details. */
    steps: Step[];
}

export interface NoteModel {
    pipelines: PipelineChanges[];
    /** Changing steps no plan record accounts for (a distro removed from the stack, providers). */
    other: Step[];
    /** Errors not attributed to a distro, and all warnings. */
    errors: string[];
    warnings: string[];
    failed: boolean;
    changes: PreviewEvents["changes"];
}

/** A value the engine does not know before the update. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

function identities(plan: StackPlan): Map<string, Identity> {
    const table = new Map<string, Identity>();
    const add = (component: string, name: string, id: Omit<Identity, "role">) => {
        const type = TYPE_OF[component];
        table.set(`${type}::${name}`, { ...id, role: ROLES[type] });
    };
    for (const p of plan.pipelines) {
        const modes = bootModesOf(p.entry, p.arch);
        const releases = [
            ...p.releases.map((r) => ({ release: r.release, stage: r.stage as string })),
            ...p.retired.map((release) => ({ release, stage: undefined })),
        ];
        for (const { release, stage } of releases) {
            const base = { pipeline: p, release, stage };
            add("ImageBuild", names.buildName(p.name, release), base);
            add("ContainerImage", names.containerName(p.name, release), base);
            for (const bootMode of modes) {
                const image = names.imageComponentName(
                    buildKey(p.distro, p.arch, bootMode, release),
                );
                add("GlanceImage", image, { ...base, bootMode });
                add("ImageTest", image, { ...base, bootMode });
                // Every use case: a promoted release's tests (no longer planned) are deleted.
                for (const useCase of USE_CASES) {
                    const id = { ...base, bootMode, useCase };
                    add("TestRun", names.testRunName(image, useCase), id);
                    add("TestInstance", names.testInstanceName(image, useCase), id);
                }
            }
        }
    }
    return table;
}

/**
 * Which distro pipeline a resource belongs to, by URN: through its own step's parent (from the
 * events), or the URN itself when no step names it.
 */
export function pipelineAttribution(
    plan: StackPlan,
    steps: Step[],
): (urn: string) => PipelineRecord | undefined {
    const table = identities(plan);
    const byUrn = new Map(steps.map((s) => [s.urn, s]));
    return (urn) => {
        const step = byUrn.get(urn) ?? {
            op: "same",
            urn,
            type: urnType(urn),
            name: urnName(urn),
            changedKeys: [],
        };
        return identify(step, table)?.pipeline;
    };
}

/** The last type of a URN's type chain (`parent$child`), as registered. */
function urnType(urn: string): string {
    const parts = urn.split("::");
    return parts.length >= 4 ? (parts[2].split("$").at(-1) ?? "") : "";
}

function identify(step: Step, table: Map<string, Identity>): Identity | undefined {
    return (
        table.get(`${step.type}::${step.name}`) ??
        (step.parent ? table.get(`${urnType(step.parent)}::${urnName(step.parent)}`) : undefined)
    );
}

const CHANGING: ReadonlySet<OpType> = new Set<OpType>([
    "create",
    "update",
    "delete",
    "replace",
    "import",
    "import-replacement",
]);

function input(state: Step["old"], key: string): string {
    const v = (state?.inputs as Record<string, unknown> | undefined)?.[key];
    if (v === UNKNOWN) return "(known after the update)";
    return v === undefined ? "(none)" : String(v);
}

/** The actions one step means, given whose it is. */
function actionsOf(step: Step, id: Identity): Action[] {
    const { release, bootMode, useCase } = id;
    const made = step.op === "create" || step.op === "replace";
    switch (`${id.role} ${step.type}`) {
        case "build command:local:Command":
            return made ? [{ kind: "build", release }] : [];
        case "test command:local:Command":
            return made && bootMode && useCase
                ? [{ kind: "test", release, bootMode, useCase }]
                : [];
        case "container docker:index/image:Image":
            return made ? [{ kind: "container", release }] : [];
        case "container docker:index/registryImage:RegistryImage": {
            const tag = input(step.new ?? step.old, "name");
            if (made) return [{ kind: "publish", release, tag }];
            return step.op === "delete" ? [{ kind: "unpublish", release, tag }] : [];
        }
        case "glance openstack:images/image:Image":
            return bootMode ? imageActions(step, id, bootMode) : [];
        default:
            return [];
    }
}

function imageActions(step: Step, id: Identity, bootMode: BootMode): Action[] {
    const { release } = id;
    if (step.op === "create" || step.op === "replace") {
        return [{ kind: "upload", release, bootMode, name: input(step.new, "name") }];
    }
    if (step.op === "delete")
        return [{ kind: "delete", release, bootMode, name: input(step.old, "name") }];
    if (step.op !== "update") return [];
    const actions: Action[] = [];
    if (step.changedKeys.includes("name")) {
        const kind = id.stage === "production" ? "promote" : "rename";
        const inputs = step.old?.inputs as { properties?: Record<string, unknown> } | undefined;
        const properties = inputs?.properties;
        const known = (v: unknown) => (typeof v === "string" && v !== UNKNOWN ? v : undefined);
        const build = {
            sha256: known(properties?.osimages_sha256),
            manifestSha256: known(properties?.[MANIFEST_PROPERTY]),
        };
        actions.push({
            kind,
            release,
            bootMode,
            from: input(step.old, "name"),
            to: input(step.new, "name"),
            build,
        });
    }
    for (const key of ["visibility", "hidden"].filter((k) => step.changedKeys.includes(k))) {
        const [from, to] = [input(step.old, key), input(step.new, key)];
        const label = key === "hidden" ? (v: string) => `hidden ${v}` : (v: string) => v;
        actions.push({ kind: "visibility", release, bootMode, from: label(from), to: label(to) });
    }
    // Only its properties: the evidence restated, a new manifest digest, the catalogue's.
    if (actions.length === 0 && step.changedKeys.includes("properties")) {
        actions.push({ kind: "properties", release, bootMode });
    }
    return actions;
}

/** Error lines that refuse a promotion of this distro on this arch, and the other errors. */
function splitRefusals(errors: string[], plan: StackPlan): [Map<string, string[]>, string[]] {
    const refused = new Map<string, string[]>();
    const rest: string[] = [];
    for (const message of errors) {
        const lines = message.split("\n");
        const kept = lines.filter((line) => {
            const p = plan.pipelines.find((q) =>
                line.trim().startsWith(`${refusalSubject(q.distro, q.arch)} (`),
            );
            if (p) refused.set(p.name, [...(refused.get(p.name) ?? []), line.trim()]);
            return !p;
        });
        if (kept.length < lines.length) rest.push(kept.join("\n").trim());
        else rest.push(message);
    }
    return [refused, rest.filter((m) => m !== "")];
}

/** The note's content: the preview's steps and diagnostics, per distro and arch of the plan. */
export function noteModel(events: PreviewEvents, plan: StackPlan): NoteModel {
    const table = identities(plan);
    const errors = events.diagnostics.filter((d) => d.severity === "error").map((d) => d.message);
    const [refused, otherErrors] = splitRefusals(errors, plan);
    const byName = new Map<string, PipelineChanges>(
        plan.pipelines.map((p) => [
            p.name,
            { name: p.name, distro: p.distro, arch: p.arch, actions: [], steps: [] },
        ]),
    );
    const other: Step[] = [];
    for (const step of events.steps.filter((s) => CHANGING.has(s.op))) {
        const id = identify(step, table);
        const changes = id && byName.get(id.pipeline.name);
        if (!id || !changes) {
            if (!step.type.startsWith("pulumi:")) other.push(step);
            continue;
        }
        changes.steps.push(step);
        for (const action of actionsOf(step, id)) {
            const seen = changes.actions.some((a) => JSON.stringify(a) === JSON.stringify(action));
            if (!seen) changes.actions.push(action);
        }
    }
    for (const [name, reasons] of refused) {
        byName
            .get(name)
            ?.actions.push(...reasons.map((reason): Action => ({ kind: "refused", reason })));
    }
    return {
        pipelines: [...byName.values()],
        other,
        errors: otherErrors,
        warnings: events.diagnostics.filter((d) => d.severity === "warning").map((d) => d.message),
        failed: events.failed,
        changes: events.changes,
    };
}
