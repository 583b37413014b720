import * as assert from "assert";
import { missingProperties, productionNamedTest, publicWithoutEvidence } from "../../policy/rules";
import { REQUIRED_PROPERTIES } from "../../components/glanceImage";

const sha = "d".repeat(64);
const complete = Object.fromEntries(
    REQUIRED_PROPERTIES.map((k) => [k, k === "osimages_sha256" ? sha : "x"]),
);
const passed = { ...complete, osimages_test_result: "passed", osimages_tested_sha256: sha };

describe("policy rules", () => {
    it("refuses a public image without passed evidence", () => {
        assert.match(
            publicWithoutEvidence({
                name: "CS9 - x86_64",
                visibility: "public",
                properties: complete,
            })!,
            /public without passed test evidence \(osimages_test_result=unset\)/,
        );
        assert.match(
            publicWithoutEvidence({
                name: "CS9 - x86_64",
                visibility: "public",
                properties: { ...passed, osimages_tested_sha256: "e".repeat(64) },
            })!,
            /evidence is for other bytes/,
        );
    });

    it("accepts a public image with passed evidence, and shared images without", () => {
        assert.strictEqual(
            publicWithoutEvidence({
                name: "CS9 - x86_64",
                visibility: "public",
                properties: passed,
            }),
            undefined,
        );
        assert.strictEqual(
            publicWithoutEvidence({
                name: "CS9 - x86_64 [2026-11-01] TEST",
                visibility: "shared",
                properties: complete,
            }),
            undefined,
        );
    });

    it("names the missing required properties", () => {
        const { hw_firmware_type: _a, uuid_validity: _b, ...rest } = complete;
        assert.strictEqual(
            missingProperties({ name: "n", properties: rest }),
            'image "n" lacks properties: hw_firmware_type, uuid_validity',
        );
        assert.strictEqual(missingProperties({ name: "n", properties: complete }), undefined);
    });

    it("refuses TEST in a production name, allows it on hidden or shared images", () => {
        assert.match(
            productionNamedTest({
                name: "CS9 - x86_64 [2026-11-01] TEST",
                visibility: "public",
                hidden: false,
            })!,
            /has TEST in its name/,
        );
        assert.strictEqual(
            productionNamedTest({ name: "CS9 - x86_64 [2026-11-01] TEST", visibility: "shared" }),
            undefined,
        );
        assert.strictEqual(
            productionNamedTest({
                name: "CS9 - x86_64 [2026-11-01] TEST",
                visibility: "public",
                hidden: true,
            }),
            undefined,
        );
        assert.strictEqual(
            productionNamedTest({ name: "TESTING9 - x86_64", visibility: "public" }),
            undefined,
        );
    });
});
