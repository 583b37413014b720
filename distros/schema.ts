import { z } from "zod";

/** CPU architectures an image can be built for (Glance `architecture` values). */
export const ARCHES = ["x86_64", "aarch64"] as const;
export type Arch = (typeof ARCHES)[number];

/** Firmware an image boots with (Glance `hw_firmware_type` values). */
export const BOOT_MODES = ["bios", "uefi"] as const;
export type BootMode = (typeof BOOT_MODES)[number];

/** The four test use cases: configuration-managed or not, on a VM or a bare-metal node. */
export const USE_CASES = [
    "unmanaged-virtual",
    "managed-virtual",
    "unmanaged-physical",
    "managed-physical",
] as const;
export type UseCase = (typeof USE_CASES)[number];

/** pykickstart handler versions accepted by `ksvalidator -v`. */
export const KICKSTART_VERSIONS = ["RHEL7", "RHEL8", "RHEL9", "RHEL10"] as const;

const key = z
    .string()
    .regex(/^[a-z][a-z0-9]*$/, "lower-case letters and digits, starting with a letter");

const archEntry = z.strictObject({
    /** The architecture. */
    arch: z.enum(ARCHES),
    /** Firmware variants built for this architecture; each becomes its own Glance image. */
    bootModes: z.array(z.enum(BOOT_MODES)).min(1),
});

const kojiBuild = z.strictObject({
    backend: z.literal("koji"),
    /** File name under distros/kickstarts/. */
    kickstart: z.string().regex(/^[a-z0-9-]+\.ks$/, "a file name like cs9.ks"),
    /** pykickstart version the kickstart is validated against. */
    ksVersion: z.enum(KICKSTART_VERSIONS),
});

const vendorBuild = z.strictObject({
    backend: z.literal("vendor"),
    /** Vendor image file name; `{arch}` and `{version}` are substituted. */
    imageTemplate: z.string().includes("{arch}"),
    /** Site fixes applied with virt-customize, a file under distros/customize/. */
    customize: z.string().regex(/^[a-z0-9-]+\.sh$/),
});

const localBuild = z.strictObject({
    backend: z.literal("local"),
    /** Debian suite the local builder bootstraps. */
    suite: z.string().min(1),
});

/** One distro release of the catalogue (a file distros/catalogue/<key>.yaml). */
export const distroEntrySchema = z.strictObject({
    /** Catalogue key; equals the file name. */
    key,
    /** Human name, used in image descriptions. */
    displayName: z.string().min(1),
    /** Glance name prefix: `CS9 - x86_64 [2026-11-01] TEST`. */
    shortName: z.string().regex(/^[A-Z][A-Z0-9]*$/, "upper-case, e.g. CS9"),
    /** Glance `os_distro` (libosinfo short id family). */
    osDistro: z.string().regex(/^[a-z]+$/),
    /** Glance `os_version`. */
    osVersion: z.string().regex(/^\d+(\.\d+)?$/),
    /** Default login user of the image (`os_admin_user`, `image_original_user`). */
    adminUser: z.string().regex(/^[a-z_][a-z0-9_-]*$/),
    arches: z
        .array(archEntry)
        .min(1)
        .superRefine((arches, ctx) => {
            const seen = new Set<string>();
            arches.forEach((a, i) => {
                if (seen.has(a.arch)) {
                    ctx.addIssue({
                        code: "custom",
                        path: [i, "arch"],
                        message: `duplicate arch ${a.arch}`,
                    });
                }
                seen.add(a.arch);
                if (a.arch === "aarch64" && a.bootModes.includes("bios")) {
                    ctx.addIssue({
                        code: "custom",
                        path: [i, "bootModes"],
                        message: "aarch64 boots with UEFI only",
                    });
                }
            });
        }),
    build: z.discriminatedUnion("backend", [kojiBuild, vendorBuild, localBuild]),
    /** Extra Glance properties, merged over the computed ones. */
    glanceProperties: z.record(z.string(), z.string()).default({}),
    /** Container image flavour built from the rootfs, or none. */
    container: z.enum(["base", "minimal", "none"]),
    /** Test use cases that apply to this distro. */
    useCases: z.array(z.enum(USE_CASES)).min(1),
    /** How often a new release is expected (`replace_frequency`). */
    replaceFrequency: z.enum(["monthly", "quarterly", "yearly", "never"]),
});

export type DistroEntry = z.infer<typeof distroEntrySchema>;
export type BuildSpec = DistroEntry["build"];

/** A value as an error message shows it: short, quoted like YAML would. */
function shown(v: unknown): string {
    if (v === undefined) return "nothing";
    const text = JSON.stringify(v) ?? String(v);
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

const TYPE_WORDS: Record<string, string> = {
    string: "a string",
    number: "a number",
    int: "a whole number",
    boolean: "true or false",
    object: "a mapping",
    array: "a list",
};

/** What the field expects: its description when the schema has one, else its type in words. */
function expected(issue: z.core.$ZodRawIssue): string {
    const type = TYPE_WORDS[String(issue.expected)] ?? String(issue.expected);
    const description = (issue.inst as z.ZodType | undefined)?.description;
    return description ? `${description} (${type})` : type;
}

/** Messages that say what was expected there and echo the value that was given instead. */
function explain(issue: z.core.$ZodRawIssue): string | undefined {
    switch (issue.code) {
        case "invalid_type":
            return issue.input === undefined
                ? `missing: expected ${expected(issue)}`
                : `expected ${expected(issue)}, got ${shown(issue.input)}`;
        case "invalid_value":
            return `expected one of ${(issue.values as unknown[]).map((v) => shown(v)).join(", ")}, got ${shown(issue.input)}`;
        case "unrecognized_keys":
            return `unknown key ${(issue.keys as string[]).map((k) => `"${k}"`).join(", ")}`;
        default:
            return undefined;
    }
}

/** Parse options for every file this project reads (catalogue entries, stack files). */
export const PARSE_OPTIONS = { error: explain, reportInput: true };

/** Formats zod issues as `file: path.to.field: message` lines, the bad value echoed. */
export function formatIssues(file: string, error: z.ZodError): string {
    return error.issues
        .map((issue) => {
            const where = issue.path.length > 0 ? issue.path.join(".") : "(root)";
            const input = (issue as { input?: unknown }).input;
            const echo =
                ["invalid_type", "invalid_value", "unrecognized_keys"].includes(issue.code) ||
                input === undefined ||
                typeof input === "object"
                    ? ""
                    : `, got ${shown(input)}`;
            return `${file}: ${where}: ${issue.message}${echo}`;
        })
        .join("\n");
}
