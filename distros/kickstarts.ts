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

/** Directives an image kickstart must have, beyond what the validator checks. */
const REQUIRED = [
    {
        pattern: /^bootloader\b.*console=ttyS0/m,
        what: "bootloader with console=ttyS0 (the cloud reads the serial console)",
    },
    { pattern: /^network\b.*--bootproto=dhcp/m, what: "network --bootproto=dhcp" },
    { pattern: /^rootpw\s+--lock/m, what: "rootpw --lock (no root password in a shared image)" },
    {
        pattern: /^%packages\b[\s\S]*?^cloud-init\s*$[\s\S]*?^%end/m,
        what: "cloud-init in %packages",
    },
    {
        pattern: /^(shutdown|poweroff)\s*$/m,
        what: "shutdown or poweroff (Koji waits for the VM to stop)",
    },
];

/** Site rules for image kickstarts; returns one problem per missing directive. */
export function kickstartProblems(text: string): string[] {
    return REQUIRED.filter((r) => !r.pattern.test(text)).map((r) => `missing ${r.what}`);
}

/**
 * Validates kickstarts before anything is built: site rules here, then pykickstart's
 * `ksvalidator -v <version>` (one process for all files). Throws naming each bad file.
 */
export function validateKickstarts(checks: KickstartCheck[], validator = VALIDATE): void {
    if (checks.length === 0) return;
    const problems: string[] = [];
    for (const c of checks) {
        if (!fs.existsSync(c.file)) {
            problems.push(`${c.file}: missing (kickstart of ${c.distro})`);
            continue;
        }
        problems.push(
            ...kickstartProblems(fs.readFileSync(c.file, "utf8")).map((p) => `${c.file}: ${p}`),
        );
    }
    if (problems.length === 0) {
        try {
            execFileSync("bash", [validator, ...checks.flatMap((c) => [c.version, c.file])], {
                encoding: "utf8",
                stdio: ["ignore", "pipe", "pipe"],
            });
        } catch (e) {
            const err = e as { stdout?: string; stderr?: string };
            problems.push(`${err.stdout ?? ""}${err.stderr ?? ""}`.trim() || String(e));
        }
    }
    if (problems.length > 0) throw new Error(`kickstart validation failed\n${problems.join("\n")}`);
}
