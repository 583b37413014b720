import * as assert from "assert";
import { spawnSync } from "child_process";
import {
    compareDebianVersions,
    compareRpmVersions,
    Ordering,
    rpmvercmp,
} from "../../model/versionCompare";

type Row = [string, string, Ordering];

/** deb-version(5) and Debian Policy 5.6.12: `~~ < ~~a < ~ < (end) < a`, epochs, revisions. */
const DEBIAN: Row[] = [
    ["1.0~~", "1.0~~a", -1],
    ["1.0~~a", "1.0~", -1],
    ["1.0~", "1.0", -1],
    ["1.0", "1.0a", -1],
    ["1:1.0", "2.0", 1],
    ["2:1.0", "1:9.9", 1],
    ["0:1.0", "1.0", 0],
    ["1.0-1", "1.0-2", -1],
    ["1.0", "1.0-0", 0],
    ["1.0a", "1.0.1", -1],
    ["1.0.1", "1.0", 1],
    ["1.010", "1.10", 0],
    ["9", "10", -1],
    ["1.0+dfsg-1", "1.0-1", 1],
    ["1.0-a", "1.0-+", -1],
    ["1.2.3~rc1-1", "1.2.3-1", -1],
    ["1.0-1~bpo12+1", "1.0-1", -1],
    ["2.36-9", "2.36-9+deb12u8", -1],
    ["7.88.1-10+deb12u7", "7.88.1-10+deb12u12", -1],
    ["6.1.0-25", "6.1.0-26", -1],
];

/** rpm's own test table (tests/rpmvercmp.at), tilde and caret cases included. */
const RPMVERCMP: Row[] = [
    ["1.0", "1.0", 0],
    ["1.0", "2.0", -1],
    ["2.0.1", "2.0", 1],
    ["2.0.1a", "2.0.1", 1],
    ["5.5p1", "5.5p2", -1],
    ["5.5p10", "5.5p1", 1],
    ["10xyz", "10.1xyz", -1],
    ["xyz10", "xyz10.1", -1],
    ["xyz.4", "8", -1],
    ["2", "xyz.4", 1],
    ["5.6p1", "5.5p2", 1],
    ["6.5p1", "5.6p1", 1],
    ["6.0.rc1", "6.0", 1],
    ["10b2", "10a1", 1],
    ["10a2", "10b2", -1],
    ["1.0a", "1.0aa", -1],
    ["10.0001", "10.1", 0],
    ["10.0001", "10.0039", -1],
    ["4.999.9", "5.0", -1],
    ["20101122", "20101121", 1],
    ["2.0", "2_0", 0],
    ["a+", "a_", 0],
    ["+a", "_a", 0],
    ["_+", "+_", 0],
    ["+", "_", 0],
    ["1.0~rc1", "1.0", -1],
    ["1.0~rc1", "1.0~rc2", -1],
    ["1.0~rc1~git123", "1.0~rc1", -1],
    ["1.0^", "1.0", 1],
    ["1.0", "1.0^git1", -1],
    ["1.0^git1", "1.0^git2", -1],
    ["1.0^git1", "1.01", -1],
    ["1.0^20160101", "1.0.1", -1],
    ["1.0^20160102", "1.0^20160101^git1", 1],
    ["1.0~rc1^git1", "1.0~rc1", 1],
    ["1.0^git1", "1.0^git1~pre", 1],
];

/** Whole `epoch:version-release` strings as rpm -qa prints them with %{EPOCHNUM}. */
const RPM_EVR: Row[] = [
    ["1:1.0-1", "0:2.0-1", 1],
    ["0:1.0-1.el9", "0:1.0-2.el9", -1],
    ["0:5.14.0-427.el9", "0:5.14.0-503.11.1.el9_5", -1],
    ["0:2.34-100.el9_4.2", "0:2.34-100.el9_4.2", 0],
    ["0:1.0-1", "1.0-1", 0],
    ["0:3.0-1~beta1.fc40", "0:3.0-1.fc40", -1],
];

function checkTable(compare: (a: string, b: string) => Ordering, rows: Row[]) {
    for (const [a, b, expected] of rows) {
        assert.strictEqual(compare(a, b), expected, `${a} vs ${b}`);
        assert.strictEqual(compare(b, a), -expected || 0, `${b} vs ${a}`);
    }
}

describe("version comparison", () => {
    it("orders Debian versions as deb-version(5) documents", () => {
        checkTable(compareDebianVersions, DEBIAN);
    });

    it("agrees with this machine's dpkg --compare-versions on the table", function () {
        if (spawnSync("dpkg", ["--version"]).status !== 0) this.skip();
        const op = { [-1]: "lt", 0: "eq", 1: "gt" } as const;
        for (const [a, b, expected] of DEBIAN) {
            const r = spawnSync("dpkg", ["--compare-versions", a, op[expected], b]);
            assert.strictEqual(r.status, 0, `dpkg says ${a} is not ${op[expected]} ${b}`);
        }
    });

    it("orders rpm version strings as rpmvercmp does", () => {
        checkTable(rpmvercmp, RPMVERCMP);
    });

    it("orders rpm epoch:version-release by epoch, then version, then release", () => {
        checkTable(compareRpmVersions, RPM_EVR);
    });
});
