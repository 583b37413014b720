import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { backendOf } from "../model/backends";
import { DistroEntry, distroEntrySchema, formatIssues, PARSE_OPTIONS } from "./schema";

/** Where the shipped catalogue, kickstarts and customisation scripts live. */
export const DISTROS_DIR = __dirname;

export type Catalogue = ReadonlyMap<string, DistroEntry>;

/** Validates one parsed catalogue file; throws naming the file and the field. */
export function parseEntry(file: string, raw: unknown, distrosDir = DISTROS_DIR): DistroEntry {
    const result = distroEntrySchema.safeParse(raw, PARSE_OPTIONS);
    if (!result.success) {
        throw new Error(`invalid catalogue entry\n${formatIssues(file, result.error)}`);
    }
    const entry = result.data;
    const expectedKey = path.basename(file, ".yaml");
    if (entry.key !== expectedKey) {
        throw new Error(`${file}: key: "${entry.key}" must equal the file name "${expectedKey}"`);
    }
    const referenced = backendOf(entry).referencedFile(entry);
    if (referenced && !fs.existsSync(path.join(distrosDir, referenced.dir, referenced.name))) {
        throw new Error(
            `${file}: build.${referenced.field}: ${referenced.dir}/${referenced.name} does not exist`,
        );
    }
    return entry;
}

/** Loads every `<key>.yaml` of a catalogue directory, validated, keyed by distro key. */
export function loadCatalogue(distrosDir = DISTROS_DIR): Catalogue {
    const dir = path.join(distrosDir, "catalogue");
    const entries = new Map<string, DistroEntry>();
    for (const name of fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".yaml"))
        .sort()) {
        const file = path.join(path.basename(distrosDir), "catalogue", name);
        let raw: unknown;
        try {
            raw = parseYaml(fs.readFileSync(path.join(dir, name), "utf8"));
        } catch (e) {
            throw new Error(`${file}: not valid YAML: ${(e as Error).message}`);
        }
        const entry = parseEntry(file, raw, distrosDir);
        entries.set(entry.key, entry);
    }
    return entries;
}
