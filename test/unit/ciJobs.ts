// Helpers of the CI tests: GitLab's `rules: if:` expressions evaluated, and a job script run
// with stand-in commands first on PATH.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.join(__dirname, "..", "..");

/**
 * GitLab's CI/CD variable expressions as this project writes them: `$VAR`, "strings", `==`, `!=`,
 * `&&`, `||` and parentheses; an unset variable is null, a set one is true when not empty.
 */
export function evaluateRule(expression: string, vars: Record<string, string>): boolean {
    const tokens = expression.match(/\$\w+|"[^"]*"|==|!=|&&|\|\||[()]/g) ?? [];
    let at = 0;
    const value = (): string | null | boolean => {
        const t = tokens[at++];
        if (t === "(") {
            const v = or();
            at++; // ")"
            return v;
        }
        if (t.startsWith("$")) return vars[t.slice(1)] ?? null;
        return t.slice(1, -1);
    };
    const comparison = (): boolean => {
        const left = value();
        const op = tokens[at];
        if (op !== "==" && op !== "!=")
            return typeof left === "string" ? left !== "" : left === true;
        at++;
        const right = value();
        return (left === right) === (op === "==");
    };
    const and = (): boolean => {
        let v = comparison();
        while (tokens[at] === "&&") {
            at++;
            v = comparison() && v;
        }
        return v;
    };
    const or = (): boolean => {
        let v = and();
        while (tokens[at] === "||") {
            at++;
            v = and() || v;
        }
        return v;
    };
    const result = or();
    if (at !== tokens.length) throw new Error(`cannot evaluate ${expression}`);
    return result;
}

/** Runs a job script with stand-ins first on PATH; returns its status, output and the calls. */
export function runJob(
    script: string,
    env: Record<string, string>,
    standIns: Record<string, string>,
    args: string[] = [],
) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "osip-job-"));
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    const calls = path.join(dir, "calls");
    for (const [name, body] of Object.entries(standIns)) {
        const file = path.join(bin, name);
        fs.writeFileSync(file, `#!/usr/bin/env bash\necho "${name} $*" >>"${calls}"\n${body}\n`);
        fs.chmodSync(file, 0o755);
    }
    const r = spawnSync("bash", [path.join(ROOT, "scripts", "ci", "jobs", script), ...args], {
        env: {
            ...process.env,
            PATH: `${bin}:${process.env.PATH ?? ""}`,
            OSIP_USE_PATH_PULUMI: "1",
            OSIP_JOB_OUT: path.join(dir, "out"),
            ...env,
        },
        encoding: "utf8",
        timeout: 240_000,
    });
    const read = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, "utf8") : "");
    return { ...r, dir, out: path.join(dir, "out"), calls: read(calls).trim().split("\n") };
}
