// The real engine for integration tests and benchmarks: the Pulumi CLI, language host and provider plugins that
// scripts/ci/toolchain/build.sh set up in .toolchain/, driven through the Automation API on a
// scratch copy of this project (its own Pulumi.yaml) with a throw-away file:// backend.
import {
    InlineProgramArgs,
    LocalWorkspace,
    PulumiCommand,
    PulumiFn,
    Stack,
} from "@pulumi/pulumi/automation";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stringify } from "yaml";

export const ROOT = path.join(__dirname, "..", "..");
const TOOLCHAIN = path.join(ROOT, ".toolchain");

/** What the scratch copy leaves out: checkouts' state, the tests, and the stacks (tests write their own). */
const NOT_COPIED = new Set([
    ".git",
    "node_modules",
    ".toolchain",
    ".state",
    ".lab",
    "stacks",
    "test",
]);

/** The environment of every engine run: offline, project-local plugins, a file:// backend. */
export function engineEnv(stateDir: string): Record<string, string> {
    return {
        PATH: `${path.join(TOOLCHAIN, "bin")}:${process.env.PATH}`,
        PULUMI_HOME: path.join(TOOLCHAIN, "home"),
        PULUMI_BACKEND_URL: `file://${stateDir}`,
        PULUMI_CONFIG_PASSPHRASE: "integration-test",
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_DISABLE_REGISTRY_RESOLVE: "true",
        PULUMI_IGNORE_AMBIENT_PLUGINS: "true",
        NO_COLOR: "1",
    };
}

/** A scratch copy of the project, so test stacks never land in stacks/ or .state/. */
export class ScratchProject {
    readonly dir: string;
    readonly stateDir: string;
    /** What every engine run of this project gets (engineEnv, plus the caller's). */
    readonly env: Record<string, string>;
    private command?: PulumiCommand;

    constructor(extraEnv: Record<string, string> = {}) {
        if (!fs.existsSync(path.join(TOOLCHAIN, "bin", "pulumi"))) {
            throw new Error(
                `no Pulumi toolchain in ${TOOLCHAIN}: run scripts/ci/toolchain/build.sh`,
            );
        }
        this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "osip-engine-"));
        for (const f of fs.readdirSync(ROOT).filter((f) => !NOT_COPIED.has(f)))
            fs.cpSync(path.join(ROOT, f), path.join(this.dir, f), { recursive: true });
        fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(this.dir, "node_modules"));
        fs.mkdirSync(path.join(this.dir, "stacks"));
        this.stateDir = path.join(this.dir, ".state");
        fs.mkdirSync(this.stateDir);
        this.env = { ...engineEnv(this.stateDir), ...extraEnv };
    }

    /** Writes stacks/Pulumi.<stack>.yaml with the given config (keys without the project prefix). */
    writeStack(stack: string, config: Record<string, unknown>): void {
        const doc = {
            config: Object.fromEntries(
                Object.entries(config).map(([k, v]) => [`os-image-pipeline:${k}`, v]),
            ),
        };
        fs.writeFileSync(path.join(this.dir, "stacks", `Pulumi.${stack}.yaml`), stringify(doc));
    }

    private async options() {
        this.command ??= await PulumiCommand.get({ root: TOOLCHAIN, skipVersionCheck: false });
        return {
            workDir: this.dir,
            pulumiHome: this.env.PULUMI_HOME,
            pulumiCommand: this.command,
            envVars: this.env,
        };
    }

    /** A stack of the project's own program (index.ts). */
    async programStack(stackName: string): Promise<Stack> {
        return LocalWorkspace.createOrSelectStack(
            { stackName, workDir: this.dir },
            await this.options(),
        );
    }

    /** A stack whose program is given inline (a component built alone), same Pulumi.yaml. */
    async inlineStack(stackName: string, program: PulumiFn): Promise<Stack> {
        const args: InlineProgramArgs = { stackName, projectName: "os-image-pipeline", program };
        return LocalWorkspace.createOrSelectStack(args, await this.options());
    }

    remove(): void {
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

/** Resources of a stack's state as `pulumi stack export` has them, by type. */
export async function stateTypes(stack: Stack): Promise<string[]> {
    const state = await stack.exportStack();
    const resources = (state.deployment as { resources?: { type: string }[] }).resources ?? [];
    return resources.map((r) => r.type);
}

/** An error's whole text, as the CLI printed it (Automation API errors carry stdout and stderr). */
export function errorText(e: unknown): string {
    return String((e as { message?: string }).message ?? e);
}
