// Tests of suites/runtests.sh (the in-image test runner) with fixture suites in a temporary
// directory, plus a few of the real suite scripts that can run on this machine.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const SUITES = path.resolve(__dirname, "../../suites");
const RUNNER = path.join(SUITES, "runtests.sh");

const LINE =
    /^\[\+\] (\S+)\/(\S+) \.\.\. (PASS|SKIP|FAIL \((image|infra)\)) \((\d+\.\d\d)s\)(?:: (.*))?$/;
const SUMMARY = /^\[=\] (\d+) passed, (\d+) failed \((\d+) image, (\d+) infra\), (\d+) skipped$/;

interface RunResult {
    status: number | null;
    stdout: string;
    stderr: string;
    lines: string[];
    ms: number;
}

interface TestLine {
    suite: string;
    test: string;
    status: string;
    kind?: string;
    secs: number;
    detail?: string;
}

/** The caller's environment without any OSIP_/SITE_ setting that would change the results. */
function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const clean: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) {
        if (!/^(OSIP_|SITE_)|^KRB5_CONFIG$/.test(key)) clean[key] = value;
    }
    return { ...clean, OSIP_INFRA_RETRY_DELAY: "0", ...extra };
}

function run(
    command: string,
    args: string[],
    extra: Record<string, string> = {},
    input?: string,
): RunResult {
    const start = Date.now();
    const result = spawnSync(command, args, {
        env: env(extra),
        encoding: "utf8",
        input,
        timeout: 60_000,
    });
    if (result.error) throw result.error;
    return {
        status: result.status,
        stdout: result.stdout,
        stderr: result.stderr,
        lines: result.stdout.split("\n").filter((l) => l !== ""),
        ms: Date.now() - start,
    };
}

function runner(args: string[], extra: Record<string, string> = {}, input?: string): RunResult {
    return run(RUNNER, args, extra, input);
}

function testLines(result: RunResult): TestLine[] {
    return result.lines
        .filter((l) => l.startsWith("[+] "))
        .map((l) => {
            const m = LINE.exec(l);
            assert.ok(m, `malformed test line: ${l}`);
            return {
                suite: m[1],
                test: m[2],
                status: m[3].startsWith("FAIL") ? "FAIL" : m[3],
                kind: m[4],
                secs: Number(m[5]),
                detail: m[6],
            };
        });
}

function summary(result: RunResult): number[] {
    const last = result.lines[result.lines.length - 1] ?? "";
    const m = SUMMARY.exec(last);
    assert.ok(m, `last line is not the summary: ${last}`);
    return m.slice(1).map(Number);
}

let tmp = "";

/** A suite directory with the given files; bodies without a #! line get #!/bin/sh. */
function suite(name: string, files: Record<string, string>, nonExecutable: string[] = []): string {
    const dir = fs.mkdtempSync(path.join(tmp, "s-"));
    const suiteDir = path.join(dir, name);
    fs.mkdirSync(suiteDir);
    for (const [file, body] of Object.entries(files)) {
        const text = body.startsWith("#!") ? body : `#!/bin/sh\n${body}\n`;
        fs.writeFileSync(path.join(suiteDir, file), text, {
            mode: nonExecutable.includes(file) ? 0o644 : 0o755,
        });
    }
    return suiteDir;
}

/** A suite directory holding copies of real suite files (modes kept). */
function realSuite(name: string, files: string[]): string {
    const dir = fs.mkdtempSync(path.join(tmp, "r-"));
    const suiteDir = path.join(dir, name);
    fs.mkdirSync(suiteDir);
    // Every suite's lib.sh sources the shared helpers one level up, as in suites/.
    fs.copyFileSync(path.join(SUITES, "common.sh"), path.join(dir, "common.sh"));
    for (const file of files) {
        const from = path.join(SUITES, name, file);
        fs.copyFileSync(from, path.join(suiteDir, file));
        fs.chmodSync(path.join(suiteDir, file), fs.statSync(from).mode & 0o777);
    }
    return suiteDir;
}

/** A test that counts its attempts in COUNT_FILE and exits with the code for that attempt. */
function attemptsScript(counter: string, codes: number[]): string {
    const cases = codes.map((code, i) => `    ${i + 1}) exit ${code} ;;`).join("\n");
    return [
        `n=$(( $(cat '${counter}' 2>/dev/null || echo 0) + 1 ))`,
        `echo "$n" > '${counter}'`,
        `echo "attempt $n of OSIP_ATTEMPT=$OSIP_ATTEMPT"`,
        `case $n in`,
        cases,
        `    *) exit ${codes[codes.length - 1]} ;;`,
        `esac`,
    ].join("\n");
}

function readCount(file: string): number {
    return Number(fs.readFileSync(file, "utf8").trim());
}

// --- a tiny XML parser: enough to prove the JUnit report well-formed and to read it back ---

interface XmlElement {
    name: string;
    attrs: Record<string, string>;
    children: XmlElement[];
    text: string;
}

const NAME = "[A-Za-z_][\\w.-]*";

function decodeXml(raw: string): string {
    if (raw.includes("<")) throw new Error(`raw < in text: ${raw}`);
    return raw.replace(/&([^;&\s]*);?/g, (whole, entity: string) => {
        if (!whole.endsWith(";")) throw new Error(`bare & in: ${raw}`);
        const named: Record<string, string> = {
            amp: "&",
            lt: "<",
            gt: ">",
            quot: '"',
            apos: "'",
        };
        if (entity in named) return named[entity];
        const num = /^#(?:x([0-9a-fA-F]+)|(\d+))$/.exec(entity);
        if (num) return String.fromCodePoint(parseInt(num[1] ?? num[2], num[1] ? 16 : 10));
        throw new Error(`unknown entity &${entity};`);
    });
}

function parseXml(src: string): XmlElement {
    let i = 0;
    const decl = /^<\?xml version="1\.0" encoding="UTF-8"\?>\n/.exec(src);
    if (!decl) throw new Error("missing XML declaration");
    i = decl[0].length;
    for (const ch of src) {
        const code = ch.charCodeAt(0);
        if (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) {
            throw new Error(`control character ${code} in XML`);
        }
    }
    const stack: XmlElement[] = [];
    let root: XmlElement | undefined;
    while (i < src.length) {
        const lt = src.indexOf("<", i);
        const text = lt === -1 ? src.slice(i) : src.slice(i, lt);
        if (stack.length > 0) stack[stack.length - 1].text += decodeXml(text);
        else if (text.trim() !== "") throw new Error(`text outside the root: ${text}`);
        if (lt === -1) break;
        const gt = src.indexOf(">", lt);
        if (gt === -1) throw new Error("unterminated tag");
        const tag = src.slice(lt + 1, gt);
        i = gt + 1;
        if (tag.startsWith("/")) {
            const open = stack.pop();
            if (!open || open.name !== tag.slice(1)) throw new Error(`mismatched </${tag}>`);
            if (stack.length === 0) root = open;
            continue;
        }
        const m = new RegExp(`^(${NAME})((?:\\s+${NAME}="[^"<]*")*)\\s*(/?)$`).exec(tag);
        if (!m) throw new Error(`malformed tag <${tag}>`);
        if (stack.length === 0 && root) throw new Error("more than one root element");
        const el: XmlElement = { name: m[1], attrs: {}, children: [], text: "" };
        for (const a of m[2].matchAll(new RegExp(`(${NAME})="([^"]*)"`, "g"))) {
            if (a[1] in el.attrs) throw new Error(`duplicate attribute ${a[1]}`);
            el.attrs[a[1]] = decodeXml(a[2]);
        }
        if (stack.length > 0) stack[stack.length - 1].children.push(el);
        if (m[3] === "/") {
            if (stack.length === 0) root = el;
        } else {
            stack.push(el);
        }
    }
    if (stack.length > 0) throw new Error(`unclosed <${stack[stack.length - 1].name}>`);
    if (!root) throw new Error("no root element");
    return root;
}

function child(el: XmlElement, name: string): XmlElement | undefined {
    return el.children.find((c) => c.name === name);
}

describe("suites/runtests.sh", function () {
    before(function () {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "osip-suites-"));
    });

    after(function () {
        fs.rmSync(tmp, { recursive: true, force: true });
    });

    it("runs the executable files of a suite in C-locale name order and nothing else", function () {
        const log = path.join(tmp, "order.log");
        const record = `echo "$OSIP_TEST" >> '${log}'`;
        const dir = suite(
            "order",
            {
                b_second: record,
                a_first: record,
                B_upper: record,
                "10_ten": record,
                "9_nine": record,
                "lib.sh": record,
                "notes.txt": record,
                ".hidden": record,
                "a_first~": record,
            },
            ["lib.sh", "notes.txt"],
        );
        fs.mkdirSync(path.join(dir, "subdir"), { mode: 0o755 });

        const result = runner([dir]);
        assert.equal(result.status, 0, result.stderr);
        const expected = ["10_ten", "9_nine", "B_upper", "a_first", "b_second"];
        assert.deepEqual(fs.readFileSync(log, "utf8").trim().split("\n"), expected);
        assert.deepEqual(
            testLines(result).map((t) => `${t.suite}/${t.test}`),
            expected.map((t) => `order/${t}`),
        );
        assert.deepEqual(summary(result), [5, 0, 0, 0, 0]);
    });

    it("prints PASS, FAIL and SKIP lines with elapsed seconds, the skip reason and a summary", function () {
        const dir = suite("lines", {
            "1_pass": "echo fine",
            "2_skip": 'echo "checking"\necho "not applicable here: no <widget>"\necho ""\nexit 77',
            "3_fail": "echo broken >&2\nexit 3",
            "4_slow": "sleep 1",
        });
        const result = runner([dir]);
        assert.equal(result.status, 1);
        const lines = testLines(result);
        assert.deepEqual(
            lines.map((l) => [l.test, l.status, l.kind, l.detail]),
            [
                ["1_pass", "PASS", undefined, undefined],
                ["2_skip", "SKIP", undefined, "not applicable here: no <widget>"],
                ["3_fail", "FAIL", "image", "exit 3"],
                ["4_slow", "PASS", undefined, undefined],
            ],
        );
        assert.ok(lines[3].secs >= 0.9 && lines[3].secs < 10, `elapsed ${lines[3].secs}`);
        assert.equal(result.lines.length, 5, "one line per test plus the summary");
        assert.deepEqual(summary(result), [2, 1, 1, 0, 1]);
        assert.match(result.stderr, /lines\/3_fail: broken/);
    });

    it("exits 0 when tests only pass or skip", function () {
        const dir = suite("ok", { pass: "true", skip: "echo 'no such thing'\nexit 77" });
        const result = runner([dir]);
        assert.equal(result.status, 0);
        assert.deepEqual(summary(result), [1, 0, 0, 0, 1]);
    });

    it("retries a test that exits 75 and reports PASS when a later attempt passes", function () {
        const counter = path.join(tmp, "flaky.count");
        const dir = suite("retry", { flaky: attemptsScript(counter, [75, 75, 0]) });
        const result = runner([dir]);
        assert.equal(result.status, 0, result.stdout + result.stderr);
        assert.equal(readCount(counter), 3);
        assert.equal(testLines(result)[0].status, "PASS");
        assert.equal(
            (result.stderr.match(/^\[~\] retry\/flaky \.\.\. infra failure/gm) ?? []).length,
            2,
        );
        assert.match(result.stderr, /retry 2\/2/);
        assert.deepEqual(summary(result), [1, 0, 0, 0, 0]);
    });

    it("reports FAIL (infra) after the retries are used up and exits 2", function () {
        const counter = path.join(tmp, "down.count");
        const dir = suite("infra", {
            "1_ok": "true",
            "2_down": attemptsScript(counter, [75]),
        });
        const result = runner([dir]);
        assert.equal(result.status, 2);
        assert.equal(readCount(counter), 3, "one attempt plus OSIP_INFRA_RETRIES=2 retries");
        const down = testLines(result)[1];
        assert.deepEqual(
            [down.status, down.kind, down.detail],
            ["FAIL", "infra", "exit 75 after 3 attempts"],
        );
        assert.deepEqual(summary(result), [1, 1, 0, 1, 0]);
    });

    it("honours OSIP_INFRA_RETRIES and OSIP_INFRA_RETRY_DELAY", function () {
        const counter = path.join(tmp, "delay.count");
        const dir = suite("delay", { down: attemptsScript(counter, [75]) });
        const result = runner([dir], { OSIP_INFRA_RETRIES: "1", OSIP_INFRA_RETRY_DELAY: "1" });
        assert.equal(result.status, 2);
        assert.equal(readCount(counter), 2);
        assert.ok(testLines(result)[0].secs >= 0.9, "the delay counts towards the elapsed time");

        fs.rmSync(counter);
        const none = runner([dir], { OSIP_INFRA_RETRIES: "0" });
        assert.equal(none.status, 2);
        assert.equal(readCount(counter), 1);
        assert.equal(testLines(none)[0].detail, "exit 75");
    });

    it("never retries an image failure and exits 1 even when infra failures occurred", function () {
        const imageCounter = path.join(tmp, "image.count");
        const infraCounter = path.join(tmp, "infra.count");
        const dir = suite("mixed", {
            a_image: attemptsScript(imageCounter, [1, 0]),
            b_infra: attemptsScript(infraCounter, [75]),
        });
        const result = runner([dir]);
        assert.equal(result.status, 1);
        assert.equal(readCount(imageCounter), 1);
        assert.equal(readCount(infraCounter), 3);
        assert.deepEqual(
            testLines(result).map((t) => t.kind),
            ["image", "infra"],
        );
        assert.deepEqual(summary(result), [0, 2, 1, 1, 0]);
    });

    it("kills a test that exceeds OSIP_TEST_TIMEOUT, as an image failure, and goes on", function () {
        const dir = suite("timeout", {
            "1_hang": "echo starting\nsleep 60 &\nsleep 60\necho never",
            "2_next": "true",
        });
        const result = runner([dir], { OSIP_TEST_TIMEOUT: "1" });
        assert.equal(result.status, 1);
        const [hang, next] = testLines(result);
        assert.deepEqual(
            [hang.status, hang.kind, hang.detail],
            ["FAIL", "image", "timed out after 1s"],
        );
        assert.ok(hang.secs >= 0.9 && hang.secs < 10, `elapsed ${hang.secs}`);
        assert.equal(next.status, "PASS");
        assert.ok(result.ms < 20_000, `runner took ${result.ms} ms`);
    });

    it("falls back to a watchdog when timeout(1) is missing", function () {
        const fakeBin = fs.mkdtempSync(path.join(tmp, "bin-"));
        fs.writeFileSync(path.join(fakeBin, "timeout"), "#!/bin/sh\nexit 1\n", { mode: 0o755 });
        const dir = suite("watchdog", { "1_hang": "exec sleep 60", "2_next": "true" });
        const result = runner([dir], {
            OSIP_TEST_TIMEOUT: "1",
            PATH: `${fakeBin}:${process.env.PATH ?? "/usr/bin:/bin"}`,
        });
        assert.equal(result.status, 1);
        const [hang, next] = testLines(result);
        assert.deepEqual(
            [hang.kind, hang.detail, next.status],
            ["image", "timed out after 1s", "PASS"],
        );
        assert.ok(result.ms < 20_000, `runner took ${result.ms} ms`);
    });

    it("runs tests from their suite directory with stdin from /dev/null and OSIP_* set", function () {
        const dir = suite(
            "context",
            {
                "lib.sh": "greeting=hello",
                probe: [
                    ". ./lib.sh",
                    'echo "$greeting"',
                    'if read -r line; then echo "read stdin: $line"; exit 1; fi',
                    'echo "suite=$OSIP_SUITE test=$OSIP_TEST dir=$OSIP_SUITE_DIR pwd=$(pwd -P)"',
                    "exit 1",
                ].join("\n"),
            },
            ["lib.sh"],
        );
        const result = runner([dir], {}, "secret input\n");
        const real = fs.realpathSync(dir);
        assert.match(result.stderr, /context\/probe: hello/);
        assert.doesNotMatch(result.stderr, /read stdin/);
        assert.ok(
            result.stderr.includes(`suite=context test=probe dir=${real} pwd=${real}`),
            result.stderr,
        );
    });

    it("writes well-formed JUnit XML with a testsuite per directory and escaped output", function () {
        const counter = path.join(tmp, "junit.count");
        const nasty = `<tag attr="v"> & 'q' ]]> &amp;`;
        const first = suite("first", {
            "1_pass": "true",
            "2_fail": `printf '%s\\n' 'line one' '${nasty.replace(/'/g, "'\\''")}'\nprintf 'ctl\\001char\\n'\nexit 1`,
            "3_skip": `echo 'skipped: "quoted" & <angled>'\nexit 77`,
        });
        const second = suite("second & more", { infra: attemptsScript(counter, [75]) });
        const xmlFile = path.join(tmp, "report.xml");
        const result = runner(["--junit", xmlFile, first, second]);
        assert.equal(result.status, 1);

        const root = parseXml(fs.readFileSync(xmlFile, "utf8"));
        assert.equal(root.name, "testsuites");
        assert.deepEqual(
            [root.attrs.tests, root.attrs.failures, root.attrs.skipped],
            ["4", "2", "1"],
        );
        const suites = root.children;
        assert.deepEqual(
            suites.map((s) => [
                s.name,
                s.attrs.name,
                s.attrs.tests,
                s.attrs.failures,
                s.attrs.skipped,
            ]),
            [
                ["testsuite", "first", "3", "1", "1"],
                ["testsuite", "second & more", "1", "1", "0"],
            ],
        );
        const cases = suites[0].children;
        assert.deepEqual(
            cases.map((c) => [c.name, c.attrs.classname, c.attrs.name]),
            [
                ["testcase", "first", "1_pass"],
                ["testcase", "first", "2_fail"],
                ["testcase", "first", "3_skip"],
            ],
        );
        for (const c of cases) assert.match(c.attrs.time, /^\d+\.\d\d$/);
        assert.equal(cases[0].children.length, 0);

        const failure = child(cases[1], "failure");
        assert.ok(failure);
        assert.equal(failure.attrs.type, "image");
        assert.equal(failure.attrs.message, "exit 1");
        assert.equal(failure.text, `line one\n${nasty}\nctlchar\n`);

        const skipped = child(cases[2], "skipped");
        assert.ok(skipped);
        assert.equal(skipped.attrs.message, 'skipped: "quoted" & <angled>');

        const infra = child(suites[1].children[0], "failure");
        assert.ok(infra);
        assert.equal(infra.attrs.type, "infra");
        assert.equal(infra.attrs.message, "exit 75 after 3 attempts");
        assert.match(infra.text, /attempt 3 of OSIP_ATTEMPT=3/);
    });

    it("writes TAP version 13 with the plan, skips, and a YAML block for failures", function () {
        const counter = path.join(tmp, "tap.count");
        const dir = suite("tap", {
            "1_pass": "true",
            "2_skip": "echo 'no # thing'\nexit 77",
            "3_infra": `echo "it's down"\n${attemptsScript(counter, [75])}`,
            "4_image": "printf 'no newline'\nexit 4",
        });
        const tapFile = path.join(tmp, "report.tap");
        const result = runner([`--tap=${tapFile}`, dir]);
        assert.equal(result.status, 1);
        const tap = fs.readFileSync(tapFile, "utf8").split("\n");
        assert.equal(tap[0], "TAP version 13");
        assert.equal(tap[1], "1..4");
        const results = tap.filter((l) => /^(not )?ok /.test(l));
        assert.deepEqual(results, [
            "ok 1 - tap/1_pass",
            "ok 2 - tap/2_skip # SKIP no # thing",
            "not ok 3 - tap/3_infra",
            "not ok 4 - tap/4_image",
        ]);
        const start = tap.indexOf("not ok 3 - tap/3_infra");
        const block = tap.slice(start + 1, tap.indexOf("  ...", start) + 1);
        assert.equal(block[0], "  ---");
        assert.ok(block.includes("  failure_type: infra"), block.join("\n"));
        assert.ok(block.includes("  exit_code: 75"));
        assert.ok(block.includes("  attempts: 3"));
        assert.ok(block.includes("    - 'it''s down'"), block.join("\n"));
        assert.ok(tap.includes("  failure_type: image"));
        const last = tap.indexOf("    - 'no newline'");
        assert.ok(last > 0, "output without a final newline is kept");
        assert.equal(tap[last + 1], "  ...");
        assert.equal(tap[tap.length - 1], "", "ends with a newline");
    });

    it("rejects usage errors with exit 64 before running anything", function () {
        const log = path.join(tmp, "usage.log");
        const dir = suite("usage", { t: `echo ran >> '${log}'` });
        const cases: [string[], Record<string, string>][] = [
            [[], {}],
            [[path.join(tmp, "does-not-exist")], {}],
            [["--bogus", dir], {}],
            [["--junit"], {}],
            [[dir], { OSIP_TEST_TIMEOUT: "soon" }],
            [[dir], { OSIP_INFRA_RETRIES: "-1" }],
            [["--junit", path.join(tmp, "no-such-dir", "r.xml"), dir], {}],
        ];
        for (const [args, extra] of cases) {
            const result = runner(args, extra);
            assert.equal(result.status, 64, `${args.join(" ")} ${JSON.stringify(extra)}`);
            assert.match(result.stderr, /usage: runtests\.sh/);
        }
        assert.equal(fs.existsSync(log), false);
        assert.equal(runner(["--help"]).status, 0);
    });

    describe("real suites", function () {
        it("upstream/0_kernel_running passes and 6_selinux_enforcing skips without SELinux", function () {
            const dir = realSuite("upstream", [
                "lib.sh",
                "0_kernel_running",
                "6_selinux_enforcing",
            ]);
            const result = runner([dir]);
            const [kernel, selinux] = testLines(result);
            assert.equal(kernel.test, "0_kernel_running");
            assert.equal(kernel.status, "PASS", result.stderr);
            assert.equal(selinux.test, "6_selinux_enforcing");
            if (!fs.existsSync("/sys/fs/selinux/enforce")) {
                assert.equal(selinux.status, "SKIP");
                assert.match(selinux.detail ?? "", /^SELinux is not available/);
            }
        });

        it("site tests skip when the site does not configure the service", function () {
            const dir = realSuite("site", ["lib.sh", "afs", "dns", "ipv6", "kerberos"]);
            const result = runner([dir], {
                SITE_AFS_CELL: "",
                SITE_DNS: "none",
                SITE_IPV6: "none",
                SITE_KERBEROS_REALM: "",
            });
            assert.equal(result.status, 0, result.stderr);
            assert.deepEqual(
                testLines(result).map((t) => [t.test, t.status]),
                [
                    ["afs", "SKIP"],
                    ["dns", "SKIP"],
                    ["ipv6", "SKIP"],
                    ["kerberos", "SKIP"],
                ],
            );
            assert.match(testLines(result)[0].detail ?? "", /SITE_AFS_CELL/);
        });

        it("site/kerberos reads default_realm through KRB5_CONFIG, include and includedir", function () {
            const conf = fs.mkdtempSync(path.join(tmp, "krb5-"));
            fs.mkdirSync(path.join(conf, "krb5.conf.d"));
            fs.writeFileSync(
                path.join(conf, "krb5.conf"),
                `[logging]\n default = FILE:/dev/null\n\ninclude ${conf}/extra.conf\n`,
            );
            fs.writeFileSync(
                path.join(conf, "extra.conf"),
                `[libdefaults]\n forwardable = true\nincludedir ${conf}/krb5.conf.d\n`,
            );
            fs.writeFileSync(
                path.join(conf, "krb5.conf.d", "site.conf"),
                "[realms]\n default_realm = NOT.THIS\n[libdefaults]\n  default_realm = EXAMPLE.ORG\n",
            );
            fs.writeFileSync(
                path.join(conf, "krb5.conf.d", "ignored.rpmsave"),
                "[libdefaults]\n default_realm = IGNORED\n",
            );
            const script = path.join(SUITES, "site", "kerberos");
            const krb5 = path.join(conf, "krb5.conf");
            const ok = run(script, [], { KRB5_CONFIG: krb5, SITE_KERBEROS_REALM: "EXAMPLE.ORG" });
            assert.equal(ok.status, 0, ok.stdout + ok.stderr);
            const wrong = run(script, [], { KRB5_CONFIG: krb5, SITE_KERBEROS_REALM: "OTHER.ORG" });
            assert.equal(wrong.status, 1);
            assert.match(wrong.stderr, /default_realm is EXAMPLE\.ORG, expected OTHER\.ORG/);
        });

        it("managed/agent_run_clean passes on 0 and 2, and tells infra from image failures", function () {
            const script = path.join(SUITES, "managed", "agent_run_clean");
            const cases: [string, number][] = [
                ["echo applied; exit 0", 0],
                ["echo 'would change'; exit 2", 0],
                ["echo 'Error: Could not retrieve catalog'; exit 4", 1],
                ["echo 'Error: Connection refused - connect(2) for puppet:8140'; exit 1", 75],
            ];
            for (const [cmd, expected] of cases) {
                const result = run(script, [], { OSIP_AGENT_CMD: cmd });
                assert.equal(result.status, expected, `${cmd}: ${result.stdout}${result.stderr}`);
            }
        });

        it("container/os_release checks OSIP_EXPECT_ID against /etc/os-release", function () {
            const osRelease = ["/etc/os-release", "/usr/lib/os-release"].find((f) =>
                fs.existsSync(f),
            );
            if (!osRelease) this.skip();
            const id = /^ID=["']?([^"'\n]*)/m.exec(fs.readFileSync(osRelease, "utf8"))?.[1] ?? "";
            const script = path.join(SUITES, "container", "os_release");
            assert.equal(run(script, [], { OSIP_EXPECT_ID: id }).status, 0);
            const wrong = run(script, [], { OSIP_EXPECT_ID: `not-${id}` });
            assert.equal(wrong.status, 1);
            assert.match(wrong.stderr, /expected 'not-/);
        });

        it("every suite has a non-executable lib.sh and only executable tests", function () {
            for (const name of ["upstream", "site", "managed", "container"]) {
                const dir = path.join(SUITES, name);
                const files = fs.readdirSync(dir);
                assert.ok(files.includes("lib.sh"), `${name}/lib.sh`);
                for (const file of files) {
                    const executable = (fs.statSync(path.join(dir, file)).mode & 0o111) !== 0;
                    assert.equal(executable, file !== "lib.sh", `${name}/${file} mode`);
                }
            }
            assert.ok((fs.statSync(RUNNER).mode & 0o111) !== 0, "runtests.sh is executable");
        });

        it("all scripts are shellcheck-clean", function () {
            const probe = spawnSync("shellcheck", ["--version"], { encoding: "utf8" });
            if (probe.error || probe.status !== 0) this.skip();
            const scripts = [RUNNER];
            for (const name of ["upstream", "site", "managed", "container"]) {
                for (const file of fs.readdirSync(path.join(SUITES, name))) {
                    scripts.push(path.join(SUITES, name, file));
                }
            }
            const result = spawnSync("shellcheck", ["-x", ...scripts], {
                cwd: SUITES,
                encoding: "utf8",
            });
            assert.equal(result.status, 0, result.stdout + result.stderr);
        });
    });
});
