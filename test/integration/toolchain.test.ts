import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { engineEnv, ROOT } from "../../scripts/dev/engineWorkspace";

const PLUGINS = { command: "1.2.1", openstack: "5.5.1", docker: "4.11.0" };

function run(cmd: string, args: string[], env: Record<string, string>, cwd = ROOT) {
    const r = spawnSync(cmd, args, { cwd, env: { ...process.env, ...env }, encoding: "utf8" });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("the toolchain this checkout runs with (.toolchain/)", function () {
    this.timeout(120000);
    const env = engineEnv("/nonexistent");

    it("`pulumi version` is v3.248.0, the language host too, and @pulumi/pulumi is 3.248.0", () => {
        assert.strictEqual(run("pulumi", ["version"], env).stdout.trim(), "v3.248.0");
        const host = run("pulumi-language-nodejs", ["-version"], env);
        assert.strictEqual(host.stdout.trim(), "v3.248.0", host.stderr);
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        assert.strictEqual(require("@pulumi/pulumi/package.json").version, "3.248.0");
    });

    it("`pulumi plugin ls` shows command, openstack and docker at exactly their SDKs' versions", () => {
        const ls = run("pulumi", ["plugin", "ls", "--json"], env);
        assert.strictEqual(ls.code, 0, ls.stderr);
        const plugins = (JSON.parse(ls.stdout) as { name: string; kind: string; version: string }[])
            .filter((p) => p.kind === "resource")
            .map((p) => `${p.name} ${p.version}`)
            .sort();
        assert.deepStrictEqual(
            plugins,
            Object.entries(PLUGINS)
                .map(([n, v]) => `${n} ${v}`)
                .sort(),
        );
        for (const name of Object.keys(PLUGINS)) {
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const sdk = require(`@pulumi/${name}/package.json`) as { version: string };
            assert.strictEqual(sdk.version, PLUGINS[name as keyof typeof PLUGINS], name);
        }
    });

    it("a second set-up is a no-op that says so", () => {
        const r = run("bash", ["scripts/ci/toolchain/build.sh"], {});
        assert.strictEqual(r.code, 0, r.stderr);
        for (const [name, version] of Object.entries(PLUGINS))
            assert.match(r.stderr, new RegExp(`plugin ${name} ${version}: installed`));
        assert.match(r.stderr, /ready in \d+s: v3\.248\.0/);
    });

    it("uses what a connected machine already installed: pulumi on PATH and plugins in ~/.pulumi", () => {
        // Another checkout, with a user's Pulumi home holding the three plugins.
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "osip-installed-"));
        try {
            const checkout = path.join(dir, "checkout");
            fs.mkdirSync(path.join(checkout, "scripts", "ci"), { recursive: true });
            fs.cpSync(
                path.join(ROOT, "scripts", "ci", "toolchain"),
                path.join(checkout, "scripts", "ci", "toolchain"),
                {
                    recursive: true,
                },
            );
            fs.copyFileSync(path.join(ROOT, "package.json"), path.join(checkout, "package.json"));
            const userHome = path.join(dir, "user-pulumi");
            for (const [name, version] of Object.entries(PLUGINS)) {
                const d = path.join(userHome, "plugins", `resource-${name}-v${version}`);
                fs.mkdirSync(d, { recursive: true });
                fs.symlinkSync(
                    path.join(
                        ROOT,
                        ".toolchain",
                        "home",
                        "plugins",
                        `resource-${name}-v${version}`,
                        `pulumi-resource-${name}`,
                    ),
                    path.join(d, `pulumi-resource-${name}`),
                );
            }
            const r = run(
                "bash",
                ["scripts/ci/toolchain/build.sh"],
                {
                    PATH: env.PATH,
                    PULUMI_HOME: userHome,
                    // Nothing may be built: no archives, no Go.
                    OSIP_THIRD_PARTY: path.join(dir, "no-archives"),
                },
                checkout,
            );
            assert.strictEqual(r.code, 0, r.stderr);
            assert.match(r.stderr, /using the installed pulumi .*\.toolchain\/bin\/pulumi/);
            for (const [name, version] of Object.entries(PLUGINS))
                assert.match(
                    r.stderr,
                    new RegExp(
                        `plugin ${name} ${version}: using ${userHome}/plugins/resource-${name}-v${version}/`,
                    ),
                );
            for (const [name, version] of Object.entries(PLUGINS))
                assert.ok(
                    fs.existsSync(
                        path.join(
                            checkout,
                            ".toolchain",
                            "home",
                            "plugins",
                            `resource-${name}-v${version}`,
                            `pulumi-resource-${name}`,
                        ),
                    ),
                    name,
                );
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
