// Picks up after a killed `pulumi up` of a lab stack (file:// backend), before the next one runs:
// - stops the language host and provider processes the kill left running in this checkout;
// - removes the stack's lock when no `pulumi` process of this checkout holds it any more;
// - when the state kept pending operations: deletes the Glance images that an interrupted upload
//   left in `queued`/`saving` (ours: they carry osimages_build_key; unknown to the state), then
//   `pulumi refresh --clear-pending-creates`, so the next update creates each image exactly once.
// Usage: lab-recover.ts STACK   in the project directory (environment: PULUMI_BACKEND_URL,
// OS_CLIENT_CONFIG_FILE)
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { loadStack, readStackFile } from "../../config";

/** The project directory: where Pulumi ran the killed update. */
const PROJECT = fs.realpathSync(process.cwd());

const log = (m: string) =>
    console.error(`[lab-recover ${new Date().toTimeString().slice(0, 8)}] ${m}`);

/** Processes whose working directory is the project, with their command name. */
function processesHere(): { pid: number; comm: string }[] {
    const found: { pid: number; comm: string }[] = [];
    for (const entry of fs.readdirSync("/proc")) {
        const pid = Number(entry);
        if (!Number.isInteger(pid) || pid === process.pid) continue;
        try {
            if (fs.readlinkSync(`/proc/${pid}/cwd`) !== PROJECT) continue;
            found.push({ pid, comm: fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim() });
        } catch {
            // gone, or not ours to read
        }
    }
    return found;
}

function sh(cmd: string, args: string[]): string {
    return execFileSync(cmd, args, {
        cwd: PROJECT,
        encoding: "utf8",
        maxBuffer: 256 * 1024 * 1024,
    });
}

interface Exported {
    deployment?: {
        resources?: { type: string; id?: string }[];
        pending_operations?: { type: string; resource: { type: string; urn: string } }[];
    };
}

/** Our images that an interrupted upload left behind: not in the state, never finished. */
function orphanImages(cloud: string, known: Set<string>): { id: string; name: string }[] {
    const listed = JSON.parse(
        sh("openstack", ["--os-cloud", cloud, "image", "list", "--long", "-f", "json"]),
    ) as {
        ID: string;
        Name: string;
        Status: string;
    }[];
    return listed
        .filter((i) => ["queued", "saving", "importing"].includes(i.Status) && !known.has(i.ID))
        .filter((i) => {
            const shown = JSON.parse(
                sh("openstack", ["--os-cloud", cloud, "image", "show", "-f", "json", i.ID]),
            ) as {
                properties?: Record<string, unknown>;
            };
            return typeof shown.properties?.osimages_build_key === "string";
        })
        .map((i) => ({ id: i.ID, name: i.Name }));
}

function main(stack: string): void {
    const here = processesHere();
    const leftovers = here.filter((p) => /^pulumi-(resource|language)/.test(p.comm));
    const updating = here.some((p) => p.comm === "pulumi");
    if (updating) throw new Error(`a pulumi of this project is running: stop it first`);
    for (const p of leftovers) {
        log(`stopping ${p.comm} (${p.pid}), left running by a killed update`);
        process.kill(p.pid, "SIGTERM");
    }
    const backend = (process.env.PULUMI_BACKEND_URL ?? "").replace(/^file:\/\//, "");
    const locks = path.join(
        backend,
        ".pulumi",
        "locks",
        "organization",
        "os-image-pipeline",
        stack,
    );
    for (const lock of fs.existsSync(locks) ? fs.readdirSync(locks) : []) {
        log(`removing the lock of a killed update (${lock})`);
        fs.rmSync(path.join(locks, lock));
    }
    const state = JSON.parse(sh("pulumi", ["stack", "export", "--stack", stack])) as Exported;
    const pending = state.deployment?.pending_operations ?? [];
    if (pending.length === 0) return;
    log(`the last update was interrupted with ${pending.length} operation(s) in flight`);
    const { stack: cfg } = loadStack(readStackFile(PROJECT, stack));
    const known = new Set(
        (state.deployment?.resources ?? []).map((r) => r.id).filter((id): id is string => !!id),
    );
    for (const orphan of orphanImages(cfg.clouds.production.cloud, known)) {
        log(`deleting ${orphan.name} (${orphan.id}): an upload the killed update never finished`);
        sh("openstack", ["--os-cloud", cfg.clouds.production.cloud, "image", "delete", orphan.id]);
    }
    log("clearing the pending operations (pulumi refresh --clear-pending-creates)");
    sh("pulumi", [
        "refresh",
        "--yes",
        "--skip-preview",
        "--clear-pending-creates",
        "--stack",
        stack,
        "--non-interactive",
    ]);
}

if (require.main === module) {
    try {
        main(process.argv[2] ?? "lab");
    } catch (e) {
        log((e as Error).message);
        process.exit(1);
    }
}
