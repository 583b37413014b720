// The stack config: one zod schema, its cross-checks against the catalogue, and the key rules.
import { z } from "zod";
import { Catalogue } from "../distros/catalogue";
import { backendOf } from "../model/backends";
import { keptReleases, releaseSet } from "../model/lifecycle";
import { isManaged, isPhysical, useCasesFor } from "../model/useCases";
import { ARCHES, formatIssues, PARSE_OPTIONS, USE_CASES } from "../distros/schema";
import { calendarDay, releaseId, todayUtc } from "./dates";
import { expiredFlaky } from "../model/knownFlaky";

const knownFlakySchema = z.strictObject({
    /** The suite's test as the runner names it. */
    test: z.string().regex(/^[a-z0-9_-]+\/[a-z0-9_-]+$/, "a suite test like site/ntp"),
    /** Use cases it is tolerated on; every use case when absent. */
    useCases: z.array(z.enum(USE_CASES)).min(1).optional(),
    /** Why it is tolerated, with a bug reference people can follow. */
    reason: z.string().min(1).describe("a bug reference"),
    /** Its last tolerated day (UTC); after it, the stack is refused until the entry goes or is renewed. */
    expires: calendarDay("a day like 2027-01-31"),
});

const cloudSchema = z.strictObject({
    /** Entry of clouds.yaml holding the endpoint and credentials (password from `cloudPasswords`). */
    cloud: z.string().min(1).describe("the name of an entry of clouds.yaml"),
    /** Project name of this phase. */
    project: z.string().min(1).describe("an OpenStack project name"),
    /**
     * Test phase: the project made a member of TEST images. Defaults to the project that the test
     * cloud's credentials are scoped to, read from Keystone.
     */
    projectId: z.string().min(1).describe("an OpenStack project id").optional(),
    /** Region name, when the cloud has several. */
    region: z.string().min(1).describe("an OpenStack region name").optional(),
});

const kojiSchema = z.strictObject({
    /** Koji hub XML-RPC URL. */
    hub: z.url().describe("the Koji hub URL"),
    /** koji CLI profile (`koji -p <profile>`). */
    profile: z.string().min(1).describe("a koji CLI profile"),
    /** Build target per distro key. */
    targets: z.record(z.string(), z.string().min(1)),
    /** Install tree URL per distro key (the `url` of image-build). */
    installTrees: z.record(z.string(), z.url()),
    /** Run `image-build --scratch` (no NVR consumed). */
    scratch: z.boolean().default(false),
});

const distroSchema = z.strictObject({
    /** Arches to build; defaults to every arch of the catalogue entry. */
    arches: z.array(z.enum(ARCHES)).min(1).optional(),
    /** Monthly build ids kept for this distro, any order. */
    releases: z.array(releaseId("a build id like 2026-11-01 (or 2026-11-01.1)")).min(1),
    /** The promotion pointer: the release published as production. */
    promote: releaseId("a build id like 2026-11-01").optional(),
    /** How many releases are kept in Glance; older ones are deleted. */
    keep: z
        .number()
        .int()
        .min(1)
        .max(24)
        .describe("how many releases stay in Glance, 1 to 24")
        .default(3),
    /** Vendor backend only: vendor version (e.g. 9.6) that each release downloads. */
    vendorVersions: z.record(z.string(), z.string().regex(/^\d+(\.\d+)*$/)).optional(),
});

const stackSchema = z.strictObject({
    clouds: z.strictObject({ test: cloudSchema, production: cloudSchema }),
    registries: z.strictObject({
        /** Registry where test tags are pushed (host[:port]/namespace). */
        internal: z.string().regex(/^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)*$/, "host[:port]/path"),
        /** Registry where `latest`, major and date tags are published. */
        public: z.string().regex(/^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)*$/, "host[:port]/path"),
        /**
         * Which release the public tags follow: `tested`, the newest release once its container
         * test passed (the container flow of the talk), or `promoted`, the promotion pointer.
         */
        publishOn: z.enum(["tested", "promoted"]).describe("tested or promoted").default("tested"),
    }),
    builders: z
        .strictObject({
            koji: kojiSchema.optional(),
            vendor: z.strictObject({ url: z.url() }).optional(),
            local: z.strictObject({ workDir: z.string().min(1) }).optional(),
        })
        .default({}),
    distros: z
        .record(z.string(), distroSchema)
        .describe("the distros this stack builds, by catalogue key"),
    testing: z.strictObject({
        /** Where test machines run: Nova (VMs and Ironic nodes) or qemu on the runner. */
        backend: z.enum(["nova", "lab"]).describe("where test machines run"),
        flavors: z
            .strictObject({
                virtual: z.string().min(1).describe("a Nova flavor name"),
                physical: z
                    .string()
                    .min(1)
                    .describe("a bare-metal (Ironic) flavor name")
                    .optional(),
            })
            .optional(),
        /** Neutron network of test instances (nova backend). */
        network: z.string().min(1).optional(),
        /** Nova key pair whose private key is the `sshPrivateKey` secret. */
        keyPair: z.string().min(1).optional(),
        /** Use cases run at this site; physical ones need `flavors.physical`. */
        useCases: z
            .array(z.enum(USE_CASES))
            .min(1)
            .default(["unmanaged-virtual", "managed-virtual"]),
        /** Facts of the site handed to the suites (SITE_NTP_SERVER, SITE_DNS, ...). */
        siteEnvironment: z.record(z.string().regex(/^[A-Z][A-Z0-9_]*$/), z.string()).default({}),
        /** Configuration-management bootstrap for the managed use cases. */
        agent: z
            .strictObject({
                /** Puppet server the agent registers with, a host name. */
                server: z
                    .string()
                    .regex(/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/, "a host name"),
                /** Puppet environment. */
                environment: z.string().regex(/^[A-Za-z0-9_]+$/, "a Puppet environment name"),
                /** Address `server` has on test machines when their DNS does not know it. */
                address: z.union([z.ipv4(), z.ipv6()]).optional(),
            })
            .optional(),
        /** Timeouts of the boot and the suites, Pulumi duration strings. */
        bootTimeout: z
            .string()
            .regex(/^\d+[smh]$/, "a duration like 20m, 90s or 2h")
            .describe("a duration like 20m")
            .default("20m"),
        suiteTimeout: z
            .string()
            .regex(/^\d+[smh]$/, "a duration like 60m, 90s or 2h")
            .describe("a duration like 60m")
            .default("60m"),
        /** Fresh machines tried when one never becomes usable (an infrastructure failure). */
        bootAttempts: z
            .number()
            .int()
            .min(1)
            .max(5)
            .describe("how many fresh machines to try, 1 to 5")
            .default(2),
        /** Tests known to fail now and then: they run and are reported, and block nothing until they expire. */
        knownFlaky: z.array(knownFlakySchema).default([]),
    }),
});

export type StackConfig = z.infer<typeof stackSchema>;

/** Where builds, machines and results go on the runner, relative to the project (as written). */
export function workDirOf(stack: StackConfig): string {
    return stack.builders.local?.workDir ?? ".state/work";
}
export type DistroConfig = z.infer<typeof distroSchema>;
export type CloudConfig = z.infer<typeof cloudSchema>;
export type KnownFlaky = z.infer<typeof knownFlakySchema>;

/** Config keys read from the stack file (the project namespace is implied). */
export const CONFIG_KEYS = ["clouds", "registries", "builders", "distros", "testing"] as const;

/** Secrets, set with `pulumi config set --secret` and read only through the secret getters. */
export const SECRET_KEYS = [
    "cloudPasswords",
    "sshPrivateKey",
    "vendorToken",
    "registryAuth",
] as const;

/** The stack's config keys that are neither a setting nor a secret, or a secret in clear text. */
export interface KeyProblems {
    unknown: string[];
    plainSecrets: string[];
}

/** Sorts the project's keys (without the project prefix), each with whether it is encrypted. */
export function keyProblems(keys: [key: string, encrypted: boolean][]): KeyProblems {
    const isSecret = (k: string) => (SECRET_KEYS as readonly string[]).includes(k);
    const isSetting = (k: string) => (CONFIG_KEYS as readonly string[]).includes(k);
    return {
        unknown: keys.map(([k]) => k).filter((k) => !isSecret(k) && !isSetting(k)),
        plainSecrets: keys.filter(([k, encrypted]) => isSecret(k) && !encrypted).map(([k]) => k),
    };
}

function keyProblemLines(file: string, keys: KeyProblems): string[] {
    return [
        ...keys.unknown.map(
            (k) =>
                `${file}: ${k}: not a setting of ${PROJECT} (settings: ${CONFIG_KEYS.join(", ")}; secrets: ${SECRET_KEYS.join(", ")})`,
        ),
        ...keys.plainSecrets.map(
            (k) =>
                `${file}: ${k}: a secret in clear text; set it with \`pulumi config set --secret ${k} ...\``,
        ),
    ];
}

/**
 * Validates the raw stack config and cross-checks it against the catalogue. Every problem is
 * reported at once, each naming the stack file and the field.
 */
export function parseStackConfig(
    raw: Record<string, unknown>,
    file: string,
    catalogue: Catalogue,
    keys: KeyProblems = { unknown: [], plainSecrets: [] },
): StackConfig {
    const result = stackSchema.safeParse(raw, PARSE_OPTIONS);
    const problems = [
        ...keyProblemLines(file, keys),
        ...(result.success
            ? crossCheck(result.data, catalogue).map((p) => `${file}: ${p}`)
            : [
                  ...formatIssues(file, result.error).split("\n"),
                  // Known before the rest parses: reported with the schema's problems, not after.
                  ...unknownDistros(raw.distros, catalogue).map((p) => `${file}: ${p}`),
              ]),
    ];
    if (problems.length > 0 || !result.success) {
        throw new Error(`invalid stack config\n${problems.join("\n")}`);
    }
    return result.data;
}

/**
 * Catalogue keys that were renamed to the one naming scheme, `<distro><major>` (alma9, rocky9):
 * a stack file that still uses an old key is told the new one.
 */
export const RENAMED_DISTROS: Readonly<Record<string, string>> = { al8: "alma8", rl8: "rocky8" };

/** `distros.<key>: unknown distro` for each key the catalogue lacks. */
function unknownDistros(distros: unknown, catalogue: Catalogue): string[] {
    if (distros === null || typeof distros !== "object") return [];
    const known = [...catalogue.keys()].join(", ");
    return Object.keys(distros)
        .filter((key) => !catalogue.has(key))
        .map((key) =>
            RENAMED_DISTROS[key]
                ? `distros.${key}: renamed to ${RENAMED_DISTROS[key]}: rename the key in the stack file (its images get the new build keys and names, so they are built and tested anew)`
                : `distros.${key}: unknown distro "${key}" (the catalogue has: ${known})`,
        );
}

/**
 * Checks that need the catalogue (known distros and arches, builders present, pointers valid) or
 * the day (no expired known-flaky entry).
 */
export function crossCheck(cfg: StackConfig, catalogue: Catalogue, today = todayUtc()): string[] {
    const problems: string[] = [...expiredFlaky(cfg.testing.knownFlaky, today)];
    problems.push(...unknownDistros(cfg.distros, catalogue));
    for (const [key, d] of Object.entries(cfg.distros)) {
        const at = `distros.${key}`;
        const entry = catalogue.get(key);
        if (!entry) continue;
        const arches = entry.arches.map((a) => a.arch);
        for (const arch of d.arches ?? []) {
            if (!arches.includes(arch)) {
                problems.push(
                    `${at}.arches: ${key} is not built for ${arch} (catalogue: ${arches.join(", ")})`,
                );
            }
        }
        if (new Set(d.releases).size !== d.releases.length) {
            problems.push(`${at}.releases: a release is listed twice`);
        }
        const kept = keptReleases(d);
        if (d.promote !== undefined && !kept.includes(d.promote)) {
            problems.push(
                `${at}.promote: ${d.promote} is not one of the kept releases (${kept.join(", ")})`,
            );
        }
        if (d.promote !== undefined && releaseSet(d).skipped.includes(d.promote)) {
            problems.push(
                `${at}.promote: ${d.promote} is skipped (same vendor version as the release before it)`,
            );
        }
        if (useCasesFor(entry, cfg).length === 0) {
            problems.push(
                `${at}: none of its use cases (${entry.useCases.join(", ")}) is in testing.useCases`,
            );
        }
        problems.push(...backendOf(entry).missingSettings(entry, cfg.builders, d, kept));
    }
    const physical = cfg.testing.useCases.filter(isPhysical);
    if (physical.length > 0 && cfg.testing.backend === "nova" && !cfg.testing.flavors?.physical) {
        problems.push(`testing.flavors.physical: required by the use cases ${physical.join(", ")}`);
    }
    if (cfg.testing.backend === "nova") {
        for (const field of ["flavors", "network", "keyPair"] as const) {
            if (cfg.testing[field] === undefined)
                problems.push(`testing.${field}: required by the nova backend`);
        }
    }
    if (cfg.testing.useCases.some(isManaged) && !cfg.testing.agent) {
        problems.push("testing.agent: required by the managed use cases");
    }
    return problems;
}

/** The Pulumi project name: the namespace of every config key. */
export const PROJECT = "os-image-pipeline";
