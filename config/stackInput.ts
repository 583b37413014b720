// How a stack's config is read: by the program from the engine, by the plan command and the lab
// driver from the stack file, both judged the same way, then checked by loadStack.
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { Catalogue, loadCatalogue } from "../distros/catalogue";
import { kickstartsFor, validateKickstarts } from "../distros/kickstarts";
import {
    CONFIG_KEYS,
    KeyProblems,
    keyProblems,
    parseStackConfig,
    PROJECT,
    StackConfig,
} from "./schema";

/** A stack's config as one of its readers got it, before parsing. */
export interface StackInput {
    /** The stack file, as error messages name it: `stacks/Pulumi.<stack>.yaml`. */
    file: string;
    /** The settings (CONFIG_KEYS) that are present. */
    raw: Record<string, unknown>;
    /** Keys that are neither a setting nor a secret, and secrets in clear text. */
    keys: KeyProblems;
}

/**
 * The stack's config as the program gets it from the engine. Its keys are judged as the plan
 * command judges them (`readStackFile`): whether a secret is encrypted is read off the stack file.
 */
export function readEngineConfig(config: pulumi.Config, stack: string): StackInput {
    const file = stackFilePath(stack);
    // A key the file does not hold came from elsewhere (an environment, --config): not judged.
    const inFile = fs.existsSync(file) ? readStackFile(".", stack).encrypted : new Map();
    const keys = keyProblems(
        Object.keys(pulumi.runtime.allConfig())
            .filter((k) => k.startsWith(`${PROJECT}:`))
            .map((k) => k.slice(PROJECT.length + 1))
            .map((k) => [k, inFile.get(k) ?? true]),
    );
    const raw: Record<string, unknown> = {};
    for (const key of CONFIG_KEYS) {
        try {
            const value = config.getObject<unknown>(key);
            if (value !== undefined) raw[key] = value;
        } catch (e) {
            throw new Error(`${file}: ${key}: ${(e as Error).message}`);
        }
    }
    return { file, raw, keys };
}

/**
 * The stack's settings as a preview's events carry them (the engine's prelude: `project:key` →
 * value, objects as JSON): what the merge request's note plans from, so that it shows the config
 * that was previewed. Secrets are not read; whether they are encrypted is the program's check.
 */
export function readPreludeConfig(config: Record<string, string>, stack: string): StackInput {
    const file = stackFilePath(stack);
    const raw: Record<string, unknown> = {};
    for (const key of CONFIG_KEYS) {
        const value = config[`${PROJECT}:${key}`];
        if (value === undefined) continue;
        try {
            raw[key] = JSON.parse(value) as unknown;
        } catch {
            raw[key] = value;
        }
    }
    return { file, raw, keys: keyProblems([]) };
}

/** Secrets of the stack, only ever read through the secret getters. */
export interface StackSecrets {
    /** Password per phase for clouds.yaml entries that carry none. */
    cloudPasswords?: pulumi.Output<{ test?: string; production?: string }>;
    /** Private key matching `testing.keyPair`, for the SSH of the test runs. */
    sshPrivateKey?: pulumi.Output<string>;
    /** Bearer token of the vendor image downloads (RHEL subscription). */
    vendorToken?: pulumi.Output<string>;
    /** `user:token` per registry that needs a login; the others are used anonymously. */
    registryAuth?: pulumi.Output<RegistryCredentials>;
}

/** Login of each registry, as `user:token`. */
export interface RegistryCredentials {
    internal?: string;
    public?: string;
}

export function readSecrets(config: pulumi.Config): StackSecrets {
    return {
        cloudPasswords: config.getSecretObject<{ test?: string; production?: string }>(
            "cloudPasswords",
        ),
        sshPrivateKey: config.getSecret("sshPrivateKey"),
        vendorToken: config.getSecret("vendorToken"),
        registryAuth: config.getSecretObject<RegistryCredentials>("registryAuth"),
    };
}

/**
 * Everything that can be checked without a cloud, as the program, the plan and the lab driver all
 * check it: the catalogue, the stack config (every problem at once) and the kickstarts.
 */
export function loadStack(input: StackInput): { catalogue: Catalogue; stack: StackConfig } {
    const catalogue = loadCatalogue();
    const stack = parseStackConfig(input.raw, input.file, catalogue, input.keys);
    validateKickstarts(kickstartsFor(Object.keys(stack.distros), catalogue));
    return { catalogue, stack };
}

/** Reads stacks/Pulumi.<stack>.yaml under `root` as the CLI hands it to the program (keys unprefixed). */
export function readStackFile(
    root: string,
    stack: string,
): StackInput & { encrypted: Map<string, boolean> } {
    const file = stackFilePath(stack);
    const full = path.join(root, file);
    if (!fs.existsSync(full)) throw new Error(`${file}: no such stack file`);
    return parseStackText(file, fs.readFileSync(full, "utf8"));
}

/** A stack file's text as readStackFile reads it (the release bump judges its result so). */
export function parseStackText(
    file: string,
    text: string,
): StackInput & { encrypted: Map<string, boolean> } {
    const doc = (parseYaml(text) ?? {}) as {
        config?: Record<string, unknown>;
    };
    const raw: Record<string, unknown> = {};
    const encrypted = new Map<string, boolean>();
    for (const [k, v] of Object.entries(doc.config ?? {})) {
        if (!k.startsWith(`${PROJECT}:`)) continue;
        const key = k.slice(PROJECT.length + 1);
        encrypted.set(key, isEncrypted(v));
        if ((CONFIG_KEYS as readonly string[]).includes(key)) raw[key] = v;
    }
    return { file, raw, keys: keyProblems([...encrypted]), encrypted };
}

/** The stack file of a stack, relative to the project: `stacks/Pulumi.<stack>.yaml`. */
export function stackFilePath(stack: string): string {
    return path.join("stacks", `Pulumi.${stack}.yaml`);
}

/** `{secure: ...}` as `pulumi config set --secret` writes it, at the top or anywhere below. */
function isEncrypted(v: unknown): boolean {
    if (v === null || typeof v !== "object") return false;
    const o = v as Record<string, unknown>;
    if (typeof o.secure === "string") return true;
    const values = Object.values(o);
    return values.length > 0 && values.every(isEncrypted);
}
