import { PolicyPack, validateResourceOfType } from "@pulumi/policy";
import * as openstack from "@pulumi/openstack";
import {
    ImageInputs,
    missingProperties,
    productionNamedTest,
    publicWithoutEvidence,
} from "./rules";

function imageRule(
    name: string,
    description: string,
    rule: (image: ImageInputs) => string | undefined,
) {
    return {
        name,
        description,
        enforcementLevel: "mandatory" as const,
        validateResource: validateResourceOfType(
            openstack.images.Image,
            (image, _args, reportViolation) => {
                const violation = rule(image as ImageInputs);
                if (violation) reportViolation(violation);
            },
        ),
    };
}

new PolicyPack("os-image-pipeline", {
    policies: [
        imageRule(
            "no-public-image-without-evidence",
            "No public image without passed test evidence.",
            publicWithoutEvidence,
        ),
        imageRule(
            "required-image-properties",
            "Every image carries the well-known and provenance properties.",
            missingProperties,
        ),
        imageRule(
            "no-test-in-production-name",
            "No production image with TEST in its name.",
            productionNamedTest,
        ),
    ],
});
