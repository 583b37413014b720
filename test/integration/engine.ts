// Drives the real Pulumi CLI and Node.js language host built by scripts/toolchain/build.sh
// against a file:// backend, on a scratch copy of this project (so test stacks never land in stacks/).
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stringify } from "yaml";

export const ROOT = path.join(__dirname, "..", "..");

const PROJECT_FILES = [
    "Pulumi.yaml",
    "package.json",
    "tsconfig.json",
    "index.ts",
    "config.ts",
    "components",
    "distros",
    "scripts",
    "suites",
];

/** Where build.sh caches the toolchain (bin/ and the PULUMI_HOME with plugins/). */
export function toolchainDir(): string {
    const out = spawnSync(
        "bash",
        ["-c", `source ${ROOT}/scripts/toolchain/lib.sh && echo "$TOOLCHAIN_DIR"`],
        { encoding: "utf8" },
    );
    if (out.status !== 0) throw new Error(`cannot read the toolchain location: ${out.stderr}`);
    return out.stdout.trim();
}

export interface CliResult {
    status: number;
    stdout: string;
    stderr: string;
    /** stdout and stderr together, for messages that may go to either. */
    output: string;
}

export class EngineProject {
    readonly dir: string;
    private readonly env: NodeJS.ProcessEnv;

    constructor() {
        this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "osip-engine-"));
        for (const f of PROJECT_FILES)
            fs.cpSync(path.join(ROOT, f), path.join(this.dir, f), { recursive: true });
        fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(this.dir, "node_modules"));
        fs.mkdirSync(path.join(this.dir, "stacks"));
        const toolchain = toolchainDir();
        if (!fs.existsSync(path.join(toolchain, "bin", "pulumi"))) {
            throw new Error(
                `no Pulumi toolchain at ${toolchain}: run scripts/toolchain/build.sh (npm run toolchain)`,
            );
        }
        this.env = {
            ...process.env,
            PATH: `${path.join(toolchain, "bin")}:${process.env.PATH}`,
            PULUMI_HOME: toolchain,
            PULUMI_BACKEND_URL: `file://${path.join(this.dir, ".state")}`,
            PULUMI_CONFIG_PASSPHRASE: "integration-test",
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            PULUMI_DISABLE_REGISTRY_RESOLVE: "true",
            PULUMI_IGNORE_AMBIENT_PLUGINS: "true",
            NO_COLOR: "1",
        };
        fs.mkdirSync(path.join(this.dir, ".state"));
    }

    /** Writes stacks/Pulumi.<stack>.yaml with the given config (keys without the project prefix). */
    writeStack(stack: string, config: Record<string, unknown>): string {
        const doc = {
            config: Object.fromEntries(
                Object.entries(config).map(([k, v]) => [`os-image-pipeline:${k}`, v]),
            ),
        };
        const file = path.join(this.dir, "stacks", `Pulumi.${stack}.yaml`);
        fs.writeFileSync(file, stringify(doc));
        return file;
    }

    pulumi(...args: string[]): CliResult {
        const r = spawnSync("pulumi", [...args, "--non-interactive"], {
            cwd: this.dir,
            env: this.env,
            encoding: "utf8",
            timeout: 300000,
        });
        return {
            status: r.status ?? -1,
            stdout: r.stdout,
            stderr: r.stderr,
            output: `${r.stdout}\n${r.stderr}`,
        };
    }

    /** Whether a provider plugin of that exact version is installed in the toolchain's PULUMI_HOME. */
    hasPlugin(name: string, version: string): boolean {
        return fs.existsSync(
            path.join(this.env.PULUMI_HOME!, "plugins", `resource-${name}-v${version}`),
        );
    }

    /** The stack's state as `pulumi stack export` prints it. */
    resources(stack: string): { type: string; urn: string }[] {
        const r = this.pulumi("stack", "export", "--stack", stack);
        if (r.status !== 0) throw new Error(r.output);
        return (
            (
                JSON.parse(r.stdout) as {
                    deployment: { resources?: { type: string; urn: string }[] };
                }
            ).deployment.resources ?? []
        );
    }

    remove(): void {
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}
