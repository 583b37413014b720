import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as path from "path";
import { UseCase } from "../distros/schema";
import { USE_CASE_SPECS } from "../model/useCases";

const SUITES_DIR = path.join(__dirname, "..", "suites");
/** Where the suites are unpacked on the machine under test. */
export const REMOTE_SUITES = "/tmp/osimages-suites";

let archive: string | undefined;

/**
 * The suites as a base64 tar.gz, handed to the run on stdin: a tarball keeps the executable bits
 * the runner relies on, and it is byte-stable (sorted, no times or owners), so the runs re-run
 * only when a suite really changed. Packed once per program run.
 */
export function suitesArchive(): string {
    archive ??= execFileSync(
        "sh",
        [
            "-c",
            // Modes normalised too: a checkout's umask must not look like changed suites.
            'tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --mode=u=rwX,go=rX --exclude="*~" -C "$1" -cf - . | gzip -n | base64 -w0',
            "sh",
            SUITES_DIR,
        ],
        { encoding: "utf8", maxBuffer: 16 * 1024 * 1024 },
    );
    return archive;
}

/** Short digest of the suites, to tell when tests must run again. */
export function suitesDigest(): string {
    return crypto.createHash("sha256").update(suitesArchive()).digest("hex").slice(0, 16);
}

export interface TestRunArgs {
    /** Address of the machine under test. */
    host: pulumi.Input<string>;
    port: pulumi.Input<number>;
    /** Login user of the image. */
    user: string;
    /** Private key of the test key pair (secret). */
    privateKey: pulumi.Input<string>;
    /** Use case: decides which suites run. */
    useCase: UseCase;
    /** Site facts handed to the suites (SITE_DNS, SITE_NTP_SERVER, ...). */
    siteEnvironment: Record<string, string>;
    /** How long the suites may take. */
    suiteTimeout: string;
}

/** The line the run prints between its results and its JUnit report. */
const JUNIT_MARKER = "--- junit";

/** A run's output split where its JUnit report starts (the results, then the report if any). */
export function splitRunOutput(output: string): { log: string; junit?: string } {
    const [log, junit] = output.split(`\n${JUNIT_MARKER}\n`);
    return { log, junit };
}

/** Single-quotes a value for sh. */
export function shellQuote(value: string): string {
    return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * The remote command: unpack the suites from stdin, run the use case's suites, print the JUnit
 * report. A failed image (runner exit 1) is a result, recorded as failed evidence by ImageTest;
 * anything else (infrastructure failures only, no runner, no SSH) fails the run, so that the next
 * `up` runs it again.
 */
export function suiteCommand(useCase: UseCase, siteEnvironment: Record<string, string>): string {
    const env = Object.entries(siteEnvironment)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => `${k}=${shellQuote(v)}`);
    const suites = USE_CASE_SPECS[useCase].suites.map((s) => `${REMOTE_SUITES}/${s}`);
    const junit = "/tmp/osimages-junit.xml";
    return [
        `rm -rf ${REMOTE_SUITES} && mkdir -p ${REMOTE_SUITES} && base64 -d | tar -xzf - -C ${REMOTE_SUITES} || exit 2`,
        `sudo env OSIP_USE_CASE=${useCase} ${env.join(" ")} bash ${REMOTE_SUITES}/runtests.sh --junit ${junit} ${suites.join(" ")}`,
        "rc=$?",
        `echo '${JUNIT_MARKER}'; cat ${junit}`,
        '[ "$rc" -eq 1 ] && rc=0',
        "exit $rc",
    ].join("; ");
}

/** Runner summary (`[=] N passed, ...`) out of the run's output. */
export function parseSummary(stdout: string): string {
    const line = stdout.split("\n").find((l) => l.startsWith("[=] "));
    return line ? line.slice(4).trim() : "no summary";
}

/** The tests the runner reports as image failures (`[+] suite/test ... FAIL (image)`). */
export function failedTests(stdout: string): string[] {
    return [...stdout.matchAll(/^\[\+\] (\S+) \.\.\. FAIL \(image\)/gm)].map((m) => m[1]);
}

/** Runs a use case's suites on a test machine over SSH; ImageTest judges the result. */
export class TestRun extends pulumi.ComponentResource {
    /** The runner's summary line. */
    public readonly summary: pulumi.Output<string>;
    /** The runner's whole output: results, then the JUnit report after `--- junit`. */
    public readonly output: pulumi.Output<string>;

    constructor(name: string, args: TestRunArgs, opts?: pulumi.ComponentResourceOptions) {
        super("osimages:test:TestRun", name, {}, opts);
        const connection = {
            host: args.host,
            port: args.port,
            user: args.user,
            privateKey: args.privateKey,
            // The machine is usable already (TestInstance waited for SSH and cloud-init); keep
            // dialling through a passing outage, within the suite timeout.
            dialErrorLimit: -1,
            perDialTimeout: 30,
        };
        const run = new command.remote.Command(
            `${name}-run`,
            {
                connection,
                create: suiteCommand(args.useCase, args.siteEnvironment),
                stdin: suitesArchive(),
            },
            { parent: this, customTimeouts: { create: args.suiteTimeout } },
        );
        this.output = run.stdout;
        this.summary = run.stdout.apply(parseSummary);
        this.registerOutputs({ summary: this.summary });
    }
}
