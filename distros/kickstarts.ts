import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { Catalogue, DISTROS_DIR } from "./catalogue";

const VALIDATE = path.join(__dirname, "..", "scripts", "program", "validate-kickstarts.sh");

export interface KickstartCheck {
    distro: string;
    /** Path of the kickstart file. */
    file: string;
    /** pykickstart version, e.g. RHEL9. */
    version: string;
}

/** The kickstarts of the enabled Koji-built distros. */
export function kickstartsFor(
    distros: string[],
    catalogue: Catalogue,
    distrosDir = DISTROS_DIR,
): KickstartCheck[] {
    return distros.flatMap((key) => {
        const build = catalogue.get(key)?.build;
        return build?.backend === "koji"
            ? [
                  {
                      distro: key,
                      file: path.join(distrosDir, "kickstarts", build.kickstart),
                      version: build.ksVersion,
                  },
              ]
            : [];
    });
}

/**
 * Validates kickstarts before anything is built, with the one check the script, the plan and the
 * program share (scripts/program/validate-kickstarts.sh: ksvalidator -v <version> and the site
 * rules, one process for all files). Throws naming each bad file and what is wrong with it.
 */
export function validateKickstarts(checks: KickstartCheck[], validator = VALIDATE): void {
    if (checks.length === 0) return;
    const missing = checks
        .filter((c) => !fs.existsSync(c.file))
        .map((c) => `${c.file}: missing (kickstart of ${c.distro})`);
    if (missing.length > 0) throw new Error(`kickstart validation failed\n${missing.join("\n")}`);
    try {
        execFileSync("bash", [validator, ...checks.flatMap((c) => [c.version, c.file])], {
            encoding: "utf8",
            stdio: ["ignore", "pipe", "pipe"],
        });
    } catch (e) {
        const err = e as { stdout?: string; stderr?: string };
        // The validator's lines about failing files; its "ok" lines and counts say nothing here.
        const problems = `${err.stdout ?? ""}${err.stderr ?? ""}`
            .split("\n")
            .filter((l) => l.trim() !== "" && !/^(ok |FAIL |\d+ passed, \d+ failed$)/.test(l));
        throw new Error(`kickstart validation failed\n${problems.join("\n") || String(e)}`);
    }
}
